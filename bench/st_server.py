"""The one Streamlit test server: `streamlit run app.py` on a free loopback port, for tests and benchmarks.

Started with the flags of shared/NOTES.md (headless, 127.0.0.1, no file watcher, no usage stats),
ready when `/_stcore/health` answers, its output logged to a file, stopped cleanly (terminate, then
kill). The server imports the checkout it runs from (its root goes first on PYTHONPATH), not whatever
the virtual environment's editable install points at.

    with StreamlitServer(env={"FMNIST_MAX_JOBS": "2"}, name="bench") as server:
        urllib.request.urlopen(server.url + "/training")
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"  # Debian's; never `playwright install` (no downloads here)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
START_TIMEOUT = 90.0  # s: a cold start imports torch and streamlit, slow on a busy 2-core machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health(url: str, timeout: float = 1.0) -> tuple[bool, float]:
    """(the server answered "ok" on /_stcore/health, seconds it took)."""
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=timeout) as r:
            ok = r.status == 200 and r.read().strip() == b"ok"
    except OSError:
        ok = False
    return ok, time.perf_counter() - t0


class StreamlitServer:
    """A running `streamlit run <script>` (started in the constructor; `stop()` or a `with` block ends it)."""

    def __init__(self, script: str = "app.py", env: dict | None = None, name: str = "server",
                 log_dir: Path = ARTIFACTS, timeout: float = START_TIMEOUT, root: Path = ROOT):
        log_dir.mkdir(parents=True, exist_ok=True)
        self.root = Path(root)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = Path(log_dir) / f"{name}-{self.port}.log"
        full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(self.root), full_env.get("PYTHONPATH")]))
        with open(self.log, "w") as out:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
                 "--server.address", "127.0.0.1", "--server.port", str(self.port),
                 "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
                cwd=self.root, env=full_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if health(self.url, 1.0)[0]:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"streamlit did not start; see {self.log}:\n{self.log_text()[-2000:]}")

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def health(self, timeout: float = 1.0) -> tuple[bool, float]:
        return health(self.url, timeout)

    def stop(self) -> None:
        """Terminate, then kill after 10 s; idempotent."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def log_tracebacks(self, about: str = "") -> int:
        """Tracebacks in the log (those mentioning `about`, if given; chained ones count once)."""
        text = self.log_text()
        starts = [m.start() for m in re.finditer(r"Traceback \(most recent call last\)", text)
                  if not re.search(r"(another exception occurred|the following exception):\s*$",
                                   text[max(0, m.start() - 200):m.start()])]
        groups = [text[a:b] for a, b in zip(starts, starts[1:] + [len(text)])]
        return sum(about in g for g in groups)

    def __enter__(self) -> "StreamlitServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
