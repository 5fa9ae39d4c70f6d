"""Lab: what is inside a model: layers, probes, explanations, feature maps, the drawing and its outlines."""
