import subprocess
import sys

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


def test_core_never_imports_streamlit():
    code = ("import sys, importlib, pkgutil, fmnist_core\n"
            "for m in pkgutil.iter_modules(fmnist_core.__path__):\n"
            "    importlib.import_module('fmnist_core.' + m.name)\n"
            "assert 'streamlit' not in sys.modules, 'fmnist_core imported streamlit'\n")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_home_page_renders():
    at = AppTest.from_file("../app.py", default_timeout=60).run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "Decision boundaries" in text and "Fashion-MNIST" in text
    assert any("Device" in c.value for c in at.sidebar.caption)


import pytest


@pytest.mark.browser
def test_direct_link_on_a_fresh_server_goes_through_the_router(browser):
    """A shared link opened first on a new server must still get app.py's sidebar and settings."""

    from tests.conftest import start_server, stop_server, wait_idle

    server = start_server(name="fresh-direct-link")
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(f"{server.url}/activations")
        page.wait_for_selector("[data-testid='stSidebar'] >> text=Device:", timeout=60_000)
        wait_idle(page, 60_000)
        side = page.locator("[data-testid='stSidebar']").inner_text()
        assert "1 · Neurons & activations" in side and "Device:" in side
        page.close()
    finally:
        stop_server(server)
