"""The canvas views without a mouse (issue 27): the boundary page's frame player, a live line chart and the
optimizer race take focus (a ring, a role and a label that names the keys), answer Space, the arrows and
Home/End without scrolling the page, and keep a visually hidden live text for screen readers up to date;
with prefers-reduced-motion the player jumps to each batch's newest frame and the chart does not tween."""
from __future__ import annotations

import re

import pytest

from tests.conftest import open_page, real_console_errors, screenshot, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EPOCH = "[data-fmnist='epoch']"
VIEW = "[data-fmnist='player-view']"
SAY = "[data-fmnist='player-summary']"


def epoch(page) -> int:
    return int(re.sub(r"[^0-9]", "", page.locator(EPOCH).inner_text().split("(")[0]))


def root(page, name: str) -> str:
    return page.locator(".fp-root").evaluate(f"e => e.dataset.{name} || ''")


def received(page) -> int:
    return int(page.locator(".fp-root").evaluate("e => +e.dataset.received"))


# Sampled at every animation frame for `ms`: the epochs shown, and the batches and frames received meanwhile.
SHOWN_JS = """async (ms) => {
  const r = document.querySelector('.fp-root'), seen = new Set(), b0 = +r.dataset.batches, f0 = +r.dataset.received;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) { seen.add(r.dataset.epoch); await new Promise(q => requestAnimationFrame(q)); }
  return {shown: seen.size, batches: +r.dataset.batches - b0, received: +r.dataset.received - f0};
}"""


def focused(page) -> str:
    return page.evaluate("() => document.activeElement?.dataset?.fmnist || document.activeElement?.tagName")


def test_frame_player_keys_live_text_and_reduced_motion(app_server, page):
    open_page(page, app_server, "boundaries", "dataset=xor&units=2&act=tanh&lr=0.1&speed=10", timeout=90_000)
    view = page.locator(VIEW)
    view.wait_for(timeout=60_000)
    assert view.get_attribute("tabindex") == "0" and view.get_attribute("role") == "application"
    label = view.get_attribute("aria-label")
    assert "decision boundary" in label and "Space" in label and "arrows" in label and "Home" in label
    assert page.locator(SAY).get_attribute("aria-live") == "polite"
    assert page.locator(SAY).text_content().startswith("Epoch 0 of 0, replay: train accuracy")
    assert root(page, "motion") == "full"

    page.get_by_role("button", name="Start").click()
    page.wait_for_function(f"() => parseInt((document.querySelector(\"{EPOCH}\")?.textContent || '')"
                           ".replace(/[^0-9]/g, '')) >= 30", timeout=60_000)

    # Space holds the picture while training goes on; the arrows step through the frames received.
    view.focus()
    page.keyboard.press("Tab")  # and back: focused from the keyboard (after the mouse's click), it shows its ring
    page.keyboard.press("Shift+Tab")
    assert focused(page) == "player-view" and view.evaluate("e => e.matches(':focus-visible')")
    page.get_by_text("1 · Watch it learn").evaluate("e => e.scrollIntoView({block: 'start'})")
    scroll = page.evaluate("scrollY")
    page.keyboard.press("Space")
    assert root(page, "held") == "1" and page.locator(EPOCH).inner_text().endswith("(paused)")
    e0, got = epoch(page), received(page)
    assert page.locator(SAY).text_content().startswith(f"Epoch {e0:,}, picture paused (training goes on")
    page.wait_for_timeout(800)
    assert epoch(page) == e0 and received(page) > got, "held: the picture stays, frames still arrive"
    page.keyboard.press("ArrowLeft")
    e1 = epoch(page)
    assert e1 < e0 and page.locator(SAY).text_content().startswith(f"Epoch {e1:,},")  # the live text, at once
    page.keyboard.press("Shift+ArrowRight")
    e2 = epoch(page)
    assert e2 > e0 and page.locator(SAY).text_content().startswith(f"Epoch {e2:,},")  # ten frames on
    page.keyboard.press("Home")
    assert epoch(page) <= e1
    page.keyboard.press("End")  # the newest frame received
    last = epoch(page)
    assert last >= e2 and page.locator(SAY).text_content().startswith(
        f"Epoch {last:,}, picture paused (training goes on, newest epoch {last:,})")
    assert page.evaluate("scrollY") == scroll, "the keys scrolled the page"
    shot = screenshot(page, "keyboard-player-focus", full_page=False)  # the focus ring and the key hint
    assert shot.exists()
    page.keyboard.press("Space")  # back to the newest frame, playing again
    assert root(page, "held") == "0"
    after = epoch(page)
    page.wait_for_function(f"() => parseInt(document.querySelector(\"{EPOCH}\").textContent.replace(/[^0-9]/g, ''))"
                           f" > {after}", timeout=10_000)

    # Reduced motion: a batch of frames shows its newest at once, nothing plays in between.
    page.emulate_media(reduced_motion="reduce")
    page.wait_for_function("() => document.querySelector('.fp-root').dataset.motion === 'reduce'", timeout=5_000)
    r = page.evaluate(SHOWN_JS, 2000)
    assert r["batches"] >= 2 and r["received"] >= 2 * r["batches"], r  # several frames a batch
    assert r["shown"] <= r["batches"] + 1, r  # one picture a batch
    page.emulate_media(reduced_motion="no-preference")
    page.wait_for_function("() => document.querySelector('.fp-root').dataset.motion === 'full'", timeout=5_000)
    r = page.evaluate(SHOWN_JS, 1500)
    assert r["shown"] > r["batches"] + 2, r  # played frame by frame again

    # Paused (the button clicked without taking the focus): the replay's view takes the focus over from the
    # live one; the keys scrub the replay, Space plays it; the focus stays through the rerun a scrub makes.
    assert focused(page) == "player-view"
    page.get_by_role("button", name="Pause").dispatch_event("click")
    page.wait_for_selector("text=Start", timeout=30_000)
    wait_idle(page, 60_000)
    page.wait_for_function(f"() => document.querySelectorAll(\"{VIEW}\").length === 1"  # the live one has gone
                           " && getComputedStyle(document.querySelector('.fp-scrub')).display !== 'none'",
                           timeout=30_000)
    page.wait_for_function("() => document.activeElement?.dataset?.fmnist === 'player-view'", timeout=3_000)
    scroll = page.evaluate("scrollY")
    page.keyboard.press("Home")
    assert page.locator(EPOCH).inner_text() == "Epoch 0 (replay)"
    page.keyboard.press("ArrowRight")
    first = epoch(page)
    assert first > 0 and re.match(rf"Epoch {first:,} of [0-9,]+, replay: ", page.locator(SAY).text_content())
    page.wait_for_timeout(800)  # the report (after 0.5 s at rest) reruns the page's details
    wait_idle(page, 60_000)
    assert epoch(page) == first and focused(page) == "player-view"
    page.keyboard.press("Space")
    page.wait_for_function(f"() => parseInt(document.querySelector(\"{EPOCH}\").textContent.replace(/[^0-9]/g, ''))"
                           f" > {first}", timeout=5_000)
    assert root(page, "playing") == "1"
    page.keyboard.press("Space")
    assert root(page, "playing") == "0"
    held = epoch(page)
    page.wait_for_timeout(400)
    assert epoch(page) == held
    assert page.evaluate("scrollY") == scroll
    assert page.locator("[data-testid='stException']").count() == 0
    assert real_console_errors(page) == []


# Sampled at every animation frame until three updates have come (at most `ms`): [updates received, points
# drawn, busy (revealing or easing)].
SAMPLE_JS = """async (ms) => {
  const root = document.querySelector('canvas[data-fmnist="live-chart"]').parentElement, out = [];
  const t0 = performance.now(), u0 = +root.dataset.updates;
  while (performance.now() - t0 < ms && +root.dataset.updates < u0 + 3) {
    out.push([+root.dataset.updates, +root.dataset.points, root.dataset.busy]);
    await new Promise(r => requestAnimationFrame(r));
  }
  return out;
}"""


def test_live_chart_summary_reading_keys_and_reduced_motion(app_server, browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 720}, reduced_motion="reduce")
    page = ctx.new_page()
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    try:
        open_page(page, app_server, "initialization",
                  "data=spiral&depth=3&width=32&act=tanh&init=xavier_normal&cmp=xavier_normal,he_normal&secs=2"
                  "&view=train", timeout=90_000)
        page.get_by_role("button", name="Train them").click()
        chart = page.locator('canvas[data-fmnist="live-chart"]').first
        chart.wait_for(timeout=60_000)
        assert chart.get_attribute("tabindex") == "0" and chart.get_attribute("role") == "application"
        assert "arrows" in chart.get_attribute("aria-label")
        page.wait_for_function("() => +document.querySelector('canvas[data-fmnist=\"live-chart\"]').parentElement"
                               ".dataset.updates >= 2", timeout=30_000)
        assert chart.evaluate("e => e.parentElement.dataset.motion") == "reduce"
        samples = page.evaluate(SAMPLE_JS, 4000)
        per_update: dict[int, set] = {}
        for u, n, _ in samples:
            per_update.setdefault(u, set()).add(n)
        assert len(per_update) >= 2, "updates arrived while sampling"
        assert all(len(v) == 1 for v in per_update.values()), per_update  # no reveal: each update at once
        assert {s[2] for s in samples} == {"0"}  # nothing eases

        page.wait_for_selector("text=⏹ Stop", state="detached", timeout=90_000)
        wait_idle(page)
        say = page.locator('[data-fmnist="live-chart-summary"]').first
        assert say.get_attribute("aria-live") == "polite"
        text = say.text_content()
        for name in ("Xavier/Glorot normal", "He/Kaiming normal"):  # each series' last value and where
            assert re.search(rf"{name}[^;]* [0-9.]+ at training step [0-9,]+", text), text
        chart.focus()
        page.keyboard.press("Shift+Tab")  # and back: from the keyboard, the reading starts at the newest values
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.dataset.fmnist") == "live-chart"
        scroll = page.evaluate("scrollY")
        end = say.text_content()
        assert re.search(r", at training step [0-9,]+: Xavier/Glorot normal[^,]* [0-9.]+( \(its last, at [0-9,]+\))?, "
                         r"He/Kaiming normal", end), end
        chart.evaluate("e => e.scrollIntoView({block: 'center'})")
        page.wait_for_timeout(100)
        screenshot(page, "keyboard-live-chart-focus", full_page=False)  # the ring and the reading at the end
        page.keyboard.press("Home")
        assert ", at training step 0: " in say.text_content()
        page.keyboard.press("ArrowRight")
        assert say.text_content() != end and ", at training step 0: " not in say.text_content()
        cursor = "document.querySelector('canvas[data-fmnist=\"live-chart\"]').parentElement.dataset.cursor"
        page.wait_for_function(f"() => +{cursor} > 0", timeout=5_000)  # drawn at the next animation frame
        page.keyboard.press("Escape")
        page.wait_for_function(f"() => {cursor} === undefined", timeout=5_000)
        assert page.evaluate("scrollY") == scroll, "the keys scrolled the page"
        assert real_console_errors(page) == []
    finally:
        ctx.close()


def test_optimizer_race_keys(app_server, page):
    open_page(page, app_server, "optimizers", "steps=300", timeout=180_000)
    page.wait_for_selector(".updatemenu-button", timeout=120_000)
    chart = page.locator("[data-fmnist='animation']").first
    chart.wait_for(timeout=30_000)
    assert chart.get_attribute("tabindex") == "0" and "Space" in chart.get_attribute("aria-label")
    say = page.locator("[data-fmnist='animation-summary']").first
    step = page.locator("[data-testid='stPlotlyChart'] .slider-group > text.slider-label").first
    assert say.text_content().startswith("Step 300 of 300: SGD loss ")
    chart.focus()
    scroll = page.evaluate("scrollY")
    for key, shown in (("Home", 0), ("ArrowRight", 2), ("Shift+ArrowRight", 22), ("ArrowLeft", 20)):
        page.keyboard.press(key)
        assert say.text_content().startswith(f"Step {shown} of 300: SGD loss "), (key, say.text_content())
        page.wait_for_function(f"() => document.querySelector(\"[data-testid='stPlotlyChart'] .slider-group > "
                               f"text.slider-label\").textContent === 'step {shown}'", timeout=5_000)
    page.keyboard.press("Space")  # plays from here
    page.wait_for_function("() => +document.querySelector(\"[data-testid='stPlotlyChart'] .slider-group > "
                           "text.slider-label\").textContent.slice(5) > 30", timeout=10_000)
    page.keyboard.press("Space")
    stopped = step.text_content()
    screenshot(page, "keyboard-race-focus", full_page=False)
    page.wait_for_timeout(400)
    assert step.text_content() == stopped != "step 300"
    assert say.text_content().startswith(f"Step {stopped[5:]} of 300: ")
    assert page.evaluate("scrollY") == scroll
    assert real_console_errors(page) == []
