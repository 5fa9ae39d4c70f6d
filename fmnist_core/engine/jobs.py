"""Background jobs for a web server: one thread each, a process-wide queue, stop/pause/heartbeat.

A page submits `target(job)`; the worker never touches the UI, it calls `job.emit(event)` and
honours `job.control` (stop, pause, heartbeat). Each kind of job has its own limit of jobs running at
once (`KINDS`); the rest wait in a queue whose position `job.position()` reports, and a job never
waits behind one of another kind. A job whose page stops beating (tab closed) is stopped, or dropped
from the queue, after `heartbeat_timeout` seconds.
"""
from __future__ import annotations

import itertools
import os
import threading
import time
import traceback
from typing import Any, Callable

from fmnist_core.engine.loop import TrainControl

TRAIN, TOY, SHORT = "train", "toy", "short"
# Who may have how many active jobs of a kind: "owner", one per browser (training slots are few);
# "key", one per browser and page key (a page's live toy network); "", any number (short work).
KINDS = {
    TRAIN: "owner",  # Fashion-MNIST and the comparisons: seconds to minutes, a core each ($FMNIST_MAX_JOBS)
    TOY: "key",  # a live 2D network, paced to the display: a fraction of a core ($FMNIST_MAX_TOY_JOBS)
    SHORT: "",  # bounded work of a few seconds that a page draws once (the growth grid): one per core
}
TOY_JOBS_PER_CORE = 4  # see default_max_toy

HEARTBEAT_TIMEOUT = 8.0  # s without a page heartbeat before a job ends: a page under load beats every ~3 s


def default_heartbeat_timeout() -> float:
    """$FMNIST_HEARTBEAT_TIMEOUT (seconds; tests shorten it instead of sleeping it out), else HEARTBEAT_TIMEOUT."""
    try:
        seconds = float(os.environ.get("FMNIST_HEARTBEAT_TIMEOUT", ""))
    except ValueError:
        return HEARTBEAT_TIMEOUT
    return seconds if seconds > 0 else HEARTBEAT_TIMEOUT


def default_max_running() -> int:
    """$FMNIST_MAX_JOBS, else 1 per 2 CPU cores (a training thread beside the server), 4 on a GPU."""
    env = os.environ.get("FMNIST_MAX_JOBS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        import torch

        if torch.cuda.is_available():
            return 4
    except Exception:
        pass
    return max(1, (os.cpu_count() or 2) // 2)


def default_max_toy() -> int:
    """$FMNIST_MAX_TOY_JOBS, else 4 per CPU core. A toy network is cheap: a few ms of training and
    drawing per frame, at most 32 frames a second (fmnist_core.toy.run), 0.06-0.2 of a core by its
    size; 8 students on page 2 took 0.9 core in all, their pages' polls included (bench/many_students.py).
    So toy jobs get a pool of their own: 4 per core leave about half of each core to the training
    slots and the server, and a class on page 2 neither waits for nor takes a training slot."""
    env = os.environ.get("FMNIST_MAX_TOY_JOBS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return TOY_JOBS_PER_CORE * (os.cpu_count() or 2)


class Job:
    _ids = itertools.count(1)

    def __init__(self, manager: "JobManager", owner: str, label: str, target: Callable[["Job"], Any],
                 key: str | None = None, meta: dict | None = None, kind: str = TRAIN):
        self.id = next(Job._ids)
        self.manager, self.owner, self.label, self.target, self.kind = manager, owner, label, target, kind
        self.key, self.meta = key, dict(meta or {})  # the page's job key (a reload finds the job by it); page data
        self.control = TrainControl(heartbeat_timeout=manager.heartbeat_timeout)
        self.state = "queued"  # queued | running | done | failed | cancelled
        self.result: Any = None
        self.error = ""
        self.created = time.time()
        self.started: float | None = None
        self.finished: float | None = None
        self._events: list[dict] = []
        self._lock = threading.Lock()
        self.thread: threading.Thread | None = None

    # --- worker side
    def emit(self, event: dict) -> None:
        with self._lock:
            self._events.append(event)

    # --- page side
    def events(self, since: int = 0) -> list[dict]:
        with self._lock:
            return self._events[since:]

    @property
    def n_events(self) -> int:
        with self._lock:
            return len(self._events)

    def beat(self) -> None:
        self.control.beat()

    def stop(self, reason: str = "stopped by the user") -> None:
        self.control.request_stop(reason)
        if self.state == "queued":
            self.manager._cancel(self)

    def pause(self) -> None:
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running")

    def position(self) -> int:
        """1-based place in the queue, 0 when running or ended."""
        return self.manager.position(self)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends (tests, CLI)."""
        t0 = time.monotonic()
        while self.active:
            if timeout is not None and time.monotonic() - t0 > timeout:
                return False
            if self.thread is not None:
                self.thread.join(0.05)
            else:
                time.sleep(0.05)
        return True


class JobManager:
    def __init__(self, max_running: int | None = None, heartbeat_timeout: float | None = HEARTBEAT_TIMEOUT,
                 max_toy: int | None = None, max_short: int | None = None):
        self.max_running = max_running or default_max_running()  # training jobs
        self.max_toy = max_toy or default_max_toy()
        self.max_short = max_short or os.cpu_count() or 2
        self.heartbeat_timeout = heartbeat_timeout
        self._lock = threading.RLock()
        self._queue: list[Job] = []
        self._running: list[Job] = []
        self._reaper: threading.Thread | None = None

    def limit(self, kind: str = TRAIN) -> int:
        """How many jobs of `kind` run at once."""
        return {TRAIN: self.max_running, TOY: self.max_toy, SHORT: self.max_short}[kind]

    def blocking(self, owner: str, key: str | None = None, kind: str = TRAIN) -> list[Job]:
        """The owner's active jobs that keep it from submitting one of `kind` under `key` (KINDS)."""
        one_per = KINDS[kind]
        with self._lock:
            return [j for j in self._running + self._queue if one_per and j.owner == owner and j.kind == kind
                    and (one_per == "owner" or j.key == key)]

    def submit(self, owner: str, label: str, target: Callable[[Job], Any], key: str | None = None,
               meta: dict | None = None, kind: str = TRAIN) -> Job:
        """Queue `target(job)`; an owner (a browser) has at most one active training job (KINDS)."""
        with self._lock:
            if self.blocking(owner, key, kind):
                raise RuntimeError("This browser already has a job running or queued (perhaps in another tab); "
                                   "stop it first.")
            job = Job(self, owner, label, target, key, meta, kind)
            self._queue.append(job)
            self._pump()
            self._ensure_reaper()
            return job

    def position(self, job: Job) -> int:
        """1-based place among the queued jobs of its kind, 0 when not queued."""
        with self._lock:
            same = [j for j in self._queue if j.kind == job.kind]
            return same.index(job) + 1 if job in same else 0

    def counts(self, kind: str | None = None) -> tuple[int, int]:
        """(running, queued), of one kind or of all."""
        with self._lock:
            return tuple(sum(kind is None or j.kind == kind for j in jobs) for jobs in (self._running, self._queue))

    def jobs_of(self, owner: str) -> list[Job]:
        with self._lock:
            return [j for j in self._running + self._queue if j.owner == owner]

    def stop_all(self) -> None:
        with self._lock:
            for j in list(self._queue) + list(self._running):
                j.stop("server shutting down")

    def _cancel(self, job: Job) -> None:
        with self._lock:
            if job in self._queue:
                self._queue.remove(job)
                job.state, job.finished = "cancelled", time.time()

    def _pump(self) -> None:
        """Start queued jobs in order while their kind has room: a full kind holds up no other kind."""
        with self._lock:
            for job in list(self._queue):
                if job.control.should_stop():
                    self._queue.remove(job)
                    job.state, job.finished = "cancelled", time.time()
                    continue
                if sum(j.kind == job.kind for j in self._running) >= self.limit(job.kind):
                    continue
                self._queue.remove(job)
                job.state, job.started = "running", time.time()
                self._running.append(job)
                job.thread = threading.Thread(target=self._run, args=(job,), daemon=True,
                                              name=f"job-{job.id}-{job.label}")
                job.thread.start()

    def _run(self, job: Job) -> None:
        try:
            job.result = job.target(job)
            job.state = "done"
        except Exception as e:  # surfaced on the page, never lost
            job.error = f"{type(e).__name__}: {e}"
            job.traceback = traceback.format_exc()
            job.state = "failed"
        finally:
            job.finished = time.time()
            with self._lock:
                if job in self._running:
                    self._running.remove(job)
                self._pump()

    def _ensure_reaper(self) -> None:
        if self._reaper is None or not self._reaper.is_alive():
            self._reaper = threading.Thread(target=self._reap, daemon=True, name="job-reaper")
            self._reaper.start()

    def _reap(self) -> None:
        """Drop queued jobs whose page went away (running ones check their own heartbeat)."""
        while True:
            time.sleep(1.0)
            with self._lock:
                for j in list(self._queue):
                    if j.control.should_stop():
                        self._cancel(j)
                for j in list(self._running):
                    j.control.should_stop()  # trips the heartbeat stop even if the worker is blocked
                if not self._queue and not self._running:
                    self._reaper = None
                    return


_MANAGER: JobManager | None = None
_MANAGER_LOCK = threading.Lock()


def get_manager() -> JobManager:
    """The process-wide manager (one per server)."""
    global _MANAGER
    with _MANAGER_LOCK:
        if _MANAGER is None:
            _MANAGER = JobManager(heartbeat_timeout=default_heartbeat_timeout())
        return _MANAGER
