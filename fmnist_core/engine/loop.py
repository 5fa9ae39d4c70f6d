"""The one training loop's controls, written once: stop, pause, time budget, divergence, events.

Every trainer of the project (Fashion-MNIST, the comparisons, the toy networks, the bundled-model
script) steps through a `Loop`; what a step computes stays with the caller, as in nanoGPT:

    loop = Loop(total_steps, control, time_budget, emit)
    for i in loop.steps():            # ends on stop, budget or total; waits while paused
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        if not loop.after_step(loss):  # NaN/Inf: loop.status == "diverged"
            break
        opt.step()
        if loop.step % 20 == 0:
            loop.event("progress", train_loss=...)
    loop.status, loop.message        # finished | budget | stopped | diverged

Where the NaN/Inf check sits, in every trainer: after the loss is computed and backpropagated,
before `optimizer.step()` applies its gradient. A non-finite loss thus never reaches the weights: a
diverged run keeps the weights of its last finite loss, and "diverged at [epoch E,] step S" names
the step whose loss was not finite (counted in `step`; its update is not applied). Steps between
sparse checks (`check_every` > 1, on a GPU) are not guarded. The optimizer race measures each
point's loss after moving there: it checks it before stepping on, and keeps the finite points. A
toy run's Loop step is an epoch of many updates: on a non-finite loss it goes back to its last
finite snapshot.
"""
from __future__ import annotations

import math
import threading
import time
from typing import Any, Callable, Iterator

import torch

STATUSES = ("finished", "budget", "stopped", "diverged")


class TrainControl:
    """Thread-safe stop / pause / heartbeat shared by a trainer and whoever watches it.

    `parent`: a control this one also obeys (its stop, with its reason, and its pause), so a trainer can stop
    a run for a reason of its own (early stopping) and still be stopped or paused by the job that runs it.
    """

    def __init__(self, heartbeat_timeout: float | None = None, parent: "TrainControl | None" = None):
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self.heartbeat_timeout = heartbeat_timeout
        self.last_beat = time.monotonic()
        self.stop_reason = ""
        self.parent = parent

    def request_stop(self, reason: str = "stopped by the user") -> None:
        if not self._stop.is_set():
            self.stop_reason = reason
        self._stop.set()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def beat(self) -> None:
        self.last_beat = time.monotonic()

    def should_stop(self) -> bool:
        if not self._stop.is_set() and self.parent is not None and self.parent.should_stop():
            self.request_stop(self.parent.stop_reason)
        if self._stop.is_set():
            return True
        if self.heartbeat_timeout and time.monotonic() - self.last_beat > self.heartbeat_timeout:
            self.request_stop("the page was closed (no heartbeat)")
            return True
        return False

    def wait_while_paused(self) -> float:
        """Block while paused (or the parent is); returns the seconds spent paused."""
        if self.parent is not None and self.parent.paused:
            return self.parent.wait_while_paused()
        if self._running.is_set():
            return 0.0
        t0 = time.monotonic()
        while not self._running.wait(0.1):
            if self.should_stop():
                break
        return time.monotonic() - t0


def is_finite(value: Any) -> bool:
    """True for a finite number or tensor (a tensor check syncs a GPU)."""
    if isinstance(value, torch.Tensor):
        return bool(torch.isfinite(value).all())
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


class Loop:
    """Bookkeeping of one training run: the clock (paused time excluded), progress, status, events."""

    def __init__(self, total_steps: int, control: TrainControl | None = None, time_budget: float | None = None,
                 emit: Callable[[dict], Any] | None = None, steps_per_epoch: int | None = None,
                 check_every: int = 1, tag: dict | None = None, start: int = 0):
        self.total_steps = int(total_steps)  # the step it ends at, counted from 0 even when it starts later
        self.control = control or TrainControl()
        self.time_budget = time_budget if time_budget and time_budget > 0 else None
        self._emit = emit or (lambda e: None)
        self.steps_per_epoch = steps_per_epoch
        self.check_every = max(1, int(check_every))  # a finiteness check syncs a GPU: not every step there
        self.tag = dict(tag or {})  # added to every event, e.g. {"run": 2}
        self.step = int(start)  # steps taken; `start` > 0 resumes a run (a toy run's next epochs)
        self.status, self.message = "finished", ""
        self.history: list[dict] = []
        self.paused_seconds = 0.0
        self._t0 = time.perf_counter()

    # --- the clock
    def elapsed(self) -> float:
        """Seconds of training so far, paused time excluded."""
        return time.perf_counter() - self._t0 - self.paused_seconds

    def progress(self) -> float:
        """Fraction of the run done, in [0, 1]: of the steps, or of the budget when that is ahead."""
        p = self.step / self.total_steps if self.total_steps else 0.0
        if self.time_budget:
            p = max(p, self.elapsed() / self.time_budget)
        return min(p, 1.0)

    @property
    def epoch(self) -> float:
        return self.step / self.steps_per_epoch if self.steps_per_epoch else float(self.step)

    # --- the loop
    def steps(self) -> Iterator[int]:
        """Yield the index of each step to take; ends on stop, time budget, total steps or divergence."""
        while self.step < self.total_steps and self.status != "diverged":
            if self.control.should_stop():
                self.status, self.message = "stopped", self.control.stop_reason or "stopped"
                return
            self.paused_seconds += self.control.wait_while_paused()
            if self.control.should_stop():
                continue
            if self.time_budget and self.elapsed() >= self.time_budget:
                self.status, self.message = "budget", f"time budget of {self.time_budget:g} s used"
                return
            yield self.step
        if self.status == "finished" and not self.message:
            self.message = f"finished {self.step} steps"

    def after_step(self, loss: Any = None) -> bool:
        """Count the step whose `loss` is computed; False (status "diverged") when it is NaN or infinite.

        Call it before `optimizer.step()` (see the module's docstring), so a diverged step updates nothing.
        """
        self.step += 1
        if loss is not None and self.step % self.check_every == 0 and not is_finite(loss):
            self.diverge(loss)
            return False
        return True

    def diverge(self, loss: Any = float("nan")) -> None:
        v = float(loss.detach().float().sum()) if isinstance(loss, torch.Tensor) else float(loss)
        where = (f"epoch {math.ceil(self.step / self.steps_per_epoch)}, step {self.step}" if self.steps_per_epoch
                 else f"step {self.step}")
        self.status = "diverged"
        self.message = (f"diverged at {where}: the loss became {'NaN' if math.isnan(v) else 'infinite'} "
                        f"(lower the learning rate)")

    # --- events
    def event(self, kind: str, payload: dict | None = None, **fields: Any) -> dict:
        """Emit {"kind", "step", "epoch", "elapsed", "progress", **tag, **fields}; kept in `history`.

        `payload` (large arrays such as test probabilities) goes to the listener but not the history.
        """
        ev = {"kind": kind, "step": self.step, "epoch": self.epoch, "elapsed": self.elapsed(),
              "progress": self.progress(), **self.tag, **fields}
        self.history.append(ev)
        self._emit({**ev, **payload} if payload else ev)
        return ev
