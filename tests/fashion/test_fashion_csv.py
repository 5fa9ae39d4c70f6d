"""Kaggle's CSV files: found where the IDX files are looked for, validated, parsed once and cached."""
import os
from pathlib import Path

import numpy as np
import pytest

from fmnist_core.fashion import dataset as fashion, kaggle_csv as fashion_csv
from fmnist_core.fashion.dataset import CSV_FILES, DatasetError
from fmnist_core.fashion.kaggle_csv import HEADER, parse_csv

from .test_fashion import write_dataset

SMALL = {"fashion-mnist_train.csv": ("train", 30), "fashion-mnist_test.csv": ("test", 10)}


def csv_rows(n: int, seed: int = 0) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 10
    pixels = rng.integers(0, 256, size=(n, 784))
    return [[str(v) for v in [lab, *row]] for lab, row in zip(labels, pixels)]


def write_csv(path: Path, rows: list[list[str]], header: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ([",".join(HEADER)] if header else []) + [",".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_csv_dataset(folder: Path, seed: int = 0, **overrides) -> Path:
    for name, (_, count) in SMALL.items():
        write_csv(folder / name, overrides.get(name, csv_rows(count, seed)))
    return folder


def parsed(path: Path) -> tuple[np.ndarray, np.ndarray]:
    rows = np.array([[int(v) for v in line.split(",")] for line in path.read_text().splitlines()[1:]])
    return rows[:, 1:].reshape(-1, 28, 28), rows[:, 0]


@pytest.fixture
def small(monkeypatch, tmp_path):
    """Small expected counts, a private cache and no Debian fallback."""
    monkeypatch.setattr(fashion, "CSV_FILES", SMALL)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("FMNIST_DATA_DIR", raising=False)
    monkeypatch.setattr(fashion, "DEBIAN_DIR", tmp_path / "no-debian")
    fashion._LOADED.clear()
    yield tmp_path
    fashion._LOADED.clear()


def cached_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "xdg").rglob("*.npz"))


def test_good_csv_files_load_through_the_loader(small):
    folder = write_csv_dataset(small / "kaggle")
    data = fashion.load_fashion_mnist("cpu", data_dir=folder)
    images, labels = parsed(folder / "fashion-mnist_train.csv")
    assert data.train_images.shape == (30, 28, 28) and data.test_labels.shape == (10,)
    assert data.train_images.dtype.is_floating_point is False
    np.testing.assert_array_equal(data.train_images.numpy(), images)  # pixel k is row k // 28, column k % 28
    np.testing.assert_array_equal(data.train_labels.numpy(), labels)
    assert fashion.status(folder)[1] == f"Fashion-MNIST Kaggle CSV files in {folder}"
    assert len(cached_files(small)) == 2


def test_parsed_once_then_read_from_the_cache(small, monkeypatch):
    folder = write_csv_dataset(small / "kaggle")
    first = fashion.read_arrays(folder)

    def no_parsing(*a, **k):
        raise AssertionError("parsed again although the cache matches the file")

    monkeypatch.setattr(fashion_csv, "parse_csv", no_parsing)
    again = fashion.read_arrays(folder)
    for k in first:
        np.testing.assert_array_equal(first[k], again[k])
        assert again[k].dtype == np.uint8


def test_a_changed_csv_is_parsed_again(small):
    folder = write_csv_dataset(small / "kaggle", seed=0)
    before = fashion.read_arrays(folder)["test_images"]
    path = write_csv(folder / "fashion-mnist_test.csv", csv_rows(10, seed=1))
    os.utime(path, ns=(1, 2))  # a new stamp even within the file system's time resolution
    after = fashion.read_arrays(folder)["test_images"]
    np.testing.assert_array_equal(after, parsed(path)[0])
    assert not np.array_equal(before, after)


def test_a_damaged_cache_file_is_replaced(small):
    folder = write_csv_dataset(small / "kaggle")
    fashion.read_arrays(folder)
    for f in cached_files(small):
        f.write_bytes(b"not an npz file")
    arrays = fashion.read_arrays(folder)
    np.testing.assert_array_equal(arrays["train_labels"], parsed(folder / "fashion-mnist_train.csv")[1])
    assert all(f.stat().st_size > 1000 for f in cached_files(small))


def _bad(row_index: int, col: int, value: str):
    rows = csv_rows(10)
    rows[row_index][col] = value
    return rows


@pytest.mark.parametrize("rows,header,match", [
    ([r[:-1] if i == 3 else r for i, r in enumerate(csv_rows(10))], True,
     r"line 5 \(image 4\) has 784 values, expected 785"),
    (_bad(2, 0, "10"), True, r"line 4 \(image 3\): label 10 is outside 0-9"),
    (_bad(0, 0, "-1"), True, r"line 2 \(image 1\): label -1 is outside 0-9"),
    (_bad(6, 100, "256"), True, r"line 8 \(image 7\): column pixel100: pixel 256 is outside 0-255"),
    (_bad(1, 5, "-3"), True, r"line 3 \(image 2\): column pixel5: pixel -3 is outside 0-255"),
    (_bad(9, 784, "70000"), True, r"line 11 \(image 10\): column pixel784: pixel 70000 is outside 0-255"),
    (_bad(4, 7, "1.5"), True, r"line 6 \(image 5\): column pixel7: '1.5' is not a whole number"),
    (_bad(4, 7, "abc"), True, r"line 6 \(image 5\): column pixel7: 'abc' is not a whole number"),
    ([r + ["0"] if i == 8 else r for i, r in enumerate(csv_rows(10))], True, r"line 10 \(image 9\) has 786 values"),
    (csv_rows(10)[:5] + [[]] + csv_rows(10)[5:9], True, r"line 7 \(image 6\) is empty"),
    (csv_rows(10), False, r"line 1 holds numbers, not the header: the file has no header row"),
    (csv_rows(9), True, r"holds 9 images \(lines 2-10\), expected 10; the file is truncated"),
    (csv_rows(11), True, r"holds 11 images \(lines 2-12\), expected 10; the file is too long"),
])
def test_bad_csv_is_refused_naming_file_row_and_fix_and_nothing_is_cached(small, rows, header, match):
    folder = write_csv_dataset(small / "kaggle")
    write_csv(folder / "fashion-mnist_test.csv", rows, header=header)
    with pytest.raises(DatasetError, match=match) as e:
        fashion.load_fashion_mnist("cpu", data_dir=folder)
    msg = str(e.value)
    assert msg.startswith(str(folder / "fashion-mnist_test.csv")) and "Fix:" in msg
    assert not [f for f in cached_files(small) if "test" in f.name]
    assert not list((small / "xdg").rglob("*.part"))


def test_wrong_header_and_empty_file(small, tmp_path):
    path = tmp_path / "h" / "fashion-mnist_test.csv"
    write_csv(path, csv_rows(10))
    path.write_text(path.read_text().replace("pixel784", "pixel785", 1))
    with pytest.raises(DatasetError, match="expected the header 'label,pixel1,...,pixel784'.*Fix: correct line 1"):
        parse_csv(path, 10)
    path.write_text("")
    with pytest.raises(DatasetError, match="the file is empty"):
        parse_csv(path, 10)


def test_windows_line_endings_and_excel_bom_are_accepted(small, tmp_path):
    path = write_csv(tmp_path / "w" / "fashion-mnist_test.csv", csv_rows(10))
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    images, labels = parse_csv(path, 10)
    assert images.shape == (10, 28, 28) and labels.tolist() == list(range(10))


def test_both_formats_in_one_directory_the_idx_files_win(small):
    folder = write_dataset(small / "both", gz=False)  # IDX files: train pixels are k % 256
    write_csv_dataset(folder)  # Kaggle's archive holds both formats side by side
    assert fashion.dataset_format(folder) == "idx"
    data = fashion.load_fashion_mnist("cpu", data_dir=folder)
    assert len(data.train_labels) == 60000  # the IDX files' count, not the CSV's 30
    assert not cached_files(small)  # the CSVs were not even parsed


def test_search_order_is_by_place_then_format(small, monkeypatch):
    csv_dir, idx_dir = write_csv_dataset(small / "csv"), write_dataset(small / "idx", gz=False)
    monkeypatch.setenv("FMNIST_DATA_DIR", str(idx_dir))
    assert fashion.locate(csv_dir) == csv_dir  # the directory passed in comes first, whatever its format
    monkeypatch.setenv("FMNIST_DATA_DIR", str(csv_dir))
    assert fashion.locate() == csv_dir  # CSVs alone are found through the variable
    monkeypatch.delenv("FMNIST_DATA_DIR")
    write_csv_dataset(small / "xdg" / "fmnist-dashboard")
    assert fashion.locate() == small / "xdg" / "fmnist-dashboard"  # and in the cache


def test_a_named_directory_without_either_format_says_both(small, monkeypatch):
    folder = small / "half"
    write_csv(folder / "fashion-mnist_train.csv", csv_rows(30))  # the test CSV is missing
    monkeypatch.setenv("FMNIST_DATA_DIR", str(folder))
    with pytest.raises(DatasetError, match=r"lacks .*fashion-mnist_train.csv and fashion-mnist_test.csv"):
        fashion.locate()


def test_real_test_split_round_trips_through_csv(fmnist, tmp_path):
    """The real 10,000 test images written as Kaggle's CSV parse back to the same uint8 arrays."""
    images, labels = fmnist.test_images.numpy(), fmnist.test_labels.numpy()
    table = np.concatenate([labels[:, None], images.reshape(len(images), -1)], axis=1)
    path = tmp_path / "fashion-mnist_test.csv"
    np.savetxt(path, table, fmt="%d", delimiter=",", header=",".join(HEADER), comments="")
    got_images, got_labels = parse_csv(path, CSV_FILES["fashion-mnist_test.csv"][1])
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)
