"""Each kind of job has its own limit: a class training toy networks never holds up a training job."""
import time

import pytest

from fmnist_core.engine.jobs import KINDS, SHORT, TOY, TRAIN, JobManager, default_max_toy
from tests.conftest import wait_until


def _until_stopped(job) -> None:
    """A job's work that lasts until it is stopped."""
    while not job.control.should_stop():
        time.sleep(0.01)


def test_toy_jobs_filling_their_pool_never_hold_up_a_training_job():
    mgr = JobManager(max_running=1, heartbeat_timeout=None, max_toy=3)
    toys = [mgr.submit(f"student{i}", "toy", _until_stopped, key="boundaries_job", kind=TOY) for i in range(5)]
    assert [j.state for j in toys] == ["running"] * 3 + ["queued"] * 2  # the toy pool is full
    assert [j.position() for j in toys[3:]] == [1, 2] and mgr.counts(TOY) == (3, 2)
    train = mgr.submit("student9", "training", _until_stopped, key="training_job")
    assert train.state == "running" and train.position() == 0  # at once: it queues behind no toy job
    assert mgr.counts(TRAIN) == (1, 0) and mgr.counts() == (4, 2)
    late = mgr.submit("student10", "training", _until_stopped, key="training_job")
    assert late.state == "queued" and late.position() == 1  # the training pool has its own limit
    toys[0].stop()
    wait_until(lambda: toys[3].state == "running", what="the first queued toy job started")
    assert late.state == "queued"  # a freed toy slot is not a training slot
    train.stop()
    wait_until(lambda: late.state == "running", what="the queued training job started")
    mgr.stop_all()
    for j in toys + [train, late]:
        assert j.wait(5)


def test_one_training_job_per_browser_one_toy_job_per_page_and_short_jobs_freely():
    mgr = JobManager(max_running=2, heartbeat_timeout=None, max_toy=4, max_short=1)
    mgr.submit("me", "training", _until_stopped, key="training_job")
    toy = mgr.submit("me", "toy", _until_stopped, key="boundaries_job", kind=TOY)  # beside my training job
    assert toy.state == "running" and mgr.blocking("me", "boundaries_job", TOY) == [toy]
    for kind, key in ((TRAIN, "activations_job"), (TOY, "boundaries_job")):
        with pytest.raises(RuntimeError, match="already has a job"):
            mgr.submit("me", "again", _until_stopped, key=key, kind=kind)
    other_page = mgr.submit("me", "toy", _until_stopped, key="learning_job", kind=TOY)
    grids = [mgr.submit("me", "grid", _until_stopped, key="boundaries_growth", kind=SHORT) for _ in range(2)]
    assert other_page.state == "running" and [g.state for g in grids] == ["running", "queued"]
    assert set(KINDS) == {TRAIN, TOY, SHORT} and mgr.limit(SHORT) == 1
    mgr.stop_all()


def test_the_toy_limit_comes_from_the_environment_or_the_cores(monkeypatch):
    monkeypatch.setenv("FMNIST_MAX_TOY_JOBS", "5")
    assert default_max_toy() == 5 and JobManager().limit(TOY) == 5
    monkeypatch.setenv("FMNIST_MAX_TOY_JOBS", "zero")
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert default_max_toy() == 8
