"""A toy network trained live, a few epochs per page update, with snapshots to replay its history."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import torch

from .loop import Loop
from .packed import PackedMLP
from .toy_data import ToyData
from .toy_net import LECTURE_XOR_LINES


@dataclass
class ToyRun:
    """One model trained a few epochs at a time, with metrics and parameter snapshots to replay."""

    net: PackedMLP
    data: ToyData
    batch_size: int = 0
    max_snapshots: int = 200
    epoch: int = 0
    snap_every: int = 1
    snapshots: list[tuple[int, torch.Tensor]] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)
    status: str = "running"  # running | diverged
    message: str = ""

    def __post_init__(self):
        if not self.snapshots:
            self._snap()

    @classmethod
    def create(cls, data: ToyData, hidden: Sequence[int], activation: str = "tanh", optimizer: str = "adam",
               lr: float = 0.03, batch_size: int = 0, seed: int = 0, lecture_lines: bool = False,
               device: torch.device | str = "cpu") -> "ToyRun":
        """A fresh run; `lecture_lines` sets a 2-unit first layer to the lecture's XOR lines and keeps it."""
        net = PackedMLP([tuple(hidden)], activation, seed, optimizer, lr, device)
        if lecture_lines:
            if tuple(hidden)[:1] != (2,):
                raise ValueError("the lecture's lines need a first hidden layer of 2 units")
            net.set_layer(0, 0, *LECTURE_XOR_LINES)
            net.frozen.add(0)
        return cls(net, data, batch_size)

    def metrics(self, net: PackedMLP | None = None) -> dict:
        net = net or self.net
        trl, tra = net.evaluate(self.data.x_train, self.data.y_train)
        tel, tea = net.evaluate(self.data.x_test, self.data.y_test)
        return {"train_loss": float(trl[0]), "train_acc": float(tra[0]),
                "test_loss": float(tel[0]), "test_acc": float(tea[0])}

    def _snap(self) -> None:
        self.snapshots.append((self.epoch, self.net.snapshot()))
        self.history.append({"epoch": self.epoch, **self.metrics()})
        if len(self.snapshots) > self.max_snapshots:  # keep every other one, and snapshot half as often
            self.snapshots = self.snapshots[::2]
            self.history = self.history[::2]
            self.snap_every *= 2

    def advance(self, epochs: int = 1, max_seconds: float | None = None) -> int:
        """Train up to `epochs` epochs, one `Loop` step each, ending early once `max_seconds` have
        passed or the loss diverges (then `status` is "diverged"); returns how many epochs it trained."""
        if self.status == "diverged":
            return 0
        start = self.epoch
        loop = Loop(start + int(epochs), time_budget=max_seconds, steps_per_epoch=1)
        loop.step = start  # one loop step is one epoch, counted over the whole run
        for _ in loop.steps():
            self.net.train_epochs(self.data.x_train, self.data.y_train, 1, self.batch_size)
            self.epoch += 1
            loss = None
            if self.epoch % self.snap_every == 0:
                self._snap()
                loss = self.history[-1]["train_loss"]  # measured at each snapshot: no extra cost
            if not loop.after_step(loss):
                self.status, self.message = loop.status, loop.message
        return loop.step - start

    def at_epoch(self, epoch: int) -> tuple[int, PackedMLP]:
        """(stored epoch, network) of the last snapshot at or before `epoch`; the live net for the latest."""
        if epoch >= self.epoch:
            return self.epoch, self.net
        best = max((s for s in self.snapshots if s[0] <= epoch), key=lambda s: s[0], default=self.snapshots[0])
        return best[0], self.net.at(best[1])

    def curves(self) -> list[dict]:
        """Metrics at the stored epochs and now, for the loss curve."""
        if self.history and self.history[-1]["epoch"] == self.epoch:
            return list(self.history)
        return [*self.history, {"epoch": self.epoch, **self.metrics()}]

