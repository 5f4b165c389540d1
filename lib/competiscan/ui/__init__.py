"""Streamlit glue: cached resources, URL state and shared widgets. The only place that imports
streamlit inside the package."""
