"""Strict JSON in and out of the store: events without numpy payloads or NaN, and files that read back as
the shape expected or raise ValueError with a reason (nothing in a file is ever run)."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np


def plain_value(v: Any) -> Any:
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    if isinstance(v, np.ndarray):
        return None
    if isinstance(v, float) and not math.isfinite(v):
        return None  # strict JSON; read back as NaN
    return v if isinstance(v, (str, int, float, bool, type(None), list, dict)) else str(v)


def plain_events(events: list[dict]) -> list[dict]:
    """Events without their numpy payloads, as JSON-safe dicts."""
    return [{k: plain_value(v) for k, v in ev.items() if not isinstance(v, np.ndarray)} for ev in events]


def json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, allow_nan=False, separators=(",", ":")).encode()


def read_json(path: Path, kind: type = dict) -> Any:
    """The JSON in `path`, or raise ValueError with a reason (never runs anything from the file)."""
    try:
        obj = json.loads(path.read_bytes())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"not JSON ({type(e).__name__}: truncated, damaged or another format)") from e
    if not isinstance(obj, kind):
        raise ValueError(f"JSON of the wrong shape ({type(obj).__name__}, expected {kind.__name__})")
    return obj


def number_or_nan(v: Any) -> float:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else float("nan")
