import streamlit as st

st.title("initialization")
st.info("This page is being built.")
