"""The data layer: real files, IDX files the tests write (good and broken), the download path."""
import gzip
import hashlib
import http.server
import threading
from pathlib import Path

import numpy as np
import pytest

from fmnist_core.fashion import dataset as fashion
from fmnist_core.fashion.dataset import CLASS_NAMES, FILES, DatasetError, read_idx


def test_real_dataset_shapes_and_balance(fmnist):
    assert fmnist.train_images.shape == (60000, 28, 28) and fmnist.train_images.dtype.is_floating_point is False
    assert fmnist.test_images.shape == (10000, 28, 28)
    assert fmnist.train_labels.bincount().tolist() == [6000] * 10
    assert fmnist.test_labels.bincount().tolist() == [1000] * 10
    assert len(CLASS_NAMES) == 10 and CLASS_NAMES[9] == "Ankle boot"


def idx_bytes(kind: str, n: int, magic: int | None = None, labels=None) -> bytes:
    magic = magic if magic is not None else fashion.IDX_MAGIC[kind]
    if kind == "images":
        head = magic.to_bytes(4, "big") + n.to_bytes(4, "big") + (28).to_bytes(4, "big") * 2
        body = (np.arange(n * 784) % 256).astype(np.uint8).tobytes()
    else:
        head = magic.to_bytes(4, "big") + n.to_bytes(4, "big")
        body = (np.arange(n) % 10 if labels is None else np.asarray(labels)).astype(np.uint8).tobytes()
    return head + body


def write_dataset(folder: Path, gz=True, **overrides) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (_, kind, count, _) in FILES.items():
        raw = overrides.get(name, idx_bytes(kind, count))
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(raw, compresslevel=1))
        else:
            (folder / name).write_bytes(raw)
    return folder


def test_written_good_files_load(tmp_path):
    folder = write_dataset(tmp_path / "d")
    data = fashion.load_fashion_mnist("cpu", data_dir=folder)
    assert data.train_images.shape == (60000, 28, 28) and data.test_labels.shape == (10000,)
    assert int(data.train_images[0, 0, 5]) == 5  # pixel i*28+j is row i, column j


def test_uncompressed_files_load(tmp_path):
    folder = write_dataset(tmp_path / "raw", gz=False)
    arrays = fashion.read_arrays(folder)
    assert arrays["test_images"].shape == (10000, 28, 28)


@pytest.mark.parametrize("problem,raw,match", [
    ("wrong magic", idx_bytes("labels", 10000, magic=0x0803), "wrong magic number"),
    ("truncated", idx_bytes("labels", 10000)[:-7], "expected 10008"),
    ("wrong count", idx_bytes("labels", 9999), "holds 9999 labels, expected 10000"),
    ("label 10", idx_bytes("labels", 10000, labels=[10] + [0] * 9999), "label 10 at index 0 is outside 0-9"),
    ("header only", b"\x00\x00", "truncated"),
])
def test_broken_files_name_file_problem_and_fix(tmp_path, problem, raw, match):
    folder = write_dataset(tmp_path / "b", **{"t10k-labels-idx1-ubyte": raw})
    with pytest.raises(DatasetError, match=match) as e:
        fashion.read_arrays(folder)
    msg = str(e.value)
    assert "t10k-labels-idx1-ubyte" in msg and "Fix:" in msg


def test_not_gzip_is_reported(tmp_path):
    folder = write_dataset(tmp_path / "g")
    (folder / "train-images-idx3-ubyte.gz").write_bytes(b"this is not gzip")
    with pytest.raises(DatasetError, match="cannot be read or decompressed"):
        read_idx(folder / "train-images-idx3-ubyte.gz", "images", 60000)


def test_named_dir_missing_files_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("FMNIST_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(DatasetError, match=r"\$FMNIST_DATA_DIR .* lacks"):
        fashion.locate()


def test_search_order(tmp_path, monkeypatch):
    a, b = write_dataset(tmp_path / "a"), write_dataset(tmp_path / "b")
    monkeypatch.setenv("FMNIST_DATA_DIR", str(b))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert fashion.locate(a) == a  # the directory passed in first
    assert fashion.locate() == b  # then the variable
    monkeypatch.delenv("FMNIST_DATA_DIR")
    write_dataset(tmp_path / "cache" / "fmnist-dashboard")
    assert fashion.locate() == tmp_path / "cache" / "fmnist-dashboard"  # then the cache


def test_nothing_found_message_lists_options(tmp_path, monkeypatch):
    monkeypatch.delenv("FMNIST_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(fashion, "DEBIAN_DIR", tmp_path / "no-debian")
    with pytest.raises(DatasetError) as e:
        fashion.load_fashion_mnist("cpu")
    assert "apt-get install dataset-fashion-mnist" in str(e.value) and "FMNIST_DATA_DIR" in str(e.value)


# --------------------------------------------------------------------------- downloads

class _Handler(http.server.BaseHTTPRequestHandler):
    files: dict = {}
    drop_after: dict = {}

    def do_GET(self):
        name = self.path.strip("/")
        if name not in self.files:
            self.send_error(404)
            return
        body = self.files[name]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        cut = self.drop_after.get(name)
        self.wfile.write(body if cut is None else body[:cut])
        if cut is not None:
            self.wfile.flush()
            self.connection.close()

    def log_message(self, *a):
        pass


@pytest.fixture
def http_server():
    """A local HTTP server on 127.0.0.1 serving files the test sets."""
    _Handler.files, _Handler.drop_after = {}, {}
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv, f"http://127.0.0.1:{srv.server_address[1]}/"
    srv.shutdown()


def _serve_small(monkeypatch, tmp_path):
    """Serve small gz files and make their MD5s the 'official' ones."""
    files, md5s = {}, {}
    for name, (split, kind, _, _) in FILES.items():
        gz = gzip.compress(idx_bytes(kind, 100 if split == "train" else 10))
        files[f"{name}.gz"] = gz
        md5s[name] = hashlib.md5(gz).hexdigest()
    monkeypatch.setattr(fashion, "FILES", {n: (s, k, c, md5s[n]) for n, (s, k, c, _) in FILES.items()})
    return files


def test_download_good_files_with_progress(http_server, tmp_path, monkeypatch):
    _, url = http_server
    _Handler.files = _serve_small(monkeypatch, tmp_path)
    seen = []
    dest = fashion.download(tmp_path / "cache", base_url=url, progress=lambda n, d, t: seen.append((n, d, t)))
    assert sorted(p.name for p in dest.iterdir()) == sorted(_Handler.files)
    assert seen[-1][1] == seen[-1][2] > 0
    assert not list(dest.glob("*.part"))


def test_download_wrong_checksum_keeps_nothing(http_server, tmp_path, monkeypatch):
    _, url = http_server
    files = _serve_small(monkeypatch, tmp_path)
    files["t10k-images-idx3-ubyte.gz"] = b"tampered" + files["t10k-images-idx3-ubyte.gz"]
    _Handler.files = files
    with pytest.raises(DatasetError, match="does not match the official"):
        fashion.download(tmp_path / "cache", base_url=url)
    assert not (tmp_path / "cache" / "t10k-images-idx3-ubyte.gz").exists()
    assert not list((tmp_path / "cache").glob("*.part"))


def test_download_dropped_connection_keeps_nothing(http_server, tmp_path, monkeypatch):
    _, url = http_server
    _Handler.files = _serve_small(monkeypatch, tmp_path)
    _Handler.drop_after = {"train-labels-idx1-ubyte.gz": 20}
    with pytest.raises(DatasetError, match="train-labels"):
        fashion.download(tmp_path / "cache", base_url=url)
    names = [p.name for p in (tmp_path / "cache").iterdir()]
    assert "train-labels-idx1-ubyte.gz" not in names and not [n for n in names if n.endswith(".part")]


def test_download_unreachable_server_says_what_to_do(tmp_path):
    with pytest.raises(DatasetError, match="download failed.*dataset-fashion-mnist"):
        fashion.download(tmp_path / "cache", base_url="http://127.0.0.1:9/", timeout=2)


def test_normalization_stats(fmnist):
    shift, scale = fashion.normalization_stats("standard", fmnist.train_images)
    assert abs(shift / 255 - 0.2860) < 1e-3 and abs(scale / 255 - 0.3530) < 1e-3
    x = fashion.normalize(fmnist.train_images[:5000], shift, scale)
    assert x.shape == (5000, 1, 28, 28) and abs(float(x.mean())) < 0.05
    assert fashion.normalization_stats("half") == (127.5, 127.5)
