"""A page's own small results, kept for a browser as JSON beside its runs (e.g. the overfitting lab's finished
runs): capped in size (Limits.page_data_bytes), expired and cleared with the browser's folder (per_browser)."""
from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from fmnist_core.engine.atomic import write_bytes_atomic
from fmnist_core.store.per_browser import PAGES_DIR, Store
from fmnist_core.store.strict_json import json_bytes, read_json

log = logging.getLogger("fmnist.store")
NAME_RE = re.compile(r"^[a-z][a-z_]{0,39}\Z")


def load(store: Store, bid: str, name: str) -> Any:
    """What `save(store, bid, name, ...)` wrote, or None (also for an unreadable file, logged)."""
    path = _path(store, bid, name)
    if not path.exists():
        return None
    try:
        return read_json(path)
    except (OSError, ValueError) as e:
        log.warning("store: skipped page data %s of browser %s…: %s", name, bid[:6], e)
        return None


def save(store: Store, bid: str, name: str, value: Any) -> None:
    data = json_bytes(value)  # raises on what JSON cannot hold
    if len(data) > store.limits.page_data_bytes:
        raise ValueError(f"page data {name!r} must be at most {store.limits.page_data_bytes} bytes of JSON")
    path = _path(store, bid, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, data)


def _path(store: Store, bid: str, name: str) -> Path:
    if not NAME_RE.match(name):
        raise ValueError(f"page data names are lowercase words, got {name!r}")
    return store.browser_dir(bid) / PAGES_DIR / f"{name}.json"
