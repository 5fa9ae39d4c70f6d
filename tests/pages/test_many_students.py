"""A class at once: 20 websocket students on one server, all pressing Start on the training page.

Runs bench/many_students.py (one real `streamlit run app.py` on loopback, real training jobs, a
job limit of 2) and checks the targets of issue 8. Bounded: about a minute, under 3 minutes on a
busy 2-core machine. The figures are printed (`pytest -s`) and written to
test-artifacts/many-students.json.
"""
from __future__ import annotations

import json

import pytest

from tests.conftest import ARTIFACTS

pytest.importorskip("websocket", reason="websocket-client is not installed")
from bench import many_students  # noqa: E402  (after the skip: it needs websocket-client)

N, MAX_JOBS = 20, 2


@pytest.fixture(scope="module")
def report():
    r = many_students.run(n=N, max_jobs=MAX_JOBS, hold=20.0, ramp=3.0, settle=30.0)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "many-students.json").write_text(json.dumps(r, indent=1))
    print("\n" + many_students.format_report(r))
    return r


pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def test_no_session_crashes_and_the_server_lives(report):
    assert report["crashed_sessions"] == 0, json.dumps(report["problems"], indent=1)[:3000]
    assert report["server_alive"]
    # Streamlit itself logs a traceback when a websocket closes mid-send; anything else is ours.
    assert report["server_log_tracebacks"] == report["server_log_disconnect_tracebacks"]


def test_every_student_got_a_job_and_saw_only_their_own_run(report):
    assert report["started"] == N  # each Start click gave that session a job (its button turned disabled)
    assert report["trained"] == N  # each saw the caption of its own run (its own seed)...
    assert report["foreign_runs_seen"] == 0  # ...and never another student's


def test_jobs_beyond_the_limit_queue_and_say_so(report):
    assert report["queued"] >= N - MAX_JOBS
    places = report["queue_positions"]
    assert len(set(places)) == len(places), places  # each waiting student has a place of its own
    assert report["limit_seen"] == MAX_JOBS
    assert 1 <= report["max_running_seen"] <= MAX_JOBS


def test_the_server_keeps_answering(report):
    # The target is p95 < 1 s; bench/many_students.py reports it against that target and
    # exits non-zero when it is missed. On a shared 2-core machine the figure moves with the other
    # processes' load, so this test guards against what is never acceptable: a health check timing
    # out (5 s) or the server stalling for seconds at a time.
    h = report["health"]
    assert h["n"] >= 10 and h["failures"] == 0, h
    assert h["p95_s"] < 3.0, f"/_stcore/health p95 {h['p95_s']:.2f} s with {N} students (target < 1 s)"


def test_memory_stays_bounded(report):
    rss = report["rss_mb"]
    # Two training jobs plus twenty sessions; measured about +450 MB. Queued students must cost little.
    assert rss["peak"] - rss["before"] < 1024, rss


def test_every_job_ends_when_its_student_leaves(report):
    # The page heartbeat times out after 8 s; then every thread that trained (or drew pages) is gone
    # and the CPU idles. At least the two training threads must have been seen working.
    ended = report["jobs_ended_s_after_last_close"]
    assert report["busy_threads_seen"] >= MAX_JOBS
    assert report["busy_threads_alive_after"] == [], report["new_threads_alive_after"]
    assert ended is not None and ended < 25, report["threads"]
