"""With no dataset on the machine, the app explains the options and downloads it with a progress bar."""
import hashlib
import http.server
import threading

import pytest
from streamlit.testing.v1 import AppTest

from fmnist_core.fashion import dataset as fashion


@pytest.fixture
def no_data(tmp_path, monkeypatch):
    import ui.kit.common

    monkeypatch.delenv("FMNIST_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    real_dir = fashion.DEBIAN_DIR
    monkeypatch.setattr(fashion, "DEBIAN_DIR", tmp_path / "no-debian")
    ui.kit.common._load.clear()
    yield real_dir
    ui.kit.common._load.clear()


def test_home_explains_options_without_data(no_data):
    at = AppTest.from_file("../../app.py", default_timeout=60).run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown) + " ".join(w.value for w in at.warning)
    assert "not on this machine" in text and "apt-get install dataset-fashion-mnist" in text
    assert "FMNIST_DATA_DIR" in text
    assert any("Download" in b.label for b in at.button)


def test_download_button_fetches_and_loads(no_data, monkeypatch):
    real_dir = no_data
    if not (real_dir / "t10k-labels-idx1-ubyte.gz").exists():
        pytest.skip("needs Debian's dataset-fashion-mnist to serve")
    # Serve the real (Debian-recompressed) files from 127.0.0.1; their MD5s stand in for the official ones.
    files = {f"{n}.gz": (real_dir / f"{n}.gz").read_bytes() for n in fashion.FILES}
    monkeypatch.setattr(fashion, "FILES", {n: (s, k, c, hashlib.md5(files[f"{n}.gz"]).hexdigest())
                                           for n, (s, k, c, _) in fashion.FILES.items()})

    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = files[self.path.strip("/")]
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    monkeypatch.setenv("FMNIST_MIRROR", f"http://127.0.0.1:{srv.server_address[1]}/")
    try:
        at = AppTest.from_file("../../app.py", default_timeout=120).run()
        next(b for b in at.button if "Download" in b.label).click().run()
        assert not at.exception
        cached = fashion.cache_dir()
        assert sorted(p.name for p in cached.iterdir()) == sorted(files)
        at.run()
        captions = " ".join(c.value for c in at.caption)
        assert "60,000 training" in captions  # the examples row renders from the downloaded copy
    finally:
        srv.shutdown()
