"""Kaggle's Fashion-MNIST CSV files: parse once, validate, cache as uint8 arrays.

`fashion-mnist_train.csv` / `fashion-mnist_test.csv`: a header `label,pixel1,...,pixel784`, then one
image per line (60,000 and 10,000 lines). Parsing 133 MB of text takes seconds, so the validated
arrays are cached in `<cache>/parsed/*.npz` (written atomically, keyed by the CSV's path, size and
modification time); a bad file raises `DatasetError` and leaves nothing in the cache.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from fmnist_core.engine.atomic import write_atomic
from fmnist_core.fashion.files import IMAGE_SIZE, NUM_CLASSES, DatasetError, cache_dir

PIXELS = IMAGE_SIZE * IMAGE_SIZE
HEADER = ["label"] + [f"pixel{i}" for i in range(1, PIXELS + 1)]
COLUMNS = len(HEADER)  # 785


def _fix(path: Path, line: int | None = None) -> str:
    where = f"correct line {line} of {path.name}" if line else f"replace {path.name}"
    return (f"Fix: {where} (or download the file again from Kaggle's Fashion-MNIST dataset), or move the "
            f"CSV files away and use the official IDX files.")


def _where(line: int) -> str:
    return f"line {line} (image {line - 1})"


def check_header(path: Path) -> None:
    """Raise DatasetError unless the first line is `label,pixel1,...,pixel784`."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            first = f.readline().rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as e:
        raise DatasetError(f"{path}: cannot be read as text ({e}). {_fix(path)}") from e
    fields = [s.strip() for s in first.split(",")]
    if fields == HEADER:
        return
    if first == "":
        raise DatasetError(f"{path}: the file is empty. {_fix(path)}")
    if all(s.lstrip("-").isdigit() for s in fields if s):
        raise DatasetError(
            f"{path}: line 1 holds numbers, not the header: the file has no header row. "
            f"Fix: add the line 'label,pixel1,pixel2,...,pixel784' at the top of {path.name} (Kaggle's files "
            f"have it).")
    shown = first if len(first) <= 60 else first[:57] + "..."
    raise DatasetError(
        f"{path}: line 1 is {shown!r}, expected the header 'label,pixel1,...,pixel784' ({COLUMNS} columns). "
        f"{_fix(path, 1)}")


def _value_problem(col: int, value: int) -> str | None:
    if col == 0 and not 0 <= value < NUM_CLASSES:
        return f"label {value} is outside 0-9"
    if col > 0 and not 0 <= value <= 255:
        return f"column {HEADER[col]}: pixel {value} is outside 0-255"
    return None


def _first_bad_line(path: Path) -> tuple[int, str] | None:
    """(line, problem) of the first malformed line; a slow scan, run only after the fast parser refused."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        next(f, None)  # the header, already checked
        for line_no, text in enumerate(f, start=2):
            fields = text.rstrip("\r\n").split(",")
            if fields == [""]:
                return line_no, "is empty"
            if len(fields) != COLUMNS:
                return line_no, f"has {len(fields)} values, expected {COLUMNS} (label + 784 pixels)"
            for col, s in enumerate(fields):
                try:
                    problem = _value_problem(col, int(s))
                except ValueError:
                    problem = f"column {HEADER[col]}: {s.strip()!r} is not a whole number"
                if problem:
                    return line_no, problem
    return None


def _refuse(path: Path, line: int, problem: str) -> DatasetError:
    sep = " " if problem.startswith(("is ", "has ")) else ": "
    return DatasetError(f"{path}: {_where(line)}{sep}{problem}. {_fix(path, line)}")


def parse_csv(path: Path, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Validated uint8 images (count, 28, 28) and labels (count,) from one Kaggle CSV file."""
    import pandas as pd

    path = Path(path)
    check_header(path)
    try:
        # int16 holds every valid value and makes pandas refuse (not wrap) anything larger.
        table = pd.read_csv(path, dtype=np.int16, skip_blank_lines=False, encoding="utf-8-sig",
                            engine="c").to_numpy()
    except (ValueError, OverflowError) as e:  # pandas' ParserError is a ValueError
        try:
            found = _first_bad_line(path)
        except (OSError, UnicodeDecodeError):
            found = None
        if found:
            raise _refuse(path, *found) from e
        raise DatasetError(f"{path}: cannot be parsed ({str(e).strip()}). {_fix(path)}") from e
    rows = len(table)
    if rows != count:
        span = f" (lines 2-{rows + 1})" if rows else ""
        raise DatasetError(
            f"{path}: holds {rows} images{span}, expected {count}; the file is "
            f"{'truncated' if rows < count else 'too long'}. {_fix(path)}")
    labels, pixels = table[:, 0], table[:, 1:]
    bad = np.flatnonzero((labels < 0) | (labels >= NUM_CLASSES))
    if len(bad):
        raise _refuse(path, int(bad[0]) + 2, _value_problem(0, int(labels[bad[0]])))
    out = (pixels < 0) | (pixels > 255)
    if out.any():
        r, c = np.argwhere(out)[0]
        raise _refuse(path, int(r) + 2, _value_problem(int(c) + 1, int(pixels[r, c])))
    return pixels.astype(np.uint8).reshape(count, IMAGE_SIZE, IMAGE_SIZE), labels.astype(np.uint8)


# --------------------------------------------------------------------------- the parsed cache

def cache_path(path: Path) -> Path:
    """Where the parsed arrays of `path` are cached: one file per CSV path."""
    key = hashlib.sha1(str(Path(path).resolve()).encode()).hexdigest()[:12]
    return cache_dir() / "parsed" / f"{Path(path).stem}-{key}.npz"


def _stamp(path: Path) -> np.ndarray:
    st = path.stat()
    return np.array([st.st_size, st.st_mtime_ns], dtype=np.int64)


def _read_cached(path: Path, count: int) -> tuple[np.ndarray, np.ndarray] | None:
    cached = cache_path(path)
    try:
        with np.load(cached, allow_pickle=False) as z:
            if not np.array_equal(z["stamp"], _stamp(path)):
                return None  # the CSV changed since it was parsed
            images, labels = z["images"], z["labels"]
    except (OSError, KeyError, ValueError, EOFError):  # no cache yet, or a damaged one: parse again
        return None
    if (images.dtype != np.uint8 or labels.dtype != np.uint8 or images.shape != (count, IMAGE_SIZE, IMAGE_SIZE)
            or labels.shape != (count,) or labels.max(initial=0) >= NUM_CLASSES):
        return None
    return images, labels


def _write_cached(path: Path, images: np.ndarray, labels: np.ndarray, stamp: np.ndarray) -> None:
    try:  # uncompressed: loads in ~0.1 s
        write_atomic(cache_path(path), lambda f: np.savez(f, images=images, labels=labels, stamp=stamp))
    except OSError:
        pass  # a read-only cache only costs speed


def load_csv(path: Path, count: int) -> tuple[np.ndarray, np.ndarray]:
    """(images, labels) of one CSV file: from the parsed cache when it matches the file, else parsed."""
    path = Path(path)
    cached = _read_cached(path, count)
    if cached is not None:
        return cached
    stamp = _stamp(path)
    images, labels = parse_csv(path, count)  # raises before anything is cached
    if np.array_equal(stamp, _stamp(path)):  # not rewritten while we read it
        _write_cached(path, images, labels, stamp)
    return images, labels
