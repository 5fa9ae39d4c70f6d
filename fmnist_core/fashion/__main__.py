"""python -m fmnist_core.fashion [--download] [--data-dir DIR]: find or download Fashion-MNIST and check it."""
from fmnist_core.fashion.dataset import main

raise SystemExit(main())
