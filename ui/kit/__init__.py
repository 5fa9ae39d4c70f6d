"""The Streamlit kit every page uses: live jobs, canvas components, identity, persistence, presenter mode, common widgets."""
