"""Each browser's work on disk, so that a reload, a dropped connection or a server restart loses nothing.

    <root>/<browser id>/runs/<run key>/meta.json     name, status, scores, settings (small JSON)
                                       history.json  the run's events (JSON; no code)
                                       probs.npz     test probabilities (compressed; read without pickle)
                                       model.pt      the weights (fmnist_core.fashion.checkpoint; weights_only=True)
    <root>/<browser id>/active/<run key>.json        a running job's events so far, rewritten every few s
    <root>/<browser id>/progress.json                lesson progress (a small JSON dict)

The root is $FMNIST_DATA_STORE, else <repo>/runs/store. A browser id is the exact token
`new_browser_id()` makes; anything else is refused before it can name a path. Every file is written
to a temporary name and renamed; a run's folder appears whole or not at all. Files that do not read
back (truncated, foreign, a pickle) are skipped with a logged reason. Limits: runs per browser and
bytes in total (oldest evicted first, the evicted runs returned), and an age after which all expires.
"""
from __future__ import annotations

import logging
import math
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fmnist_core.engine.atomic import write_bytes_atomic
from fmnist_core.fashion.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from fmnist_core.fashion.runs import RunRecord, default_name
from fmnist_core.fashion.recipe import TrainConfig
from fmnist_core.store.keys import BOOT, RUN_KEY_RE, valid_id
from fmnist_core.store.strict_json import json_bytes, number_or_nan, plain_events, plain_value, read_json

log = logging.getLogger("fmnist.store")

INTERRUPTED = "interrupted by a server restart"
PAGES_DIR = "pages"  # in a browser's folder: each page's own small results (fmnist_core.store.page_data)


def _env_num(name: str, default: float) -> float:
    try:
        v = float(os.environ.get(name, "").strip() or default)
        return v if math.isfinite(v) and v > 0 else default
    except ValueError:
        return default


@dataclass(frozen=True)
class Limits:
    runs_per_browser: int = 8  # what the training page shows; the oldest goes first
    total_bytes: int = 2 * 1024**3  # all browsers together; ~0.5-1.7 MB per run (weights + probabilities)
    max_age_s: float = 30 * 86400  # runs, snapshots and progress not written for this long are removed
    progress_bytes: int = 64 * 1024  # lesson progress is a small dict
    page_data_bytes: int = 512 * 1024  # a page's own small results (the overfitting lab's curves), per page
    snapshot_s: float = 5.0  # how often a running job's events are written

    @staticmethod
    def from_env() -> "Limits":
        return Limits(runs_per_browser=int(_env_num("FMNIST_STORE_RUNS", 8)),
                      total_bytes=int(_env_num("FMNIST_STORE_MB", 2048) * 1024**2),
                      max_age_s=_env_num("FMNIST_STORE_DAYS", 30) * 86400,
                      snapshot_s=_env_num("FMNIST_SNAPSHOT_S", 5.0))


def default_root() -> Path:
    env = os.environ.get("FMNIST_DATA_STORE", "").strip()
    return Path(env) if env else Path(__file__).resolve().parents[2] / "runs" / "store"


@dataclass
class Evicted:
    browser: str
    key: str
    name: str
    why: str  # "per-browser limit" | "total size limit" | "expired"


@dataclass
class Saved:
    key: str
    record: Any  # fmnist_core.fashion.runs.RunRecord
    evicted: list[Evicted] = field(default_factory=list)


class Store:
    def __init__(self, root: str | os.PathLike | None = None, limits: Limits | None = None):
        self.root = Path(root) if root is not None else default_root()
        self.limits = limits or Limits.from_env()
        self._lock = threading.RLock()
        self._last_housekeeping = 0.0

    # --- paths: only validated ids and keys ever become part of a path
    def browser_dir(self, bid: str) -> Path:
        if not valid_id(bid):
            raise ValueError("not a browser id of this server")
        return self.root / bid

    def _run_dir(self, bid: str, key: str) -> Path:
        if not RUN_KEY_RE.match(str(key)):
            raise ValueError("not a run key")
        return self.browser_dir(bid) / "runs" / key

    def run_keys(self, bid: str) -> list[str]:
        """This browser's stored runs, oldest first (interrupted jobs of a past server included)."""
        self.recover_interrupted(bid)
        self.maybe_housekeep()
        runs = self.browser_dir(bid) / "runs"
        return sorted(p.name for p in runs.iterdir() if RUN_KEY_RE.match(p.name)) if runs.is_dir() else []

    # --- finished runs
    def save_result(self, bid: str, key: str, result, page: str = "training") -> Saved:
        """Store a TrainResult as this browser's next numbered run."""
        with self._lock:
            number = self._next_number(bid)
            record = RunRecord.from_result(result, run_id=number)
            return self.save_record(bid, key, record, page)

    def save_record(self, bid: str, key: str, record, page: str = "training") -> Saved:
        final = self._run_dir(bid, key)
        with self._lock:
            if final.exists():
                return Saved(key, record)
            final.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=".new-", dir=final.parent))
            try:
                meta = {"format": "fmnist-store/1", "page": page, "number": int(record.run_id), "name": record.name,
                        "status": record.status, "message": record.message, "created": float(record.created),
                        "test_accuracy": plain_value(float(record.test_accuracy)),
                        "test_loss": plain_value(float(record.test_loss)), "train_seconds": float(record.train_seconds),
                        "epochs": float(record.epochs), "steps": int(record.steps), "device": record.device,
                        "normalization": [float(x) for x in record.normalization],
                        "config": record.config.to_dict(), "saved_path": record.saved_path}
                (tmp / "history.json").write_bytes(json_bytes(plain_events(record.history)))
                if record.probabilities is not None:
                    np.savez_compressed(tmp / "probs.npz", probabilities=np.asarray(record.probabilities, np.float32))
                    if record.model is not None:
                        save_checkpoint(tmp / "model.pt", model=record.model, config=record.config,
                                        normalization=record.normalization, metrics={"name": record.name})
                (tmp / "meta.json").write_bytes(json_bytes(meta))  # last: a folder with meta.json is complete
                os.rename(tmp, final)
            finally:
                if tmp.exists():
                    shutil.rmtree(tmp, ignore_errors=True)
            evicted = self._cap_browser(bid) + self.housekeep()
        return Saved(key, record, evicted)

    def load_run(self, bid: str, key: str):
        """The stored run as a RunRecord, or None (reason logged) when it does not read back."""
        d = self._run_dir(bid, key)
        try:
            meta = read_json(d / "meta.json")
            cfg = TrainConfig.from_dict(meta["config"])
            history = read_json(d / "history.json", list)
            rec = RunRecord(run_id=int(meta["number"]), name=str(meta["name"]), config=cfg,
                            status=str(meta["status"]), message=str(meta.get("message", "")),
                            test_accuracy=number_or_nan(meta.get("test_accuracy")),
                            test_loss=number_or_nan(meta.get("test_loss")),
                            train_seconds=number_or_nan(meta.get("train_seconds")),
                            epochs=number_or_nan(meta.get("epochs")),
                            steps=int(meta.get("steps") or 0), device=str(meta.get("device", "")),
                            history=[e for e in history if isinstance(e, dict)],
                            normalization=tuple(float(x) for x in meta.get("normalization", (0.0, 1.0)))[:2],
                            created=float(meta["created"]), saved_path=meta.get("saved_path"))
        except (OSError, ValueError, KeyError, TypeError) as e:
            log.warning("store: skipped run %s/%s: %s", bid[:6], key, e)
            return None
        rec.probabilities = self._load_probabilities(d / "probs.npz", key)
        if rec.probabilities is not None and (d / "model.pt").exists():
            rec.model = self._load_model(d / "model.pt", key)
        return rec

    def _load_probabilities(self, path: Path, key: str) -> np.ndarray | None:
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as f:
                p = np.asarray(f["probabilities"], dtype=np.float32)
            if p.ndim != 2 or p.shape[1] != 10 or not np.isfinite(p).all():
                raise ValueError(f"probabilities of shape {p.shape}, or not finite")
            return p
        except Exception as e:  # a pickle (object array) raises ValueError; a foreign zip KeyError or BadZipFile
            log.warning("store: skipped the probabilities of run %s: %s: %s", key, type(e).__name__, e)
            return None

    def _load_model(self, path: Path, key: str):
        try:
            return load_checkpoint(path)[0]  # torch.load(weights_only=True): never runs code from the file
        except CheckpointError as e:
            log.warning("store: skipped the weights of run %s: %s", key, e)
            return None

    def delete_run(self, bid: str, key: str) -> None:
        shutil.rmtree(self._run_dir(bid, key), ignore_errors=True)

    def clear(self, bid: str) -> None:
        """Everything this browser stored."""
        shutil.rmtree(self.browser_dir(bid), ignore_errors=True)

    def _next_number(self, bid: str) -> int:
        path = self.browser_dir(bid) / "counter.json"
        try:
            n = int(read_json(path).get("next", 1))
        except (OSError, ValueError, TypeError):
            n = 1
        for key in self._keys_no_recover(bid):  # never reuse a number still on show
            n = max(n, int(self._meta(bid, key).get("number", 0)) + 1)
        write_bytes_atomic(path, json_bytes({"next": n + 1}))
        return n

    def _meta(self, bid: str, key: str) -> dict:
        try:
            return read_json(self._run_dir(bid, key) / "meta.json")
        except (OSError, ValueError):
            return {}

    # --- limits
    def _cap_browser(self, bid: str) -> list[Evicted]:
        keys = self._keys_no_recover(bid)
        extra = keys[:max(0, len(keys) - self.limits.runs_per_browser)]
        return [self._evict(bid, k, "per-browser limit") for k in extra]

    def _evict(self, bid: str, key: str, why: str) -> Evicted:
        name = str(self._meta(bid, key).get("name") or key)
        self.delete_run(bid, key)
        log.info("store: removed run %s of browser %s… (%s)", name, bid[:6], why)
        return Evicted(bid, key, name, why)

    def browsers(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if valid_id(p.name)) if self.root.is_dir() else []

    def usage(self) -> dict:
        """Bytes and runs in the store, for the deployment notes' `du`."""
        total, runs = 0, 0
        for bid in self.browsers():
            for p in self.browser_dir(bid).rglob("*"):
                if p.is_file():
                    total += p.stat().st_size
            runs += len(self._keys_no_recover(bid))
        return {"bytes": total, "runs": runs, "browsers": len(self.browsers())}

    def _keys_no_recover(self, bid: str) -> list[str]:
        runs = self.browser_dir(bid) / "runs"
        return sorted(p.name for p in runs.iterdir() if RUN_KEY_RE.match(p.name)) if runs.is_dir() else []

    def housekeep(self, now: float | None = None) -> list[Evicted]:
        """Remove what expired, then the oldest runs of all browsers until under the total size."""
        now = time.time() if now is None else now
        cutoff = now - self.limits.max_age_s
        out: list[Evicted] = []
        with self._lock:
            self._last_housekeeping = now
            sized: list[tuple[str, str, str, int]] = []  # (key, browser, path, bytes): keys sort by time
            for bid in self.browsers():
                try:  # another process (a replica, a `clear`) may remove files meanwhile
                    self._expire_browser(bid, cutoff, out, sized)
                except OSError as e:
                    log.warning("store: housekeeping skipped browser %s…: %s", bid[:6], e)
            total = sum(s[3] for s in sized)
            for key, bid, _, size in sorted(sized):
                if total <= self.limits.total_bytes:
                    break
                out.append(self._evict(bid, key, "total size limit"))
                total -= size
        return out

    def _expire_browser(self, bid: str, cutoff: float, out: list, sized: list) -> None:
        bdir = self.browser_dir(bid)
        for key in self._keys_no_recover(bid):
            if int(key[:13]) / 1000 < cutoff:
                out.append(self._evict(bid, key, "expired"))
            else:
                size = sum(p.stat().st_size for p in (bdir / "runs" / key).iterdir() if p.is_file())
                sized.append((key, bid, str(bdir), size))
        for tmp in (bdir / "runs").glob(".new-*"):  # left by a process that died while storing a run
            if tmp.stat().st_mtime < time.time() - 3600:
                shutil.rmtree(tmp, ignore_errors=True)
        active = bdir / "active"
        for p in [bdir / "progress.json", bdir / "counter.json", *active.glob("*.json"), *active.glob("*.unreadable"),
                  *(bdir / PAGES_DIR).glob("*.json")]:
            if p.exists() and p.stat().st_mtime < cutoff:
                p.unlink(missing_ok=True)
        for sub in (bdir / "runs", active, bdir / PAGES_DIR, bdir):
            try:
                sub.rmdir()  # only when empty
            except OSError:
                pass

    def maybe_housekeep(self, every_s: float = 600.0) -> list[Evicted]:
        return self.housekeep() if time.time() - self._last_housekeeping > every_s else []

    # --- lesson progress
    def progress(self, bid: str) -> dict:
        path = self.browser_dir(bid) / "progress.json"
        if not path.exists():
            return {}
        try:
            return read_json(path)
        except (OSError, ValueError) as e:
            log.warning("store: skipped the lesson progress of browser %s…: %s", bid[:6], e)
            return {}

    def save_progress(self, bid: str, progress: dict) -> None:
        data = json_bytes(progress) if isinstance(progress, dict) else b""  # raises on what JSON cannot hold
        if not data or len(data) > self.limits.progress_bytes:
            raise ValueError(f"lesson progress must be a dict of at most {self.limits.progress_bytes} bytes of JSON")
        write_bytes_atomic(self.browser_dir(bid) / "progress.json", data)

    # --- running jobs: snapshots, and what is left of them after a restart
    def snapshot(self, bid: str, key: str, events: list[dict], page: str, label: str, config: dict | None) -> None:
        if not RUN_KEY_RE.match(key):
            raise ValueError("not a run key")
        write_bytes_atomic(self.browser_dir(bid) / "active" / f"{key}.json",
                      json_bytes({"boot": BOOT, "page": page, "label": label, "config": config,
                                   "written": time.time(), "events": plain_events(events)}))

    def drop_snapshot(self, bid: str, key: str) -> None:
        if RUN_KEY_RE.match(key):
            (self.browser_dir(bid) / "active" / f"{key}.json").unlink(missing_ok=True)

    def recover_interrupted(self, bid: str, now: float | None = None) -> list[str]:
        """Turn the snapshots of jobs that a past server process was running into 'interrupted' runs."""
        active = self.browser_dir(bid) / "active"
        if not active.is_dir():
            return []
        now = time.time() if now is None else now
        out = []
        with self._lock:
            for path in sorted(active.glob("*.json")):
                key = path.stem
                if not RUN_KEY_RE.match(key):
                    continue
                try:
                    # A running job's snapshot (ours or another replica's) is rewritten every few seconds.
                    if now - path.stat().st_mtime < 3 * self.limits.snapshot_s:
                        continue
                    snap = read_json(path)
                    if snap.get("boot") == BOOT:
                        continue
                    events = [e for e in snap.get("events", []) if isinstance(e, dict)]
                    cfg = TrainConfig.from_dict(snap["config"])
                except (OSError, ValueError, KeyError, TypeError) as e:
                    log.warning("store: skipped the snapshot %s of browser %s…: %s", key, bid[:6], e)
                    path.rename(path.with_suffix(".unreadable"))  # once; housekeeping does not list it
                    continue
                last = events[-1] if events else {}
                tests = [e for e in events if e.get("kind") == "epoch" and isinstance(e.get("test_accuracy"), float)]
                number = self._next_number(bid)
                rec = RunRecord(run_id=number, name="", config=cfg, status="interrupted", message=INTERRUPTED,
                                test_accuracy=number_or_nan(tests[-1]["test_accuracy"] if tests else None),
                                test_loss=number_or_nan(tests[-1].get("test_loss") if tests else None),
                                train_seconds=number_or_nan(last.get("elapsed", 0.0)),
                                epochs=number_or_nan(last.get("epoch", 0.0)),
                                steps=int(last.get("step") or 0), device="", history=events,
                                created=int(key[:13]) / 1000)
                rec.name = default_name(number, cfg)
                self.save_record(bid, key, rec, str(snap.get("page", "training")))
                path.unlink(missing_ok=True)
                out.append(key)
        return out


_STORE: Store | None = None
_STORE_LOCK = threading.Lock()


def get_store() -> Store:
    """The server's store ($FMNIST_DATA_STORE); one per process."""
    global _STORE
    with _STORE_LOCK:
        if _STORE is None or _STORE.root != default_root():
            _STORE = Store()
        return _STORE

