"""Each page's larger views, built on the kit and the figures."""
