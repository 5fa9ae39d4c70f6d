from streamlit.testing.v1 import AppTest

from ui.views.page_registry import PAGES


def test_home_page_renders():
    at = AppTest.from_file("../../app.py", default_timeout=60).run()
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
        assert PAGES["activations"].title in side and "Device:" in side
        page.close()
    finally:
        stop_server(server)
