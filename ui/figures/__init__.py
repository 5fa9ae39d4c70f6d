"""Pure figure builders: data in, plotly figures, SVG or chart specs out. Never imports streamlit."""
