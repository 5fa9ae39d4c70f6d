"""Lab: optimizers: loss surfaces and the optimizer race."""
