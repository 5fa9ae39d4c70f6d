"""A real browser follows a lesson step's link, answers its question, runs the page and reaches the goal;
presenter mode from a link; screenshots at 1280x720 (artifacts/)."""
from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.conftest import open_page, real_console_errors, screenshot, wait_idle
from ui.views.lessons import step_query
from fmnist_core.lessons.loader import load_lessons
from ui.views.page_registry import all_pages
from ui.views.lessons import LESSONS_DIR

pytestmark = pytest.mark.browser


def find_step(lesson_id: str, step_id: str):
    lessons, _ = load_lessons(LESSONS_DIR, all_pages())
    lesson = next(ls for ls in lessons if ls.id == lesson_id)
    return lesson, lesson.step(step_id)


def test_a_student_answers_then_trains_and_reaches_the_goal(app_server, page):
    lesson, step = find_step("02_boundaries", "xor-steps")
    open_page(page, app_server, "boundaries", urlencode(step_query(lesson, step)))
    panel = page.locator(".st-key-lesson_panel")
    panel.get_by_text("step 1 of 4: Two step units separate XOR").wait_for(timeout=30_000)
    # Before a prediction: the page's Start button and the unimportant controls are hidden.
    page.locator(".st-key-boundaries_units").wait_for(state="visible", timeout=30_000)
    for key in ("boundaries_start", "boundaries_noise"):
        page.locator(f".st-key-{key}").wait_for(state="attached", timeout=30_000)
        page.locator(f".st-key-{key}").wait_for(state="hidden", timeout=30_000)
    screenshot(page, "lesson_step_question", full_page=False)

    panel.get_by_text("no", exact=True).click()
    wait_idle(page)
    panel.get_by_role("button", name="Lock in my prediction").click()
    wait_idle(page)
    panel.get_by_text("Your prediction: no").wait_for(timeout=30_000)
    start = page.locator(".st-key-boundaries_start button")
    start.wait_for(state="visible", timeout=30_000)
    start.click()
    # The goal follows the live training without any click: the panel polls the page's state.
    panel.get_by_text("Goal reached!").wait_for(timeout=60_000)
    panel.get_by_text("Your prediction was right").wait_for(timeout=30_000)
    assert "lesson=02_boundaries" in page.url and "step=xor-steps" in page.url and "act=step" in page.url
    screenshot(page, "lesson_step_goal_reached", full_page=False)
    assert real_console_errors(page) == []


def test_presenter_link_collapses_the_sidebar_and_shows_a_png_button(app_server, page):
    open_page(page, app_server, "boundaries", "present=1")
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    box = page.locator("[data-testid='stSidebar']").bounding_box()
    assert box is None or box["x"] + box["width"] <= 0  # folded away off the left edge
    button = page.locator(".js-plotly-plot .modebar-btn[data-title='Download plot as a PNG']").first
    button.wait_for(state="visible", timeout=30_000)
    assert float(page.evaluate("getComputedStyle(document.documentElement).fontSize").rstrip("px")) >= 19
    with page.expect_download(timeout=30_000) as dl:
        button.click()
    assert dl.value.suggested_filename.endswith(".png")
    assert "present=1" in page.url
    assert real_console_errors(page) == []


PAGES = ["", "activations", "boundaries", "learning", "initialization", "training", "sketch", "lessons"]


@pytest.mark.parametrize("path", PAGES, ids=[p or "home" for p in PAGES])
def test_presenter_screenshots_at_1280x720(app_server, page, path):
    open_page(page, app_server, path, "present=1", timeout=90_000)
    page.wait_for_timeout(1500)
    screenshot(page, f"presenter_{path or 'home'}", full_page=False)
    screenshot(page, f"presenter_{path or 'home'}_full", full_page=True)
    assert real_console_errors(page) == []
