"""Presenter mode fits the projector: on pages 2, 5 and 6, opened with `?present=1` at 1280x720 and at
1920x1080, the live picture and its label are inside the viewport right after Start, without anyone
scrolling. One Start per page: the 1280x720 view is measured, then the same tab is resized to 1920x1080
while the run goes on, measured again, and the run is stopped. Screenshots of what the projector shows:
test-artifacts/presenter-fit-<page>-<size>.png."""
from __future__ import annotations

import pytest

from tests.conftest import open_page, real_console_errors, screenshot, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SIZES = ((1280, 720), (1920, 1080))


def drawn(label: str, pattern: str, charts: str = "") -> str:
    """JS, true once the label reads `pattern` (a regex) and, given `charts`, a Vega line under it has two points."""
    line = (f" && [...document.querySelectorAll('{charts} .mark-line path')]"
            ".some(p => (p.getAttribute('d') || '').includes('L'))") if charts else ""
    return f"() => /{pattern}/.test(document.querySelector('{label}')?.textContent || ''){line}"


# page -> (link parameters, the Start button, JS that is true once the live view shows something,
#          {name: selector} of the live picture and its label)
PAGES = {
    "boundaries": ("present=1", ".st-key-boundaries_start button", drawn("[data-fmnist=epoch]", "Epoch [1-9]"),
                   {"picture": "[data-fmnist=boundary]", "label": "[data-fmnist=epoch]"}),
    "optimizers": ("present=1&view=fmnist", ".st-key-optimizers_job__start button",
                   drawn(".st-key-optimizers_fm_label", "Training \\d+ of \\d+", ".st-key-optimizers_fm_charts"),
                   {"charts": ".st-key-optimizers_fm_charts", "label": ".st-key-optimizers_fm_label"}),
    "training": ("present=1", ".st-key-training_btn_start button",
                 drawn(".st-key-training_progress", "Epoch \\d", ".st-key-training_live_charts"),
                 {"charts": ".st-key-training_live_charts", "label": ".st-key-training_progress"}),
}
STOP = {"boundaries": ".st-key-boundaries_stop button", "optimizers": ".st-key-optimizers_job_stop button",
        "training": ".st-key-training_btn_stop button"}

MEASURE_JS = """(sels) => {
  const scrollers = document.querySelectorAll('[data-testid=stMain], [data-testid=stAppScrollToBottomContainer]');
  const out = {scroll: Math.max(window.scrollY, document.scrollingElement.scrollTop,
                                ...[...scrollers].map(e => e.scrollTop)), boxes: {}};
  for (const [name, sel] of Object.entries(sels)) {
    const el = [...document.querySelectorAll(sel)].find(e => e.getClientRects().length);
    // The element and what it draws (a Vega chart's canvas or svg, class 'marks', may overflow its element).
    const rects = el ? [el, ...el.querySelectorAll('.marks')].map(e => e.getBoundingClientRect())
                                .filter(r => r.width && r.height) : [];
    out.boxes[name] = rects.length ? {top: Math.round(Math.min(...rects.map(r => r.top))),
                                      bottom: Math.round(Math.max(...rects.map(r => r.bottom))),
                                      left: Math.round(Math.min(...rects.map(r => r.left))),
                                      right: Math.round(Math.max(...rects.map(r => r.right)))} : null;
  }
  return out;
}"""


def measure(page, sels: dict) -> dict:
    return page.evaluate(MEASURE_JS, sels)


def outside(m: dict, width: int, height: int) -> list[str]:
    """What of the measured boxes is not on screen (empty: all of it is, and nothing was scrolled)."""
    bad = [f"scrolled by {m['scroll']} px"] if m["scroll"] else []
    for name, b in m["boxes"].items():
        if b is None:
            bad.append(f"{name}: not shown")
        elif b["top"] < 0 or b["bottom"] > height or b["left"] < 0 or b["right"] > width or b["bottom"] <= b["top"]:
            bad.append(f"{name}: {b}")
    return bad


@pytest.mark.parametrize("path", list(PAGES))
def test_the_live_picture_and_its_label_fit_the_projector(app_server, page, path):
    query, start, live_js, sels = PAGES[path]
    page.set_viewport_size({"width": SIZES[0][0], "height": SIZES[0][1]})
    open_page(page, app_server, path, query, timeout=90_000)
    page.locator(start).click()
    page.wait_for_function(live_js, timeout=90_000, polling=100)
    problems, seen = [], {}
    for w, h in SIZES:
        if (w, h) != SIZES[0]:
            page.set_viewport_size({"width": w, "height": h})
        # The layout follows the new size within a few frames; the charts redraw at their new width.
        page.wait_for_timeout(1200)
        m = measure(page, sels)
        seen[f"{w}x{h}"] = m
        screenshot(page, f"presenter-fit-{path}-{w}x{h}", full_page=False)
        problems += [f"{w}x{h} {p}" for p in outside(m, w, h)]
    print(path, seen)
    stop = page.locator(STOP[path])
    if stop.count() and stop.first.is_enabled():
        stop.first.click()  # a short run: the next page's Start gets the machine
        wait_idle(page)
    assert not problems, (problems, seen)
    assert real_console_errors(page) == []
