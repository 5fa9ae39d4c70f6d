"""Fashion-MNIST's files: class names, image size, file names and checksums, addresses, the error type, the cache folder."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
NUM_CLASSES = len(CLASS_NAMES)
IMAGE_SIZE = 28

OFFICIAL_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
DEBIAN_HINT = "install Debian's package: sudo apt-get install dataset-fashion-mnist"

# name -> (split, kind, expected count, official MD5 of the .gz)
FILES = {
    "train-images-idx3-ubyte": ("train", "images", 60000, "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
    "train-labels-idx1-ubyte": ("train", "labels", 60000, "25c81989df183df01b3e8a0aad5dffbe"),
    "t10k-images-idx3-ubyte": ("test", "images", 10000, "bef4ecab320f06d8554ea6380940ec79"),
    "t10k-labels-idx1-ubyte": ("test", "labels", 10000, "bb300cfdad3c16e7a12a480ee83cd310"),
}
IDX_MAGIC = {"images": 0x00000803, "labels": 0x00000801}  # ubyte data, 3 or 1 dimensions
# Kaggle's CSV files: name -> (split, expected count of images)
CSV_FILES = {"fashion-mnist_train.csv": ("train", 60000), "fashion-mnist_test.csv": ("test", 10000)}

ProgressFn = Callable[[str, int, int], None]  # (file name, bytes done, bytes total or 0)


class DatasetError(RuntimeError):
    """Anything wrong with the dataset files; the message names the file, the problem and the fix."""


def cache_dir() -> Path:
    """Per-user cache: $XDG_CACHE_HOME/fmnist-dashboard or ~/.cache/fmnist-dashboard."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "fmnist-dashboard"
