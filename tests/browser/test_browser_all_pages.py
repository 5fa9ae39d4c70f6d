"""Every page of the app, in a real browser and in AppTest: it opens, and hostile links cannot break it.

- Each page at projector size (1280x720) and laptop size (1440x900): no Streamlit exception
  element, no browser console error, a title on the page, screenshots in test-artifacts/ for a
  person to look at: `allpages-<page>-<size>.png` (the first screen, as projected) and
  `allpages-<page>-<size>-whole.png` (the whole page).
- Each page opened from a link full of garbage, out-of-range and hostile query parameters, under
  common names and under each of the page's own link names (NaN, huge numbers, 1e309, empty
  lists, `<script>`, an `onerror` image, a 5000-character value): it still loads, shows no
  exception or console error, and nothing from the link runs (no alert dialog, no injected
  element). The same links in AppTest, without a browser.
"""
from __future__ import annotations

import functools
from urllib.parse import urlencode

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT, open_page, real_console_errors, screenshot, wait_idle

EXPECTED = {"home", "activations", "boundaries", "initialization", "training", "sketch"}
SIZES = {"1280x720": (1280, 720), "1440x900": (1440, 900)}

# Names any page may read from its link (the training page's schema and the likely ones of the
# others), each with a value a page must survive: garbage, out of range, non-finite, hostile.
HOSTILE = {
    "lr": "nan", "units": "99999", "hidden": "-5,0,1e9,abc", "activations": ",,,", "activation": "../../etc/passwd",
    "dataset": "<script>alert(1)</script>", "seed": "-1e309", "epochs": "inf", "batch": "0", "budget": "-1",
    "init": "<img src=x onerror=alert(2)>", "model": "javascript:alert(3)", "optimizer": "\"><svg onload=alert(4)>",
    "noise": "1e308", "depth": "-3", "width": "0x41", "std": "-0.0", "dropout": "2", "wd": "1e-400",
    "schedule": "%00", "norm": "Ω≈ç√∫", "until": "", "x": "'; DROP TABLE runs; --", "steps": "999999999999999999999",
    "page": "training", "image": "A" * 5000,
}
PAYLOAD_MARKERS = ("alert(", "onerror", "onload", "<script", "javascript:")
# Each page's own link names (found by opening it once) get one of these in turn.
NASTY = ("nan", "-1e309", "1e308", "99999999999999999999", "<script>alert(5)</script>", ",,,", "", "-0", "0x1F",
         "<img src=x onerror=alert(6)>", "B" * 3000, "-7", "1,2,,3,-4", "Infinity", "true", "null")


def page_paths() -> list[str]:
    """The app's pages as url paths, from the one page registry the router reads ('' for the default page)."""
    from ui.views.page_registry import PAGES

    names = [e.file.split("/")[-1][:-3] for e in PAGES.values()]
    assert EXPECTED <= set(names), f"the registry lists {names}"
    return [e.url_path for e in PAGES.values()]


PATHS = page_paths()


def _name(path: str) -> str:
    return path or "home"


def _page_file(path: str) -> str:
    return f"pages/{path or 'home'}.py"


@functools.lru_cache(maxsize=None)
def page_keys(path: str) -> tuple[str, ...]:
    """The names a page writes into its link (its URL schema), read from a plain visit in AppTest."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page(_page_file(path)).run()
    return tuple(sorted(at.query_params))


def hostile_params(path: str) -> dict[str, str]:
    """HOSTILE, plus a nasty value for each of the page's own link names."""
    params = dict(HOSTILE)
    for i, k in enumerate(page_keys(path)):
        params[k] = NASTY[i % len(NASTY)]
    return params


def open_and_settle(page, server, path: str, query: str = "", timeout: float = 90_000) -> None:
    """Open a page and wait until its script has really run once.

    `open_page` alone can return before the first run has started (the status widget appears
    late), with only the router's bare page list on screen; the app root's script state is exact.
    """
    open_page(page, server, path, query=query, timeout=timeout)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stApp\"]')?.dataset.testScriptState === 'notRunning'",
        timeout=timeout)
    wait_idle(page, timeout)


def wait_charts(page, timeout: float = 15_000) -> None:
    """Give plotly charts time to draw before a screenshot (a wait, not a check)."""
    try:
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=\"stPlotlyChart\"]')]"
            ".every(c => c.querySelector('.main-svg'))", timeout=timeout)
    except Exception:
        pass


def screenshot_whole(page, name: str, width: int, height: int, max_height: int = 8000) -> None:
    """The whole page in one image: Streamlit scrolls inside its main block, so a full-page
    screenshot is only the first screen; grow the viewport to the content's height instead."""
    tall = page.evaluate("() => Math.max(...[...document.querySelectorAll("
                         "'[data-testid=\"stMain\"], [data-testid=\"stAppViewContainer\"]')]"
                         ".map(e => e.scrollHeight))")
    if tall and tall > height:
        page.set_viewport_size({"width": width, "height": min(int(tall) + 40, max_height)})
        page.wait_for_timeout(800)  # charts re-lay out to the new size
        wait_charts(page, 5_000)
        screenshot(page, name, full_page=False)
        page.set_viewport_size({"width": width, "height": height})


def assert_healthy(page, what: str) -> None:
    exc = page.locator("[data-testid='stException']")
    assert exc.count() == 0, f"{what}: {exc.first.inner_text()[:1500]}"
    assert real_console_errors(page) == [], what
    assert page.locator("[data-testid='stMain'] h1").count() >= 1, f"{what}: the page has no title"
    assert "Page not found" not in page.locator("body").inner_text(), what


# --------------------------------------------------------------------------- real browser

@pytest.mark.browser
@pytest.mark.parametrize("path", PATHS, ids=_name)
def test_page_opens_cleanly(app_server, page, path):
    """Projector size first, then the same tab resized to a laptop (the layout reflows, no rerun)."""
    for i, (size, (w, h)) in enumerate(SIZES.items()):
        page.set_viewport_size({"width": w, "height": h})
        if i == 0:
            open_and_settle(page, app_server, path)
        else:
            page.wait_for_timeout(800)
            wait_idle(page)
        wait_charts(page)
        screenshot(page, f"allpages-{_name(path)}-{size}", full_page=False)  # what the screen shows
        assert_healthy(page, f"/{path} at {size}")
        screenshot_whole(page, f"allpages-{_name(path)}-{size}-whole", w, h)
        assert_healthy(page, f"/{path} at {size}, whole page")
    if path:  # Streamlit sends an unknown path to the default page; this one must stay put
        assert page.url.split("?")[0].rstrip("/").endswith("/" + path)


@pytest.mark.browser
@pytest.mark.parametrize("path", PATHS, ids=_name)
def test_hostile_link_is_harmless(app_server, page, path):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_and_settle(page, app_server, path, query=urlencode(hostile_params(path)))
    wait_charts(page, 5_000)
    page.wait_for_timeout(1000)  # an injected handler would fire by now
    screenshot(page, f"allpages-hostile-{_name(path)}", full_page=False)
    assert dialogs == [], f"/{path}: a link ran code: {dialogs}"
    injected = page.evaluate(
        """() => [...document.querySelectorAll('script, img[onerror], svg[onload], [onload], [onerror]')]
                 .map(e => e.outerHTML).filter(h => /alert\\(/.test(h))""")
    assert injected == [], f"/{path}: injected into the page: {injected}"
    assert_healthy(page, f"/{path} with a hostile link")


# --------------------------------------------------------------------------- AppTest, no browser

@pytest.mark.parametrize("path", PATHS, ids=_name)
def test_hostile_query_params_apptest(path):
    at = AppTest.from_file("../../app.py", default_timeout=120)
    for k, v in hostile_params(path).items():
        at.query_params[k] = v
    at.switch_page(_page_file(path)).run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.title) + len(at.header) >= 1, "the page has no title"
    # The only way a page can put a link's text into the HTML is markdown with unsafe HTML or st.html.
    unsafe = [m.value for m in at.markdown if m.proto.allow_html] + [h.proto.body for h in at.get("html")]
    leaked = [s for s in unsafe if any(p in s for p in PAYLOAD_MARKERS)]
    assert leaked == [], f"{path}: a link's payload reached raw HTML: {leaked}"
