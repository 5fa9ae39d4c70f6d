"""Network parts: activations, weight initializers, losses and the Fashion-MNIST models."""
