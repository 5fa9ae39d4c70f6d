"""A toy network trained live, with snapshots to replay its history, and the frames (`frames.py`) the
browser plays. A job's worker thread calls `play`: it trains ahead and queues frames, paced to the
display, and the page takes them (`take_frames`) on each poll; `replay_frames` gives one frame per
stored snapshot. The page and the worker share a run: every method that reads or changes it holds
its lock, and the page changes the speed and the regularization of a running job (`tune`)."""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Sequence

import torch

from fmnist_core.toy.features import PLAIN
from fmnist_core.engine.loop import Loop, TrainControl
from fmnist_core.toy.packed import PackedMLP
from fmnist_core.toy.regularization import Regularization
from fmnist_core.toy.data import ToyData
from fmnist_core.toy.frames import FRAME_RES, compute_frame
from fmnist_core.toy.net import LECTURE_XOR_LINES

MAX_REPLAY_FRAMES = 100  # frames sent for scrubbing: ~9 KB each
FRAME_RATE = 32.0  # frames a second at most: the player shows them smoothly (bench/browser_rates.py)
FRAME_BUDGET = 0.25  # s of training per frame at most (mini-batches of 1 are 100x slower than full batches)
MAX_AHEAD = 48  # frames made and not yet taken (1.5 s of playing); then the worker waits for the page
MAX_EPOCHS = 20_000  # a forgotten tab stops here


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
    epochs_per_frame: int = 10  # the speed: `play` reads it before each frame
    made: int = 0  # frames `play` has queued so far (numbers the batches the page takes)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def __post_init__(self):
        self._ahead: list[dict] = []  # frames made by `play`, not yet taken
        self._room = threading.Condition(self.lock)  # `take_frames` makes room for more
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
        with self.lock:
            net = net or self.net
            out = {}
            for part, x, y in (("train", self.data.x_train, self.data.y_train),
                               ("test", self.data.x_test, self.data.y_test)):
                loss, acc = net.evaluate(x, y) if len(x) else (torch.tensor([math.nan]), torch.tensor([math.nan]))
                out[f"{part}_loss"], out[f"{part}_acc"] = float(loss[0]), float(acc[0])
            return out

    def set_data(self, data: ToyData) -> None:
        """Go on training on other points (the student's own points changed); the network is kept."""
        with self.lock:
            self.data = data
            self.frames.clear()  # stored frames drew the old points' encoding

    def use_data(self, data: ToyData) -> bool:
        """`set_data` unless `data` holds the same points as now; True when they changed."""
        with self.lock:
            now = self.data
            same = all(a.shape == b.shape and torch.equal(a, b.to(a.device)) for a, b in (
                (now.x_train, data.x_train), (now.y_train, data.y_train), (now.x_test, data.x_test),
                (now.y_test, data.y_test)))
            if not same:
                self.set_data(data)
            return not same

    def tune(self, reg: Regularization, epochs_per_frame: int) -> None:
        """Settings a running job picks up at its next step: the regularization and the speed."""
        with self.lock:
            self.net.reg = reg
            self.epochs_per_frame = max(1, int(epochs_per_frame))

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
        with self.lock:
            if self.status == "diverged" or len(self.data.x_train) == 0:
                return 0
            start = self.epoch
            # One loop step is one epoch, counted over the whole run.
            loop = Loop(start + int(epochs), time_budget=max_seconds, steps_per_epoch=1, start=start)
            for _ in loop.steps():
                self.net.train_epochs(self.data.x_train, self.data.y_train, 1, self.batch_size)
                self.epoch += 1
                loss = None
                if self.epoch % self.snap_every == 0:
                    self._snap()
                    loss = self.history[-1]["train_loss"]  # measured at each snapshot: no extra cost
                if not loop.after_step(loss):
                    self.status, self.message = loop.status, loop.message
                    self._back_to_last_finite()
            return loop.step - start

    def _back_to_last_finite(self) -> None:
        """After a non-finite loss: back to the last snapshot, whose loss was finite (an epoch is many
        updates, not checked one by one: loop.py's rule, a diverged run keeps finite weights)."""
        self.snapshots = [s for s in self.snapshots if s[0] < self.epoch]
        self.history = [h for h in self.history if h["epoch"] < self.epoch]
        self.epoch, theta = self.snapshots[-1]
        self.net.theta.copy_(theta)

    def at_epoch(self, epoch: int) -> tuple[int, PackedMLP]:
        """(stored epoch, network) of the last snapshot at or before `epoch`; the live net for the latest."""
        with self.lock:
            if epoch >= self.epoch:
                return self.epoch, self.net
            best = max((s for s in self.snapshots if s[0] <= epoch), key=lambda s: s[0], default=self.snapshots[0])
            return best[0], self.net.at(best[1])

    def frame(self, epoch: int | None = None, res: int = FRAME_RES) -> dict:
        """The frame at `epoch` (the latest when None): at a stored snapshot it is kept for replays."""
        with self.lock:
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

    def play(self, control: TrainControl, max_epochs: int = MAX_EPOCHS, rate: float = FRAME_RATE,
             ahead: int = MAX_AHEAD, budget: float = FRAME_BUDGET) -> str:
        """Train and queue frames until stopped, diverged or at `max_epochs` (a job's work; pause and stop
        come through `control`): `epochs_per_frame` epochs (at most `budget` s) and a frame at a time, at
        most `rate` frames a second and `ahead` frames not yet taken. Returns why it ended."""
        with self.lock:
            self._ahead.clear()  # frames of an earlier job that nobody took
        loop = Loop(max_epochs, control)  # a step is a frame of at least one epoch
        next_at = time.perf_counter()
        for _ in loop.steps():
            with self._room:  # the page has not taken the frames made: wait for it (or for the end)
                while len(self._ahead) >= ahead and not control.should_stop():
                    self._room.wait(0.1)
            time.sleep(max(0.0, next_at - time.perf_counter()))
            with self.lock:
                if control.paused:  # paused while it waited: the page shows this epoch, so train no further
                    continue
                if control.should_stop() or self.epoch >= max_epochs or self.status == "diverged" \
                        or len(self.data.x_train) == 0:
                    break
                self.advance(min(self.epochs_per_frame, max_epochs - self.epoch), max_seconds=budget)
                self._ahead.append(self.frame())
                self.made += 1
            next_at = max(next_at, time.perf_counter() - 0.1) + 1 / rate  # catch up a little, never in a burst
            loop.after_step()
        return self.status if self.status == "diverged" else loop.status

    def take_frames(self) -> list[dict]:
        """The frames `play` made since the last call (the oldest first), making room for more."""
        with self._room:
            out, self._ahead = self._ahead, []
            self._room.notify_all()
            return out

    def replay_frames(self, max_frames: int = MAX_REPLAY_FRAMES) -> list[dict]:
        """One frame per stored snapshot (evenly thinned to `max_frames`, the first and last kept) and
        the latest epoch."""
        with self.lock:
            epochs = [s[0] for s in self.snapshots]
            if len(epochs) > max_frames:
                idx = sorted({round(i * (len(epochs) - 1) / (max_frames - 1)) for i in range(max_frames)})
                epochs = [epochs[i] for i in idx]
            if not epochs or epochs[-1] != self.epoch:
                epochs.append(self.epoch)
            return [self.frame(e) for e in epochs]

    def curves(self) -> list[dict]:
        """Metrics at the stored epochs and now, for the loss curve."""
        with self.lock:
            if self.history and self.history[-1]["epoch"] == self.epoch:
                return list(self.history)
            return [*self.history, {"epoch": self.epoch, **self.metrics()}]

