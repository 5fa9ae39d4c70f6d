"""Fashion-MNIST: find, download, verify, parse and load the four IDX files (or Kaggle's two CSVs).

Search order: a directory passed in, $FMNIST_DATA_DIR, the per-user cache directory, Debian's
`dataset-fashion-mnist` package (/usr/share/datasets/fashion-mnist). Otherwise download into the
cache from the official address, checking each file's official MD5 and writing atomically.

Each directory may hold the four official IDX files (.gz or raw) or Kaggle's `fashion-mnist_train.csv`
and `fashion-mnist_test.csv` (parsed once, then cached as uint8 arrays: see kaggle_csv.py). When a
directory holds both, as Kaggle's archive does, the IDX files win: they are the official bytes (their
headers state magic number and count, downloads are MD5-checked) and load in well under a second
without a parse cache; the CSV files are a re-encoding of the same images.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from fmnist_core.fashion.files import (CLASS_NAMES, CSV_FILES, DEBIAN_DIR, DEBIAN_HINT, FILES, IDX_MAGIC, IMAGE_SIZE,  # noqa: F401
                                       NUM_CLASSES, OFFICIAL_URL, DatasetError, ProgressFn, cache_dir)
from fmnist_core.fashion.kaggle_csv import load_csv


def _file_in(directory: Path, name: str) -> Path | None:
    for candidate in (directory / f"{name}.gz", directory / name):
        if candidate.is_file():
            return candidate
    return None


def dataset_format(directory: Path) -> str | None:
    """"idx" when all four IDX files are there (they win, see the module doc), "csv" for both CSV files."""
    if all(_file_in(directory, name) for name in FILES):
        return "idx"
    if all((directory / name).is_file() for name in CSV_FILES):
        return "csv"
    return None


def _complete(directory: Path) -> bool:
    return dataset_format(directory) is not None


def candidate_dirs(data_dir: str | os.PathLike | None = None) -> list[tuple[str, Path]]:
    """The places searched, in order, as (label, path)."""
    out = []
    if data_dir:
        out.append(("the directory passed in", Path(data_dir)))
    env = os.environ.get("FMNIST_DATA_DIR")
    if env:
        out.append(("$FMNIST_DATA_DIR", Path(env)))
    out.append(("the cache directory", cache_dir()))
    out.append(("Debian's dataset-fashion-mnist package", DEBIAN_DIR))
    return out


def locate(data_dir: str | os.PathLike | None = None) -> Path | None:
    """The first directory holding all four files, or None.

    A directory the user named (argument or $FMNIST_DATA_DIR) that lacks files is an error, not
    something to skip silently: a typo there would otherwise load other data or start a download.
    """
    for label, directory in candidate_dirs(data_dir):
        if _complete(directory):
            return directory
        if label in ("the directory passed in", "$FMNIST_DATA_DIR"):
            missing = [n for n in FILES if not _file_in(directory, n)]
            raise DatasetError(
                f"{label} ({directory}) lacks {', '.join(m + '.gz' for m in missing)} "
                f"(or Kaggle's {' and '.join(CSV_FILES)}). "
                f"Fix: put the four Fashion-MNIST files (or the two CSV files) there, point it at a folder "
                f"that has them, or unset it to use the cache, Debian's package or a download."
            )
    return None


def status(data_dir: str | os.PathLike | None = None) -> tuple[Path | None, str]:
    """(directory or None, a one-line human description) for the sidebar."""
    try:
        found = locate(data_dir)
    except DatasetError as e:
        return None, str(e)
    if found is None:
        return None, "Fashion-MNIST not found on this machine."
    kind = "Kaggle CSV files" if dataset_format(found) == "csv" else "files"
    return found, f"Fashion-MNIST {kind} in {found}"


# --------------------------------------------------------------------------- parsing

def read_idx(path: Path, kind: str, count: int) -> np.ndarray:
    """Parse one IDX file (gzip or raw) into uint8 (count, 28, 28) images or (count,) labels."""
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise DatasetError(f"{path}: cannot be read or decompressed ({e}). {_fix(path)}") from e
    ndim = 3 if kind == "images" else 1
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DatasetError(f"{path}: truncated, only {len(raw)} bytes. {_fix(path)}")
    magic = int.from_bytes(raw[:4], "big")
    if magic != IDX_MAGIC[kind]:
        raise DatasetError(
            f"{path}: wrong magic number 0x{magic:08x}, expected 0x{IDX_MAGIC[kind]:08x} "
            f"for {kind}. {_fix(path)}"
        )
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    if dims[0] != count:
        raise DatasetError(f"{path}: holds {dims[0]} {kind}, expected {count}. {_fix(path)}")
    if kind == "images" and dims[1:] != [IMAGE_SIZE, IMAGE_SIZE]:
        raise DatasetError(f"{path}: images are {dims[1]}x{dims[2]}, expected 28x28. {_fix(path)}")
    expected = header + int(np.prod(dims))
    if len(raw) != expected:
        raise DatasetError(
            f"{path}: {len(raw)} bytes, expected {expected} (truncated or padded). {_fix(path)}"
        )
    data = np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)
    if kind == "labels" and data.max(initial=0) >= NUM_CLASSES:
        bad = int(np.argmax(data >= NUM_CLASSES))
        raise DatasetError(
            f"{path}: label {int(data[bad])} at index {bad} is outside 0-9. {_fix(path)}"
        )
    return data


def _fix(path: Path) -> str:
    if path.parent == cache_dir():
        return f"Fix: delete {path} and let the app download it again."
    if path.parent == DEBIAN_DIR:
        return "Fix: reinstall the package: sudo apt-get install --reinstall dataset-fashion-mnist."
    return f"Fix: replace {path} with the official file, or unset $FMNIST_DATA_DIR."


# --------------------------------------------------------------------------- download

def download(
    dest: Path | None = None,
    base_url: str | None = None,
    progress: ProgressFn | None = None,
    timeout: float = 30.0,
) -> Path:
    """Download the four .gz files into `dest` (the cache), verifying the official MD5s.

    Each file is written to a temporary file and renamed only once its checksum matches, so an
    interrupted download never leaves a file that looks complete.
    """
    dest = Path(dest) if dest else cache_dir()
    base_url = base_url or os.environ.get("FMNIST_MIRROR") or OFFICIAL_URL
    if not base_url.endswith("/"):
        base_url += "/"
    dest.mkdir(parents=True, exist_ok=True)
    for name, (_, _, _, md5) in FILES.items():
        target = dest / f"{name}.gz"
        if target.is_file() and _md5(target) == md5:
            continue
        url = base_url + f"{name}.gz"
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=dest)
        try:
            digest = hashlib.md5()
            with os.fdopen(fd, "wb") as out:
                try:
                    with urllib.request.urlopen(url, timeout=timeout) as resp:
                        total = int(resp.headers.get("Content-Length") or 0)
                        done = 0
                        while chunk := resp.read(1 << 16):
                            out.write(chunk)
                            digest.update(chunk)
                            done += len(chunk)
                            if progress:
                                progress(name, done, total)
                        if total and done != total:
                            raise DatasetError(
                                f"{url}: connection ended after {done} of {total} bytes. "
                                f"Fix: try again; nothing incomplete was kept."
                            )
                except DatasetError:
                    raise
                except Exception as e:  # URLError, timeouts, IncompleteRead, resets
                    raise DatasetError(
                        f"{url}: download failed ({e}). Fix: check the internet connection and "
                        f"try again, or {DEBIAN_HINT}, or set $FMNIST_DATA_DIR to a folder with "
                        f"the four files."
                    ) from e
            if digest.hexdigest() != md5:
                raise DatasetError(
                    f"{url}: checksum {digest.hexdigest()} does not match the official {md5}. "
                    f"Fix: try again later or from another mirror ($FMNIST_MIRROR); nothing was kept."
                )
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return dest


def _md5(path: Path) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------- loading

@dataclass(frozen=True)
class FashionMNIST:
    """uint8 images (N, 28, 28) and int64 labels (N,), on one device."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    source: str

    @property
    def device(self) -> torch.device:
        return self.train_images.device

    def to(self, device: torch.device | str) -> "FashionMNIST":
        device = torch.device(device)
        return FashionMNIST(*(t.to(device) for t in self.tensors()), source=self.source)

    def tensors(self) -> tuple[torch.Tensor, ...]:
        return self.train_images, self.train_labels, self.test_images, self.test_labels


def read_arrays(directory: Path) -> dict[str, np.ndarray]:
    """The four arrays, validated, keyed 'train_images', 'train_labels', ... (IDX files, else the CSVs)."""
    out = {}
    if dataset_format(directory) == "csv":
        for name, (split, count) in CSV_FILES.items():
            out[f"{split}_images"], out[f"{split}_labels"] = load_csv(directory / name, count)
        return out
    for name, (split, kind, count, _) in FILES.items():
        path = _file_in(directory, name)
        if path is None:
            raise DatasetError(f"{directory / (name + '.gz')}: missing. Fix: {DEBIAN_HINT}.")
        out[f"{split}_{kind}"] = read_idx(path, kind, count)
    return out


_LOADED: dict[tuple[str, str], FashionMNIST] = {}


def load_fashion_mnist(
    device: torch.device | str = "cpu",
    data_dir: str | os.PathLike | None = None,
    download_if_missing: bool = False,
    progress: ProgressFn | None = None,
) -> FashionMNIST:
    """Load (once per directory and device) the dataset as uint8 tensors on `device`."""
    directory = locate(data_dir)
    if directory is None:
        if not download_if_missing:
            raise DatasetError(
                "Fashion-MNIST was not found (looked in "
                + "; ".join(f"{label}: {p}" for label, p in candidate_dirs(data_dir))
                + f"). Fix: {DEBIAN_HINT}, or set $FMNIST_DATA_DIR to a folder with the four "
                "files (or Kaggle's fashion-mnist_train.csv and fashion-mnist_test.csv), or download it "
                "(the app's button, or `python -m fmnist_core.fashion --download`)."
            )
        directory = download(progress=progress)
    device = torch.device(device)
    key = (str(directory.resolve()), str(device))
    if key not in _LOADED:
        a = read_arrays(directory)
        _LOADED[key] = FashionMNIST(
            torch.from_numpy(a["train_images"].copy()).to(device),
            torch.from_numpy(a["train_labels"].astype(np.int64)).to(device),
            torch.from_numpy(a["test_images"].copy()).to(device),
            torch.from_numpy(a["test_labels"].astype(np.int64)).to(device),
            source=str(directory),
        )
    return _LOADED[key]


# --------------------------------------------------------------------------- normalization

NORMALIZATIONS = {
    # name -> (label, how to compute (shift, scale) on raw 0..255 pixels: x = (raw - shift) / scale)
    "none": "raw pixels 0..255",
    "unit": "[0, 1] (divide by 255)",
    "standard": "training-set mean/std (0.286, 0.353)",
    "half": "mean 0.5, std 0.5 -> [-1, 1]",
}


PIXEL = "pixel"  # per-pixel mean/std: measured on the training images, compared in the overfitting lab only
PIXEL_MIN_STD = 1.0  # grey levels: a corner pixel that is black in every training image is not blown up


def normalization_stats(mode: str, train_images: torch.Tensor | None = None) -> tuple:
    """(shift, scale) so that x = (raw - shift) / scale, for raw uint8 pixels: floats, or for PIXEL two
    (28, 28) tensors (the per-pixel mean and std) that a checkpoint cannot store."""
    if mode == PIXEL:
        if train_images is None:
            raise ValueError("per-pixel statistics need the training images")
        x = train_images.float()
        return x.mean(0), x.std(0).clamp_min(PIXEL_MIN_STD)
    if mode == "none":
        return 0.0, 1.0
    if mode == "unit":
        return 0.0, 255.0
    if mode == "half":
        return 127.5, 127.5
    if mode == "standard":
        if train_images is None:
            return 0.2860 * 255, 0.3530 * 255  # Fashion-MNIST training set, measured
        x = train_images.float()
        return float(x.mean()), float(x.std())
    raise ValueError(f"unknown normalization {mode!r}; choose from {list(NORMALIZATIONS)}")


def normalize(raw: torch.Tensor, shift: float, scale: float) -> torch.Tensor:
    """Float (N, 1, 28, 28) from uint8 (N, 28, 28)."""
    return ((raw.float() - shift) / scale).unsqueeze(1)


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(description="Find or download Fashion-MNIST and check it.")
    p.add_argument("--download", action="store_true", help="download into the cache if missing")
    p.add_argument("--data-dir", default=None)
    args = p.parse_args(argv)

    from fmnist_core.engine.terminal import DownloadBars

    show = DownloadBars()
    try:
        data = load_fashion_mnist("cpu", args.data_dir, args.download, show)
    except DatasetError as e:
        print(f"error: {e}")
        return 1
    finally:
        show.close()
    print(f"OK: {len(data.train_labels)} train + {len(data.test_labels)} test images from {data.source}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
