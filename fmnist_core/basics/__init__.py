"""Lab: one neuron, activation functions compared, one step of backpropagation by hand."""
