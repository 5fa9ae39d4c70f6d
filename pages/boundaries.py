import streamlit as st

st.title("boundaries")
st.info("This page is being built.")
