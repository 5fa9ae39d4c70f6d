"""What the command-line tools print: tqdm progress bars (drawn only in a terminal) and strict JSON.

Bars go to stderr and only when it is a terminal (`disable=None`), so pipes and logs stay clean;
lines meant for stdout are written through `tqdm.write`, which redraws the bar below them.
"""
from __future__ import annotations

import math
import sys
import time
from typing import Any


def strict_json(value: Any) -> Any:
    """`value` with NaN/Inf floats replaced by None, so json.dumps writes strict JSON (null)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(v) for v in value]
    return value


class EpochBar:
    """A trainer listener: one bar over the epochs, or over the seconds of a time budget."""

    def __init__(self, epochs: int, time_budget: float | None = None):
        from tqdm import tqdm

        self.tqdm, self.epochs, self.budget, self.bar = tqdm, epochs, time_budget, None

    def write(self, line: str) -> None:
        """Print a line on stdout above the bar."""
        self.tqdm.write(line, file=sys.stdout)
        sys.stdout.flush()

    def __call__(self, ev: dict) -> None:
        if ev["kind"] not in ("progress", "epoch"):
            return
        if self.bar is None:  # made at the first event, its clock set to the trainer's (setup is not training)
            total, unit = (self.budget, "s") if self.budget else (self.epochs, "epoch")
            self.bar = self.tqdm(total=total, unit=unit, desc="training", disable=None, dynamic_ncols=True,
                                 bar_format="{l_bar}{bar}| {n:.1f}/{total:g} {unit} [{elapsed}<{remaining}{postfix}]")
            self.bar.start_t = time.time() - ev["elapsed"]
        self.bar.n = min(ev["elapsed"] if self.budget else ev["epoch"], self.bar.total)
        post = {"loss": f"{ev['train_loss']:.3f}", "acc": f"{ev['train_accuracy']:.3f}"}
        if "test_accuracy" in ev:
            post["test acc"] = f"{ev['test_accuracy']:.3f}"
        self.bar.set_postfix(post, refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class DownloadBars:
    """A `progress(name, done, total)` callback for `fashion.download`: one bar of bytes per file."""

    def __init__(self):
        from tqdm import tqdm

        self.tqdm, self.bars = tqdm, {}

    def __call__(self, name: str, done: int, total: int) -> None:
        bar = self.bars.get(name)
        if bar is None:
            bar = self.bars[name] = self.tqdm(total=total or None, desc=name, unit="B", unit_scale=True,
                                              unit_divisor=1024, disable=None)
        bar.update(done - bar.n)
        if total and done >= total:
            bar.close()

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()
