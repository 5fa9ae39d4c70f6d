"""Every lesson goal is reachable: its solution, run on the real computations (seconds), meets it, and
its starting settings do not (untrained; and, where the solution changes settings, trained as long)."""
from __future__ import annotations

import pytest

from fmnist_core.lessons import goals as lg
from tests.lessons.lesson_sim import full_settings, values_for
from ui.views.page_registry import all_pages
from ui.views.lessons import LESSONS_DIR
from fmnist_core.lessons.loader import load_lessons

LESSONS, ERRORS = load_lessons(LESSONS_DIR, all_pages())
STEPS = [(ls.id, s) for ls in LESSONS for s in ls.steps if s.goal is not None]
NEEDS_DATA = ("initialization", "training", "sketch", "fragile", "overfitting")


def test_every_shipped_lesson_file_loads_or_names_a_page_not_in_this_app():
    assert len(STEPS) >= 12
    for e in ERRORS:  # only the pages being built elsewhere may be missing
        assert "is not in this version of the app" in e.reason, str(e)


@pytest.fixture(scope="module")
def data(request):
    from fmnist_core.fashion.dataset import load_fashion_mnist

    return load_fashion_mnist("cpu")


@pytest.mark.parametrize("lesson_id,step", STEPS, ids=[f"{lid}/{s.id}" for lid, s in STEPS])
def test_goal_reached_by_its_solution_and_not_at_the_start(lesson_id, step, request):
    data = request.getfixturevalue("data") if step.page in NEEDS_DATA else None
    sol = step.solution
    start = full_settings(step.page, step.settings)
    solved = full_settings(step.page, step.settings, sol["settings"])
    train, drawing = sol.get("train", 0), sol.get("drawing")

    at_start = values_for(step.page, start, 0, None, data)
    assert not lg.goal_met(step.goal, at_start), f"{lesson_id}/{step.id}: met before anything was done"
    if sol["settings"] and train:  # the settings are the lesson: the start, trained as long, still misses
        trained_start = values_for(step.page, start, train, None, data)
        assert not lg.goal_met(step.goal, trained_start), \
            f"{lesson_id}/{step.id}: the starting settings reach the goal too: {trained_start}"

    got = values_for(step.page, solved, train, drawing, data)
    results = lg.evaluate(step.goal, got)
    assert all(r.met for r in results), [lg.describe(r, step.page) for r in results if not r.met]
