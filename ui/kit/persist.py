"""A page's runs kept for this browser: loaded from the store, stored as their jobs end, and the
learner told when the store removed some or when a server restart interrupted one.

    live.start(KEY, "training", target, keep=cfg)   # the job's events are snapshotted, its result stored
    persist.sync_runs(RUNS_KEY, job)                # each full run: the browser's runs into the session
    persist.record_ended(job, RUNS_KEY, MAX_RUNS)   # a job that just ended joins the runs (once)
"""
from __future__ import annotations

import logging
from typing import Any, Callable

import streamlit as st

from fmnist_core.fashion.runs import RunRecord, default_name
from fmnist_core.store.journal import journaled
from fmnist_core.store.per_browser import INTERRUPTED, get_store

from ui.kit.identity import browser_id

log = logging.getLogger("fmnist.store")


def keep(page: str, config: Any, target: Callable) -> Callable:
    """`target(job)` journaled for this browser (see fmnist_core.store.per_browser.journaled)."""
    return journaled(get_store(), browser_id(), page, config, target)


def _held(runs_key: str) -> dict:
    """Store key -> run_id of the runs this session has loaded (None: unreadable, skipped)."""
    return st.session_state.setdefault(f"{runs_key}__store", {})


def sync_runs(runs_key: str, job=None, notice: bool = True) -> list[RunRecord]:
    """Bring this browser's stored runs into `st.session_state[runs_key]` (new ones in, removed ones out);
    with `notice`, say so when the newest was interrupted by a server restart."""
    runs: list[RunRecord] = st.session_state.setdefault(runs_key, [])
    store = get_store()
    try:
        keys = store.run_keys(browser_id())
    except OSError as e:
        log.warning("store: cannot list runs: %s", e)
        return runs
    held = _held(runs_key)
    gone = {held.pop(k) for k in [k for k in held if k not in keys]}
    removed = [r for r in runs if r.run_id in gone]
    if removed:
        runs[:] = [r for r in runs if r.run_id not in gone]
        st.toast(f"This server keeps your newest {store.limits.runs_per_browser} runs; it removed "
                 + ", ".join(r.name for r in removed) + ".", icon="🗂️")
    fresh = getattr(job, "stored", None)
    skipped = 0
    for k in keys:
        if k in held:
            continue
        rec = fresh.record if fresh is not None and fresh.key == k else store.load_run(browser_id(), k)
        held[k] = None if rec is None else rec.run_id
        if rec is None:
            skipped += 1
        elif all(r.run_id != rec.run_id for r in runs):
            runs.append(rec)
    if skipped:
        st.toast(f"{skipped} stored run{'s' if skipped > 1 else ''} could not be read back and "
                 f"{'were' if skipped > 1 else 'was'} skipped.", icon="⚠️")
    runs.sort(key=lambda r: r.created)
    if notice and runs and runs[-1].status == "interrupted" and not (job is not None and job.active):
        last = runs[-1]
        st.warning(f"⚠️ **{last.name}** was {INTERRUPTED} after {last.train_seconds:.0f} s "
                   f"(epoch {last.epochs:.1f}). Its curves up to then are kept in the **Runs** tab; "
                   "start it again to finish it.")
    return runs


def record_ended(job, runs_key: str, max_runs: int) -> RunRecord | None:
    """Keep an ended job's result as one of this browser's runs (once); the newest if it was stored."""
    if job is None or job.active or job.result is None:
        return None
    stored = getattr(job, "stored", None)
    if stored is not None:
        if stored.key in _held(runs_key):
            return None
        sync_runs(runs_key, job, notice=False)  # may run in a button callback: no page elements
        return stored.record
    # Not stored (a full disk, or a job started without keep=): kept for this session only.
    ss = st.session_state
    done = ss.setdefault(f"{runs_key}__jobs", set())
    if job.id in done:
        return None
    done.add(job.id)
    runs: list[RunRecord] = ss.setdefault(runs_key, [])
    number = max((r.run_id for r in runs), default=0) + 1
    rec = RunRecord.from_result(job.result, run_id=number, name=default_name(number, job.result.config))
    runs.append(rec)
    if len(runs) > max_runs:
        old = runs.pop(0)
        st.toast(f"Kept the last {max_runs} runs; forgot {old.name}.")
    return rec


def progress() -> dict:
    """This browser's lesson progress ({} at first)."""
    return get_store().progress(browser_id())


def save_progress(value: dict) -> None:
    get_store().save_progress(browser_id(), value)


def clear(runs_keys: tuple[str, ...] = ()) -> None:
    """Remove all the store keeps for this browser (runs, job snapshots, lesson progress), and the runs this
    session holds under `runs_keys`, so that no page shows a removed run as 'removed by the limit'."""
    get_store().clear(browser_id())
    for runs_key in runs_keys:
        for key in (runs_key, f"{runs_key}__store", f"{runs_key}__jobs"):
            st.session_state.pop(key, None)
