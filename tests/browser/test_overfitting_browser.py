"""Page 10 in a real browser: a student follows the first lesson step, predicts, trains 500 images and the goal
(a gap of 15 points) is checked from the run the job kept; the chart and the table are on screen; screenshots at
1280x720 (test-artifacts/)."""
from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.browser.test_lessons_browser import find_step
from tests.conftest import open_page, real_console_errors, screenshot, wait_idle
from ui.views.lessons import step_query

pytestmark = pytest.mark.browser


def test_the_gap_opens_and_the_lesson_goal_is_reached(app_server, page):
    lesson, step = find_step("10_overfitting", "gap-opens")
    open_page(page, app_server, "overfitting", urlencode(step_query(lesson, step)))
    panel = page.locator(".st-key-lesson_panel")
    panel.get_by_text("step 1 of 3: Learnt by heart").wait_for(timeout=30_000)
    page.locator(".st-key-overfitting_job__start").wait_for(state="hidden", timeout=30_000)  # predict first
    panel.get_by_text("less than 80 %", exact=True).click()
    wait_idle(page)
    panel.get_by_role("button", name="Lock in my prediction").click()
    wait_idle(page)
    start = page.locator(".st-key-overfitting_job__start button").first  # a rerun may show a stale copy
    start.wait_for(state="visible", timeout=30_000)
    start.click()
    screenshot(page, "overfitting_lesson_after_start", full_page=False)
    panel.get_by_text("Goal reached!").wait_for(timeout=120_000)
    panel.get_by_text("Your prediction was right").wait_for(timeout=30_000)
    page.locator("[data-testid='stDataFrame']").wait_for(timeout=30_000)
    assert page.locator(".js-plotly-plot").count() >= 2  # the preview and the runs chart
    screenshot(page, "overfitting_lesson_goal_reached", full_page=False)
    assert real_console_errors(page) == []
