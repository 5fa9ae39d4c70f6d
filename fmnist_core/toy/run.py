"""A toy network trained live, a few epochs per page update, with snapshots to replay its history, and
the frames (`toy_frames.py`) the browser plays: `advance_frames` trains ahead and returns a batch of
frames, `replay_frames` one frame per stored snapshot."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Sequence

import torch

from fmnist_core.toy.features import PLAIN
from fmnist_core.engine.loop import Loop
from fmnist_core.toy.packed import PackedMLP
from fmnist_core.toy.regularization import Regularization
from fmnist_core.toy.data import ToyData
from fmnist_core.toy.frames import FRAME_RES, compute_frame
from fmnist_core.toy.net import LECTURE_XOR_LINES

MAX_REPLAY_FRAMES = 100  # frames sent for scrubbing: ~9 KB each


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
    frames: dict[int, dict] = field(default_factory=dict)  # epoch -> frame, for the stored snapshots

    def __post_init__(self):
        if not self.snapshots:
            self._snap()

    @classmethod
    def create(cls, data: ToyData, hidden: Sequence[int], activation: str = "tanh", optimizer: str = "adam",
               lr: float = 0.03, batch_size: int = 0, seed: int = 0, lecture_lines: bool = False,
               device: torch.device | str = "cpu", features: Sequence[str] = PLAIN,
               reg: Regularization = Regularization()) -> "ToyRun":
        """A fresh run; `lecture_lines` sets a 2-unit first layer to the lecture's XOR lines and keeps it."""
        net = PackedMLP([tuple(hidden)], activation, seed, optimizer, lr, device, features=features, reg=reg)
        if lecture_lines and tuple(net.features) != PLAIN:
            raise ValueError("the lecture's lines need the plain inputs x1 and x2")
        if lecture_lines:
            if tuple(hidden)[:1] != (2,):
                raise ValueError("the lecture's lines need a first hidden layer of 2 units")
            net.set_layer(0, 0, *LECTURE_XOR_LINES)
            net.frozen.add(0)
        return cls(net, data, batch_size)

    def metrics(self, net: PackedMLP | None = None) -> dict:
        """Loss and accuracy on the training and test points (NaN for a set without points)."""
        net = net or self.net
        out = {}
        for part, x, y in (("train", self.data.x_train, self.data.y_train), ("test", self.data.x_test, self.data.y_test)):
            loss, acc = net.evaluate(x, y) if len(x) else (torch.tensor([math.nan]), torch.tensor([math.nan]))
            out[f"{part}_loss"], out[f"{part}_acc"] = float(loss[0]), float(acc[0])
        return out

    def set_data(self, data: ToyData) -> None:
        """Go on training on other points (the student's own points changed); the network is kept."""
        self.data = data
        self.frames.clear()  # stored frames drew the old points' encoding

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
        if self.status == "diverged" or len(self.data.x_train) == 0:
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

    def frame(self, epoch: int | None = None, res: int = FRAME_RES) -> dict:
        """The frame at `epoch` (the latest when None): at a stored snapshot it is kept for replays."""
        shown, net = self.at_epoch(self.epoch if epoch is None else epoch)
        if shown in self.frames:
            return self.frames[shown]
        fr = compute_frame(net, self.data, shown, res)
        if any(s[0] == shown for s in self.snapshots):
            self.frames[shown] = fr
            if len(self.frames) > 2 * self.max_snapshots:
                kept = {s[0] for s in self.snapshots}
                self.frames = {e: f for e, f in self.frames.items() if e in kept}
        return fr

    def advance_frames(self, n_frames: int, epochs_per_frame: int, max_seconds: float) -> list[dict]:
        """Train ahead: up to `n_frames` times `epochs_per_frame` epochs, a frame after each, until
        `max_seconds` have passed (training and frames together); at least one frame."""
        deadline = time.perf_counter() + max_seconds
        out = []
        for _ in range(int(n_frames)):
            left = deadline - time.perf_counter()
            if out and left <= 0:
                break
            done = self.advance(int(epochs_per_frame), max_seconds=max(left, 1e-3))
            out.append(self.frame())
            if done < epochs_per_frame:  # budget spent, diverged, or no points
                break
        return out

    def replay_frames(self, max_frames: int = MAX_REPLAY_FRAMES) -> list[dict]:
        """One frame per stored snapshot (evenly thinned to `max_frames`, the first and last kept) and
        the latest epoch."""
        epochs = [s[0] for s in self.snapshots]
        if len(epochs) > max_frames:
            idx = sorted({round(i * (len(epochs) - 1) / (max_frames - 1)) for i in range(max_frames)})
            epochs = [epochs[i] for i in idx]
        if not epochs or epochs[-1] != self.epoch:
            epochs.append(self.epoch)
        return [self.frame(e) for e in epochs]

    def curves(self) -> list[dict]:
        """Metrics at the stored epochs and now, for the loss curve."""
        if self.history and self.history[-1]["epoch"] == self.epoch:
            return list(self.history)
        return [*self.history, {"epoch": self.epoch, **self.metrics()}]

