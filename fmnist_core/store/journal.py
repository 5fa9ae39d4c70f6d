"""Running jobs written down as they run: each tracked job's events snapshotted every few seconds
(fmnist_core.store.per_browser.Store.snapshot), and its TrainResult stored when it ends, so that a server restart
leaves an 'interrupted' run with its curves, and a reload finds a run that ended meanwhile.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any, Callable

from fmnist_core.store.keys import new_run_key
from fmnist_core.store.per_browser import Store
from fmnist_core.fashion.train import TrainResult

log = logging.getLogger("fmnist.store")


class Journal:
    """Snapshots each tracked job's events every `limits.snapshot_s` seconds, from one daemon thread."""

    def __init__(self):
        self._lock = threading.Lock()
        self._jobs: dict[Any, tuple] = {}
        self._thread: threading.Thread | None = None

    def track(self, job, store: Store, bid: str, key: str, page: str, config: dict | None) -> None:
        with self._lock:
            self._jobs[job] = (store, bid, key, page, config, -1)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, daemon=True, name="store-journal")
                self._thread.start()
        self.write(job)  # journaled from its start, not only once the shared thread wakes up

    def untrack(self, job) -> None:
        with self._lock:  # waits for a snapshot being written, so that none lands after the job ends
            self._jobs.pop(job, None)

    def write(self, job) -> None:
        with self._lock:
            entry = self._jobs.get(job)
            if entry is None:
                return
            store, bid, key, page, config, n = entry
            try:
                if job.n_events != n:
                    store.snapshot(bid, key, job.events(), page, job.label, config)
                    self._jobs[job] = (store, bid, key, page, config, job.n_events)
                else:  # unchanged (paused): keep it fresh, so other replicas do not take it for interrupted
                    os.utime(store.browser_dir(bid) / "active" / f"{key}.json")
            except OSError as e:
                log.warning("store: could not snapshot job %s: %s", key, e)

    def _loop(self) -> None:
        while True:
            with self._lock:
                jobs = list(self._jobs)
                if not jobs:
                    self._thread = None
                    return
                every = min(e[0].limits.snapshot_s for e in self._jobs.values())
            for job in jobs:
                self.write(job)
            time.sleep(every)


JOURNAL = Journal()


def journaled(store: Store, bid: str, page: str, config, target: Callable) -> Callable:
    """`target(job)` with its events snapshotted while it runs and its TrainResult stored when it ends.

    The result is stored before the job counts as ended, so a page that sees it ended finds it stored
    (as `job.stored`, a Saved); a failure to store is logged and the job's own result is kept.
    """
    cfg = config.to_dict() if hasattr(config, "to_dict") else config

    def run(job):
        key = job.store_key = new_run_key(job.id)
        job.stored = None
        JOURNAL.track(job, store, bid, key, page, cfg)
        try:
            result = target(job)
            if isinstance(result, TrainResult):
                try:
                    job.stored = store.save_result(bid, key, result, page)
                except Exception as e:  # a full disk must not lose the run on screen
                    log.warning("store: could not store run %s: %s: %s", key, type(e).__name__, e)
            return result
        finally:
            JOURNAL.untrack(job)
            try:
                store.drop_snapshot(bid, key)
            except OSError:
                pass

    return run


