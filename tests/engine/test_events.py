"""The one event reader: runs grouped by their tag, read incrementally, single-run jobs as run 0."""
import math

import numpy as np
import pytest

from fmnist_core.engine.events import EventReader, read
from fmnist_core.engine.jobs import JobManager
from fmnist_core.engine.loop import Loop


def comparison_events() -> list[dict]:
    """Two tagged runs, as a comparison job emits them, then the job's own closing event."""
    evs = []
    for run in (0, 1):
        evs.append({"kind": "run_start", "run": run, "init": f"init{run}"})
        for step in (5, 10, 15):
            ev = {"kind": "progress", "run": run, "step": step, "loss": 2.0 - step / 10 - run,
                  "grad_norms": [1.0, 2.0] if step % 10 == 0 else None}
            evs.append(ev)
        evs.append({"kind": "run_done", "run": run, "status": "finished", "step": 15, "test_accuracy": 0.5 + run / 10})
    evs.append({"kind": "done", "runs": 2})
    return evs


def test_tagged_events_are_grouped_by_run():
    r = EventReader()
    assert r.update(comparison_events()) is True
    assert list(r.runs) == [0, 1] and [s.key for s in r.ordered()] == [0, 1]
    one = r.run(1)
    assert one.start["init"] == "init1" and one.ended and one.end["test_accuracy"] == pytest.approx(0.6)
    np.testing.assert_array_equal(one.column("progress", "step"), [5, 10, 15])
    np.testing.assert_allclose(one.column("progress", "loss"), [0.5, 0.0, -0.5])
    idx, norms = one.rows("progress", "grad_norms")
    assert idx.tolist() == [1] and norms == [[1.0, 2.0]]
    assert np.isnan(one.column("progress", "grad_norms")).all()  # a list field is no number column
    assert math.isnan(one.column("progress", "missing")[0]) and len(one.column("progress", "missing")) == 3
    assert r.done == {"kind": "done", "runs": 2} and 2 not in r.runs  # the job's own end is no run
    assert r.latest["run_done"]["run"] == 1 and one.latest["progress"]["step"] == 15


def test_reading_in_pieces_equals_reading_at_once():
    evs = comparison_events()
    whole = EventReader()
    whole.update(evs)
    parts = EventReader()
    for i in range(0, len(evs), 3):
        parts.update(evs[parts.n:i + 3])  # as a poll does: job.events(reader.n)
    assert parts.n == whole.n == len(evs)
    assert parts.update([]) is False and parts.n == len(evs)
    for key in whole.runs:
        for name in ("step", "loss"):
            got, want = parts.run(key).column("progress", name), whole.run(key).column("progress", name)
            np.testing.assert_array_equal(got, want)
    assert parts.history == whole.history


def test_a_single_run_job_is_run_0_and_its_arrays_stay_out():
    evs = [{"kind": "progress", "step": s, "train_loss": 1.0 / s} for s in (1, 2, 3)]
    evs.append({"kind": "done", "status": "finished", "predictions": np.arange(4)})
    r = read(evs)
    assert list(r.runs) == [0] and r.done["status"] == "finished" and r.run(0).ended
    np.testing.assert_allclose(r.run(0).column("progress", "train_loss"), [1.0, 0.5, 1 / 3])
    assert all(not isinstance(v, np.ndarray) for ev in r.history for v in ev.values())
    assert read(r) is r  # a reader passes through


def test_arrival_order_across_kinds():
    evs = [{"kind": "start", "p": {"a": 0}}, {"kind": "progress", "p": {"a": 1}, "x": 1.0},
           {"kind": "epoch", "p": {"a": 2}, "x": 2.0}, {"kind": "progress", "p": {"a": 3}, "x": 3.0}]
    run = read(evs).run(0)
    assert [(k, i, v["a"]) for k, i, v in run.items("p")] == [("start", 0, 0), ("progress", 0, 1),
                                                               ("epoch", 0, 2), ("progress", 1, 3)]
    assert run.last_of("progress", "epoch")["x"] == 3.0 and run.last_of("epoch")["x"] == 2.0
    assert run.last_of("result") is None
    np.testing.assert_array_equal(run.column(("progress", "epoch"), "x"), [1.0, 3.0, 2.0])


def test_a_loop_comparison_read_from_a_real_job():
    """Events written by `Loop.event` with a run tag, through a background job, read while it runs."""

    def target(job):
        for run in range(3):
            loop = Loop(40, job.control, emit=job.emit, tag={"run": run})
            loop.event("run_start")
            for _ in loop.steps():
                loop.after_step(1.0 / (1 + loop.step))
                if loop.step % 10 == 0:
                    loop.event("progress", loss=1.0 / (1 + loop.step))
            loop.event("run_done", status=loop.status)
        job.emit({"kind": "done"})

    manager = JobManager(max_running=1, heartbeat_timeout=None)
    job = manager.submit("test", "events", target)
    r = EventReader(job_id=job.id)
    while job.active:
        r.update(job.events(r.n))
        job.wait(0.01)
    r.update(job.events(r.n))
    assert r.n == job.n_events and list(r.runs) == [0, 1, 2] and r.done is not None
    for run in r.ordered():
        np.testing.assert_array_equal(run.column("progress", "step"), [10, 20, 30, 40])
        assert run.end["status"] == "finished"
