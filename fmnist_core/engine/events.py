"""The one event reader: folds a job's event stream, as it arrives, into curves per run.

Every live view keeps an `EventReader` per job and calls `update(job.events(reader.n))` on each
poll, so that each event is read once however long the run. Events are plain dicts with a "kind";
comparisons tag them with a run key ("run": 0, 1, ...) so that each run gets its own curves.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

ENDED = ("done", "run_done", "result")


def _scalar(v: Any) -> bool:
    return isinstance(v, (int, float, np.floating, np.integer)) and not isinstance(v, bool)


@dataclass
class RunSeries:
    """One run's events by kind; numeric fields as columns (NaN where an event lacks one)."""

    key: Any
    start: dict | None = None
    end: dict | None = None
    last: dict | None = None
    latest: dict[str, dict] = field(default_factory=dict)  # kind -> this run's latest such event
    _cols: dict[str, dict[str, list]] = field(default_factory=dict)
    _rows: dict[str, int] = field(default_factory=dict)
    _items: dict[str, list[tuple[str, int, Any]]] = field(default_factory=dict)
    _seq: dict[str, int] = field(default_factory=dict)  # kind -> arrival number of its latest event
    _n: int = 0  # events of this run so far

    def add(self, ev: dict) -> None:
        kind = ev.get("kind", "")
        cols = self._cols.setdefault(kind, {})
        n = self._rows.get(kind, 0)
        for k, v in ev.items():
            if _scalar(v) or v is None:
                col = cols.setdefault(k, [math.nan] * n)
                col.append(math.nan if v is None else float(v))
            elif isinstance(v, (list, tuple, dict)):
                self._items.setdefault(k, []).append((kind, n, v))
        for col in cols.values():
            if len(col) == n:
                col.append(math.nan)
        self._rows[kind] = n + 1
        self.latest[kind] = ev
        self._seq[kind] = self._n
        self._n += 1

    def column(self, kind: str | tuple[str, ...], name: str) -> np.ndarray:
        """Values of `name` over the events of `kind` (or of several kinds, one kind after the other)."""
        if isinstance(kind, tuple):
            return np.concatenate([self.column(k, name) for k in kind]) if kind else np.zeros(0)
        n = self._rows.get(kind, 0)
        col = self._cols.get(kind, {}).get(name)
        return np.asarray(col if col is not None else [math.nan] * n, dtype=np.float64)

    def rows(self, kind: str, name: str) -> tuple[np.ndarray, list]:
        """(event indices within `kind`, values) of a list-valued field such as per-layer norms."""
        pairs = [(i, v) for k, i, v in self._items.get(name, []) if k == kind]
        return np.array([i for i, _ in pairs], dtype=int), [v for _, v in pairs]

    def items(self, name: str) -> list[tuple[str, int, Any]]:
        """(kind, index within that kind, value) of a list- or dict-valued field, in arrival order."""
        return list(self._items.get(name, []))

    def last_of(self, *kinds: str) -> dict | None:
        """The latest of this run's events of any of `kinds`."""
        seen = [k for k in kinds if k in self.latest]
        return self.latest[max(seen, key=self._seq.__getitem__)] if seen else None

    def count(self, kind: str) -> int:
        return self._rows.get(kind, 0)

    @property
    def ended(self) -> bool:
        return self.end is not None


class EventReader:
    """Events folded as they arrive: per-run series, the latest event of each kind, the end."""

    def __init__(self, run_key: str = "run", job_id: Any = None):
        self.run_key = run_key
        self.job_id = job_id
        self.n = 0  # events read so far
        self.runs: dict[Any, RunSeries] = {}
        self.latest: dict[str, dict] = {}  # kind -> the latest such event (numpy payloads dropped)
        self.done: dict | None = None  # the job's own final event, when it carries no run key
        self.history: list[dict] = []
        self._tagged = False

    def update(self, events: Iterable[dict]) -> bool:
        changed = False
        for ev in events:
            changed = True
            self.n += 1
            plain = {k: v for k, v in ev.items() if not isinstance(v, np.ndarray)}
            self.history.append(plain)
            kind = plain.get("kind", "")
            self.latest[kind] = plain
            key = plain.get(self.run_key)
            if key is not None:
                self._tagged = True
            elif self._tagged:  # a comparison's own closing event, outside any run
                if kind == "done":
                    self.done = plain
                continue
            else:  # a single-run job: its events are run 0
                key = 0
                if kind == "done":
                    self.done = plain
            run = self.runs.get(key)
            if run is None:
                run = self.runs[key] = RunSeries(key)
            if kind in ("start", "run_start"):
                run.start = plain
            run.add(plain)
            run.last = plain
            if kind in ENDED:
                run.end = plain
        return changed

    def run(self, key: Any = 0) -> RunSeries | None:
        return self.runs.get(key)

    def ordered(self) -> list[RunSeries]:
        return [self.runs[k] for k in self.runs]


def read(events: "Iterable[dict] | EventReader", run_key: str = "run") -> EventReader:
    """`events` folded by a fresh `EventReader`; a reader is returned as it is (a live view's, up to date)."""
    if isinstance(events, EventReader):
        return events
    reader = EventReader(run_key)
    reader.update(events)
    return reader
