"""ui/kit/live.py, the one live-job pattern, driven by AppTest on a tiny page with a real background job."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.conftest import poll_until


def _page() -> None:
    """A page with a job that counts until stopped: a control row, two views of the job, a folded reader."""
    import time

    import streamlit as st

    from ui.kit import live

    KEY = "demo_job"

    def count(job) -> int:
        i = 0
        while not job.control.should_stop() and i < 2000:
            job.control.wait_while_paused()
            job.emit({"kind": "progress", "step": i, "loss": 1.0 / (i + 1)})
            i += 1
            time.sleep(0.01)
        job.emit({"kind": "done", "steps": i})
        return i

    class Steps:
        """A fold of its own: only counts the progress events."""

        def __init__(self, job_id=None):
            self.job_id, self.n, self.steps = job_id, 0, 0

        def update(self, events):
            self.n += len(events)
            self.steps += sum(e["kind"] == "progress" for e in events)

    def on_start() -> None:
        live.start(KEY, "demo", count)

    def on_reset() -> None:
        st.session_state["demo_reset"] = True

    live.control_row(KEY, "▶ Start", on_start, prefix="demo_btn", on_reset=on_reset)

    def curve(job, reader) -> None:
        st.markdown(f"curve: {reader.run(0).count('progress')} points")

    def counter(job, reader) -> None:
        st.markdown(f"counter: {reader.steps} steps")

    live.view(KEY, curve, idle="idle caption", show_controls=False)
    live.view(KEY, counter, idle=lambda: st.info("idle drawing"), every=2.0, show_controls=False, notices=False,
              fold=Steps)


def _texts(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_control_row_and_two_views_of_one_job():
    at = AppTest.from_function(_page, default_timeout=30).run()
    assert not at.exception, at.exception
    assert any(c.value == "idle caption" for c in at.caption) and any(i.value == "idle drawing" for i in at.info)
    assert at.button(key="demo_btn_stop").disabled and at.button(key="demo_btn_reset").disabled

    at.button(key="demo_btn_start").click().run()
    job = at.session_state["demo_job"]
    try:
        assert job.active and at.button(key="demo_btn_start").disabled
        # Both views draw the same job: one from the EventReader, one from the page's own fold class.
        poll_until(at, lambda at: "curve: 0 points" not in _texts(at) and "counter: 0 steps" not in _texts(at),
                   timeout=20, every=0.2)
        assert "curve:" in _texts(at) and "counter:" in _texts(at)

        at.button(key="demo_btn_pause").click().run()
        assert job.control.paused
        at.button(key="demo_btn_resume").click().run()
        assert not job.control.paused

        at.button(key="demo_btn_stop").click().run()
        assert job.wait(10) and job.state == "done"
        at.run()
        assert not at.button(key="demo_btn_start").disabled
        lat = at.session_state["demo_job__stop_clicked"]
        assert job.finished >= lat  # live.stop_latency reads these two
        steps = job.result
        assert f"curve: {steps} points" in _texts(at) and f"counter: {steps} steps" in _texts(at)

        at.button(key="demo_btn_reset").click().run()
        assert "demo_job" not in at.session_state and at.session_state["demo_reset"]
        assert any(c.value == "idle caption" for c in at.caption)
    finally:
        job.stop()
        job.wait(10)
