"""How fragile a trained classifier is: adversarial examples (fool it), activation maximization (dream it)
and switching units off (break it). Everything works in pixel space, images as floats in [0, 1]."""
