"""Shared fixtures: the real dataset, a live Streamlit server, and a headless chromium page."""
from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from bench.st_server import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, ROOT, StreamlitServer  # noqa: F401 (ROOT: for tests)

# Tests keep each browser's runs in the artifacts folder, not in the repository's runs/ (a server
# started by a test inherits it); tests that need their own store set FMNIST_DATA_STORE themselves.
os.environ.setdefault("FMNIST_DATA_STORE", str(ARTIFACTS / "store"))
torch.set_num_threads(1)  # tests run beside other processes; one thread is steadier

BROWSER_FIXTURES = {"page", "browser", "app_server"}  # a real chromium, or a live server for one


def pytest_collection_modifyitems(config, items):
    """Refuse a run in which a test uses chromium or the live server without the `browser` marker:
    `-m "not browser"` must never launch a browser."""
    unmarked = [item.nodeid for item in items
                if BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())) and not item.get_closest_marker("browser")]
    if unmarked:
        raise pytest.UsageError("mark these tests @pytest.mark.browser (they use "
                                f"{', '.join(sorted(BROWSER_FIXTURES))}):\n  " + "\n  ".join(unmarked))


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05, what: str = ""):
    """Poll `predicate()` until it returns something truthy, and return that; fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what or getattr(predicate, '__name__', 'the condition')} still false "
                                 f"after {timeout:g} s (last value: {value!r})")
        time.sleep(interval)


def poll_until(at, done, timeout: float = 60.0, every: float = 0.5) -> None:
    """Rerun an AppTest like a polling fragment does (each run beats the page's job) until `done(at)`;
    AppTest never fires `run_every` itself."""
    t0 = time.monotonic()
    while not done(at):
        assert time.monotonic() - t0 < timeout, f"the page did not get there within {timeout:g} s"
        time.sleep(every)  # the fragment's polling interval
        at.run()
        assert not at.exception, at.exception


@pytest.fixture(scope="session")
def fmnist():
    """The real Fashion-MNIST on the CPU (Debian's package on CI)."""
    from fmnist_core.fashion.dataset import load_fashion_mnist

    return load_fashion_mnist("cpu")


@pytest.fixture(scope="session")
def fmnist_small(fmnist):
    """A 6,000/1,000 subset of the real data, for trainers that must finish in seconds."""
    from fmnist_core.fashion.dataset import FashionMNIST

    return FashionMNIST(fmnist.train_images[:6000], fmnist.train_labels[:6000],
                        fmnist.test_images[:1000], fmnist.test_labels[:1000], source=fmnist.source)


Server = StreamlitServer


def start_server(env_extra: dict | None = None, name: str = "server") -> StreamlitServer:
    """A Streamlit server of this checkout on a free port (bench/st_server.py)."""
    return StreamlitServer(env=env_extra, name=name)


def stop_server(server: StreamlitServer) -> None:
    server.stop()


@pytest.fixture(scope="session")
def app_server():
    server = start_server()
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def browser():
    pw_mod = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    with pw_mod.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh 1280x720 tab (projector size) that records console errors in `page.console_errors`."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    pg = ctx.new_page()
    pg.console_errors = []
    pg.on("console", lambda m: pg.console_errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))
    yield pg
    ctx.close()


def open_page(page, server: Server, path: str = "", query: str = "", timeout: float = 30_000):
    """Open an app page (url path such as 'training') and wait until Streamlit finished running it."""
    url = f"{server.url}/{path}" + (f"?{query}" if query else "")
    page.goto(url)
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout)
    # The router's bare page list can show before the first script run has even started.
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stApp\"]')?.dataset.testScriptState === 'notRunning'",
        timeout=timeout)
    wait_idle(page, timeout)
    return page


def wait_idle(page, timeout: float = 30_000) -> None:
    """Wait for the script run to finish (the status widget's 'Running' disappears)."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText.includes('Running')",
        timeout=timeout,
    )
    page.wait_for_timeout(300)


def screenshot(page, name: str, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def real_console_errors(page) -> list[str]:
    """Console errors, less the ones a sandbox without network always shows."""
    ignore = ("net::ERR_", "Failed to load resource", "favicon", "webhook", "ERR_NAME_NOT_RESOLVED")
    return [e for e in page.console_errors if not any(s in e for s in ignore)]


# --------------------------------------------------------------------------- AppTest helpers


def open_app(page: str, query: dict | None = None, timeout: float = 120):
    """AppTest of `page` through the router (app.py), opened with these link parameters."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.switch_page(page)
    for name, v in (query or {}).items():
        at.query_params[name] = v
    return at.run()


@pytest.fixture
def own_runs_dir(tmp_path, monkeypatch):
    """An empty runs dir for the test: no saved runs, nothing cached on disk (pages 7 and 9 use it for every test:
    `pytestmark = pytest.mark.usefixtures("own_runs_dir")`)."""
    monkeypatch.setenv("FMNIST_RUNS_DIR", str(tmp_path))
    return tmp_path


def open_app_with(page: str, query: dict | None = None, state: dict | None = None, timeout: float = 180):
    """AppTest of `page` through the router, opened with these link parameters and session state; no exception."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    for k, v in (state or {}).items():
        at.session_state[k] = v
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def wait_for_job(job, seconds: float = 120) -> None:
    """Wait for a background job that an AppTest started, beating its heartbeat as the polling page would
    (AppTest does not fire run_every); it must end done."""
    deadline = time.monotonic() + seconds
    while job.active and time.monotonic() < deadline:
        job.beat()
        job.wait(0.5)
    assert job.state == "done", job.error


def chart_spec(at, kind: str) -> dict:
    """The figure JSON of the plotly chart whose key contains `kind`."""
    import json

    for c in at.get("plotly_chart"):
        if kind in c.proto.id:
            return json.loads(c.proto.spec)
    raise AssertionError(f"no chart {kind}; ids: {[c.proto.id for c in at.get('plotly_chart')]}")


def charts_on_page(at, name: str = "fmnist_live_chart") -> list[dict]:
    """The data each live chart was mounted with (AppTest sees the component as an unknown element)."""
    def walk(node):
        if getattr(node, "type", None) == "bidi_component":
            yield node
        for child in getattr(node, "children", {}).values():
            yield from walk(child)
    return [json.loads(n.proto.json) for n in walk(at._tree) if n.proto.component_name == name]


def chart_on_page(at, title: str = "") -> dict:
    """The one live chart whose first panel's title starts with `title`."""
    found = [c for c in charts_on_page(at) if c["panels"][0]["title"].startswith(title)]
    assert len(found) == 1, [c["panels"][0]["title"] for c in charts_on_page(at)]
    return found[0]


def arr(v) -> np.ndarray:
    """A plotly array from figure JSON: a list, or plotly 6+'s typed {'dtype', 'bdata', 'shape'}."""
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        return a.reshape([int(n) for n in str(v["shape"]).split(",")]) if "shape" in v else a
    return np.asarray(v, dtype=float)
