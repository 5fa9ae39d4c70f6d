"""The training CLI as a new user meets it: strict JSON last line, a progress bar in a terminal, --logdir."""
import io
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import fcntl  # noqa: I001
from pathlib import Path

import pytest

from fmnist_core.engine.terminal import strict_json

from .test_fashion import _Handler, _serve_small, http_server  # noqa: F401  (a fixture)

ROOT = Path(__file__).resolve().parents[2]
FIELDS = {"status", "message", "test_accuracy", "test_loss", "train_seconds", "epochs", "steps", "device",
          "parameters", "model", "threads", "config"}


def strict_loads(line: str):
    """json.loads that refuses NaN/Infinity, as jq and JavaScript's JSON.parse do."""
    def refuse(token):
        raise ValueError(f"not strict JSON: {token}")
    return json.loads(line, parse_constant=refuse)


def cli(*args, timeout=180, **kw):
    return subprocess.run([sys.executable, "-m", "fmnist_core.fashion.train", "--threads", "1", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, **kw)


def test_strict_json_replaces_only_non_finite_numbers():
    value = {"a": float("nan"), "b": [1.5, float("inf"), -float("inf")], "c": {"d": 2, "e": "NaN"}, "f": None}
    assert strict_json(value) == {"a": None, "b": [1.5, None, None], "c": {"d": 2, "e": "NaN"}, "f": None}


def test_diverged_run_prints_null_not_nan_and_keeps_its_fields():
    out = cli("--model", "mlp", "--lr", "1000", "--optimizer", "sgd", "--epochs", "1")
    assert out.returncode == 3, out.stderr
    last = out.stdout.strip().splitlines()[-1]
    assert not re.search(r"[:,\[]\s*-?(NaN|Infinity)", last)  # no bare NaN token (the message may say NaN)
    summary = strict_loads(last)
    assert set(summary) == FIELDS
    assert summary["status"] == "diverged" and summary["test_accuracy"] is None and summary["test_loss"] is None
    assert summary["config"]["lr"] == 1000 and summary["config"]["time_budget"] is None
    assert "diverged at epoch 1" in out.stderr


def _in_terminal(args, timeout=180):
    """Run the CLI with stdout and stderr on a pseudo-terminal 100 columns wide; return all it wrote."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "fmnist_core.fashion.train", "--threads", "1", *args], cwd=ROOT,
                            stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env={**os.environ, "COLUMNS": "100"})
    os.close(slave)
    chunks = []
    try:
        while True:
            try:
                data = os.read(master, 1 << 16)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        proc.wait(timeout=timeout)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, b"".join(chunks).decode("utf-8", "replace")


def test_progress_bar_in_a_terminal_and_tensorboard_logdir(tmp_path):
    logdir = tmp_path / "runs" / "mlp-quick"
    code, text = _in_terminal(["--model", "mlp", "--epochs", "1", "--batch-size", "1024", "--logdir", str(logdir)])
    assert code == 0, text[-2000:]
    lines = [re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", s) for s in re.split(r"[\r\n]+", text)]
    bars = [s for s in lines if s.startswith("training:") and "|" in s]
    assert bars, text[-2000:]
    assert "1.0/1 epoch [" in bars[-1] and "loss=" in bars[-1]
    assert any(s.startswith("epoch  1.00") for s in lines)  # the epoch line, on its own above the bar
    summary = strict_loads([s for s in lines if s.startswith("{")][-1])
    assert set(summary) == FIELDS | {"logdir"} and summary["logdir"] == str(logdir)
    assert summary["status"] == "finished" and summary["test_accuracy"] > 0.7
    for split in ("train", "test"):
        assert list((logdir / split).glob("events.out.tfevents.*")), split


def test_no_bar_when_not_in_a_terminal():
    out = cli("--model", "mlp", "--lr", "1000", "--optimizer", "sgd", "--epochs", "1")
    assert "training:" not in out.stderr and "|" not in out.stderr  # logs and pipes stay clean


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_download_draws_one_bar_per_file_in_a_terminal(http_server, tmp_path, monkeypatch, capsys):
    from fmnist_core.fashion import dataset as fashion

    _, url = http_server
    _Handler.files = _serve_small(monkeypatch, tmp_path)
    monkeypatch.setattr(fashion, "FILES", {n: (s, k, 100 if s == "train" else 10, md5)
                                           for n, (s, k, _, md5) in fashion.FILES.items()})
    monkeypatch.setenv("FMNIST_MIRROR", url)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("FMNIST_DATA_DIR", raising=False)
    monkeypatch.setattr(fashion, "DEBIAN_DIR", tmp_path / "no-debian")
    term = _Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    assert fashion.main(["--download"]) == 0
    bars = [re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", s) for s in re.split(r"[\r\n]+", term.getvalue())]
    for name, body in _Handler.files.items():
        size = f"{len(body)}/{len(body)}" if len(body) >= 100 else f"{len(body)}.0/{len(body)}.0"
        assert [s for s in bars if s.startswith(f"{name.removesuffix('.gz')}: 100%") and size in s], bars
    assert "OK: 100 train + 10 test images" in capsys.readouterr().out
