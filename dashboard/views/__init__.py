"""The dashboard pages: scripts Streamlit runs through st.navigation (dashboard/app.py)."""
