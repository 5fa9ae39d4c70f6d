"""Names in the store: a browser's id (an unguessable token, the only thing that may name its folder) and
a run's key (when, on which server process, which job)."""
from __future__ import annotations

import re
import secrets
import time
from typing import Any

ID_RE = re.compile(r"^[A-Za-z0-9_-]{43}\Z")  # secrets.token_urlsafe(32): 256 random bits
RUN_KEY_RE = re.compile(r"^\d{13}-[0-9a-f]{8}-\d{1,9}\Z")  # <ms since epoch>-<server boot>-<job id>
BOOT = secrets.token_hex(4)  # this server process; a snapshot from another one may be an interrupted job


def new_browser_id() -> str:
    """An unguessable browser id: 32 random bytes, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


def valid_id(bid: Any) -> bool:
    return isinstance(bid, str) and ID_RE.match(bid) is not None


def new_run_key(job_id: int, now: float | None = None) -> str:
    return f"{int((time.time() if now is None else now) * 1000):013d}-{BOOT}-{int(job_id)}"
