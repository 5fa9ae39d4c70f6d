import streamlit as st

st.title("sketch")
st.info("This page is being built.")
