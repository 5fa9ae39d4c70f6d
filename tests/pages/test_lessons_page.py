"""AppTest walks a whole lesson: the index, a step's settings from its link, a prediction locked in
before the run, the goal checked from the page's state, the explanation, Next, and progress; the index
says what the server keeps for this browser and clears it."""
from __future__ import annotations

import json
import threading

import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from fmnist_core.engine.jobs import get_manager

TIMEOUT = 90


@pytest.fixture(autouse=True)
def through_the_router(monkeypatch):
    """Run every page through app.py's st.navigation, as the server does (the panel lives there). AppTest
    would otherwise treat the `pages/` folder as a v1 multipage app and run a switched-to page alone."""
    init = PagesManager.__init__

    def v2(self, *args, **kwargs):
        init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", v2)


def app() -> AppTest:
    return ok(AppTest.from_file("../../app.py", default_timeout=TIMEOUT).run())


def page(at: AppTest, path: str) -> AppTest:
    return ok(at.switch_page(path).run())


def texts(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown) + " " + " ".join(str(e.value) for e in
                                                                   [*at.success, *at.warning, *at.info, *at.error])


def panel_title(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**📘"))


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_index_lists_every_lesson_and_reports_no_broken_step_of_this_app():
    at = page(app(), "pages/lessons.py")
    assert "0 of " in at.get("progress")[0].proto.text
    links = [p.proto.label for p in at.get("page_link")]
    assert any("Two step units separate XOR" in lab for lab in links) and len(links) >= 14
    # Only the pages still being built elsewhere may be missing from this version of the app.
    assert all("is not in this version of the app" in e.value for e in at.error)


def test_walk_the_neuron_lesson_from_start_to_end():
    at = page(app(), "pages/lessons.py")
    at.button(key="lessons_start_01_neuron").click()
    ok(at.run())
    at.switch_page("pages/activations.py")  # AppTest does not follow an in-app st.switch_page on later runs
    # Step 1 opened on the activations page with the step's settings from its link.
    assert "step 1 of 3: A neuron adds up evidence" in panel_title(at)
    assert (at.query_params["lesson"], at.query_params["step"]) in ((["01_neuron"], ["flu-sum"]), ("01_neuron", "flu-sum"))
    assert at.session_state["activations_x1"] is True and at.session_state["activations_x2"] is False
    assert "Predict first" in texts(at) and "Answer the question first" in " ".join(c.value for c in at.caption)
    assert at.button(key="lesson_answer").disabled  # nothing picked yet

    # A number question: a wrong prediction is locked in, then the goal is shown with live values.
    at.number_input(key="lesson_q_01_neuron_flu-sum").set_value(6.0).run()
    at.button(key="lesson_answer").click()
    ok(at.run())
    assert "Your prediction: **6**" in texts(at)
    assert "⬜ the neuron fires (says flu): yes (now no)" in texts(at)
    assert "The answer is" not in texts(at)  # the explanation waits for the goal

    # Reach the goal on the page itself: fever and cough.
    at.checkbox(key="activations_x1").uncheck()
    at.checkbox(key="activations_x2").check()
    ok(at.run())
    assert "Goal reached" in texts(at)
    assert "The answer is **2**" in texts(at) and "−1·1 + 3·0 + 3·1 = 2" in texts(at)

    # Step 2: a multiple-choice prediction, then change only the threshold.
    at.button(key="lesson_next").click()
    ok(at.run())
    assert "step 2 of 3: The threshold decides" in panel_title(at)
    assert at.session_state["activations_threshold"] == 5.0 and at.session_state["activations_x1"] is False
    at.radio(key="lesson_q_01_neuron_threshold").set_value(1).run()
    at.button(key="lesson_answer").click()
    ok(at.run())
    at.number_input(key="activations_threshold").set_value(3.0)
    ok(at.run())
    assert "Goal reached" in texts(at) and "Your prediction was right: **3**" in texts(at)

    # Step 3, then Previous goes back to step 2 (still done) and Next again.
    at.button(key="lesson_next").click()
    ok(at.run())
    assert "step 3 of 3" in panel_title(at) and at.button(key="lesson_next").disabled
    at.button(key="lesson_prev").click()
    ok(at.run())
    assert "step 2 of 3" in panel_title(at) and "Goal reached" in texts(at)
    at.button(key="lesson_next").click()
    ok(at.run())
    at.radio(key="lesson_q_01_neuron_zero-weight").set_value(1).run()
    at.button(key="lesson_answer").click()
    ok(at.run())
    at.number_input(key="activations_w3").set_value(0.0)
    ok(at.run())
    assert "Goal reached" in texts(at)

    # The index counts the three steps as done; leaving the lesson removes the panel.
    page(at, "pages/lessons.py")
    assert "3 of 3 steps done" in " ".join(c.value for c in at.caption)
    page(at, "pages/activations.py")
    at.button(key="lesson_leave").click()
    ok(at.run())
    assert not any(m.value.startswith("**📘") for m in at.markdown)


def test_a_boundary_step_hides_controls_and_run_buttons_until_answered_and_checks_a_real_run():
    at = app()
    for k, v in {"lesson": "02_boundaries", "step": "xor-steps", "dataset": "xor", "act": "step", "lecture": "1",
                 "lr": "0.1", "units": "2", "layers": "1"}.items():
        at.query_params[k] = v
    page(at, "pages/boundaries.py")
    css = " ".join(h.proto.body for h in at.get("html"))
    assert ".st-key-boundaries_noise" in css and ".st-key-boundaries_start" in css
    at.radio(key="lesson_q_02_boundaries_xor-steps").set_value(1).run()
    at.button(key="lesson_answer").click()
    ok(at.run())
    css = " ".join(h.proto.body for h in at.get("html"))
    assert ".st-key-boundaries_noise" in css and ".st-key-boundaries_start" not in css
    assert "not measured yet" in texts(at)
    for _ in range(30):  # ⏭ one epoch at a time, as a student could
        at.button(key="boundaries_step").click()
        ok(at.run())
    ok(at.run())
    assert "Goal reached" in texts(at), texts(at)


def test_copy_as_lesson_step_gives_the_changed_settings_and_a_link():
    at = app()
    at.query_params["units"] = "5"
    at.query_params["dataset"] = "spiral"
    page(at, "pages/boundaries.py")
    codes = [c.value for c in at.code]
    snippet = next(c for c in codes if c.startswith("[[step]]"))
    assert 'page = "boundaries"' in snippet and "units = 5" in snippet and 'dataset = "spiral"' in snippet
    assert "noise" not in snippet  # unchanged settings are left out
    assert any(c.startswith("boundaries?") and "units=5" in c for c in codes)


def test_presenter_mode_from_the_link_recolours_figures_and_shows_the_png_button():
    at = app()
    at.query_params["present"] = "1"
    page(at, "pages/boundaries.py")
    assert at.session_state["presenter_on"] is True and at.toggle(key="presenter_toggle").value is True
    figs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    configs = [json.loads(c.proto.config) for c in at.get("plotly_chart")]
    assert figs and all(c["displayModeBar"] and c["modeBarButtons"] == [["toImage"]] for c in configs)
    spec = json.dumps(figs).lower()
    assert "#d55e00" in spec and "#0072b2" in spec and "#d62418" not in spec
    assert all(f["layout"]["font"]["size"] >= 18 for f in figs)
    at.toggle(key="presenter_toggle").set_value(False)
    ok(at.run())
    configs = [json.loads(c.proto.config) for c in at.get("plotly_chart")]
    assert not any(c.get("displayModeBar") for c in configs)
    assert "#d62418" in json.dumps([json.loads(c.proto.spec) for c in at.get("plotly_chart")]).lower()


def test_the_index_says_what_is_kept_and_its_button_clears_this_browsers_progress(tmp_path, monkeypatch):
    """Progress is kept per browser on this server (another session of the same browser finds it); the
    Lessons page says what, where and for how long with the store's own limits, and clears it."""
    monkeypatch.setenv("FMNIST_DATA_STORE", str(tmp_path))
    monkeypatch.setenv("FMNIST_STORE_DAYS", "14")  # the page quotes the limits this server runs with
    monkeypatch.setenv("FMNIST_STORE_RUNS", "5")
    at = app()
    for k, v in {"lesson": "01_neuron", "step": "flu-sum"}.items():
        at.query_params[k] = v
    page(at, "pages/activations.py")
    at.number_input(key="lesson_q_01_neuron_flu-sum").set_value(6.0).run()
    at.button(key="lesson_answer").click()
    ok(at.run())
    bid = at.session_state["_identity_browser_id"]
    progress_file = tmp_path / bid / "progress.json"
    assert json.loads(progress_file.read_text())["01_neuron/flu-sum"]["answer"] == 6.0

    # The same browser in a new session (a reload, another tab) finds its prediction.
    again = AppTest.from_file("../../app.py", default_timeout=TIMEOUT)
    again.session_state["_identity_browser_id"] = bid
    for k, v in {"lesson": "01_neuron", "step": "flu-sum"}.items():
        again.query_params[k] = v
    ok(again.run())
    page(again, "pages/activations.py")
    assert "Your prediction: **6**" in texts(again)

    page(at, "pages/lessons.py")
    said = texts(at)
    assert "nothing about you is stored" not in said
    for fact in ("No name and no account", "`fmnist_browser`", "on its own disk, in a folder for this browser only",
                 "Your lesson progress", "at most 64 KB", "The newest 5 are kept", "every 5 s",
                 "not written for 14 days is removed", "the cookie ends 14 days after your last visit",
                 "at most 2048 MB", "shared checkpoint folder", "6 · Train on Fashion-MNIST"):
        assert fact in said, fact
    assert f"python -m fmnist_core.store clear {bid}" in [c.value for c in at.code]

    at.button(key="lessons_clear").click()
    ok(at.run())
    assert progress_file.exists()  # nothing happens before the confirmation
    assert "for good" in texts(at)
    at.button(key="lessons_clear_yes").click()
    ok(at.run())
    assert not (tmp_path / bid).exists()
    assert "this server keeps nothing for this browser now" in texts(at)
    assert "0 of " in at.get("progress")[0].proto.text and at.button(key="lessons_clear")


def test_the_clear_waits_until_this_browsers_job_has_ended(tmp_path, monkeypatch):
    """A running job would store its run again after a clear: the button waits for it."""
    monkeypatch.setenv("FMNIST_DATA_STORE", str(tmp_path))
    at = page(app(), "pages/lessons.py")
    assert not at.button(key="lessons_clear").disabled
    release = threading.Event()
    job = get_manager().submit(at.session_state["_identity_browser_id"], "test", lambda j: release.wait(30))
    try:
        ok(at.run())
        assert at.button(key="lessons_clear").disabled and "stop it (or let it end) first" in texts(at)
    finally:
        release.set()
        job.stop()
