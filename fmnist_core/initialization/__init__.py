"""Lab: weight initialization: activation and gradient statistics, symmetry, the live comparison."""
