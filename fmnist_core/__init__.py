"""Core of the Fashion-MNIST teaching dashboard: plain Python + PyTorch, no Streamlit."""
