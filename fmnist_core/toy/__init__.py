"""Toy 2D networks: the datasets, the 2-input network, packed growth training, the input plane and its frames."""
