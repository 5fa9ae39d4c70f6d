"""Streamlit glue shared by the pages (the core in fmnist_core/ never imports streamlit)."""
