"""The one training loop's controls: stop, pause, time budget, divergence, events."""
import math
import threading
import time

import pytest
import torch
import torch.nn.functional as F

from fmnist_core.engine.loop import Loop, TrainControl, is_finite


def run(loop: Loop, losses=None, on_step=None) -> list[int]:
    """Drive `loop` as a trainer does; the indices it yielded."""
    seen = []
    for i in loop.steps():
        seen.append(i)
        if on_step:
            on_step(loop, i)
        if not loop.after_step(losses(i) if losses else 1.0):
            break
    return seen


def test_runs_every_step_and_counts_progress():
    loop = Loop(5)
    assert loop.progress() == 0.0
    assert run(loop) == [0, 1, 2, 3, 4]
    assert loop.step == 5 and loop.progress() == 1.0
    assert loop.status == "finished" and loop.message == "finished 5 steps"


def test_stop_ends_before_the_next_step():
    control = TrainControl()
    loop = Loop(100, control)
    seen = run(loop, on_step=lambda lp, i: control.request_stop() if i == 3 else None)
    assert seen == [0, 1, 2, 3] and loop.step == 4  # the step in flight completes, no other starts
    assert loop.status == "stopped" and loop.message == "stopped by the user"
    control2 = TrainControl()
    control2.request_stop("the page was closed")
    loop2 = Loop(10, control2)
    assert run(loop2) == [] and loop2.message == "the page was closed"


def test_heartbeat_timeout_stops():
    control = TrainControl(heartbeat_timeout=0.05)
    loop = Loop(10 ** 9, control)
    run(loop, on_step=lambda lp, i: time.sleep(0.01))
    assert loop.status == "stopped" and "no heartbeat" in loop.message


def test_time_budget_ends_the_run_and_drives_progress():
    loop = Loop(10 ** 9, time_budget=0.2)
    progress = []
    run(loop, on_step=lambda lp, i: (time.sleep(0.005), progress.append(lp.progress())))
    assert loop.status == "budget" and loop.message == "time budget of 0.2 s used"
    assert 0.2 <= loop.elapsed() < 0.4
    assert progress == sorted(progress) and 0.9 < progress[-1] <= 1.0  # the schedule follows the clock


def test_pause_does_not_spend_the_budget():
    control = TrainControl()
    t0 = time.perf_counter()
    loop = Loop(10 ** 9, control, time_budget=0.3)

    def on_step(lp, i):
        time.sleep(0.002)
        if i == 5:
            control.pause()
            threading.Timer(0.5, control.resume).start()

    run(loop, on_step=on_step)
    wall, elapsed = time.perf_counter() - t0, loop.elapsed()
    assert loop.status == "budget"
    assert wall > 0.75  # 0.5 s paused + 0.3 s of training
    assert loop.paused_seconds >= 0.45
    assert elapsed < 0.6 and elapsed <= wall - loop.paused_seconds  # the pause is not counted


def test_stop_while_paused_ends_the_wait():
    control = TrainControl()
    loop = Loop(100, control)
    control.pause()
    threading.Timer(0.2, control.request_stop).start()
    t0 = time.perf_counter()
    assert run(loop) == []
    assert loop.status == "stopped" and time.perf_counter() - t0 < 1.0


@pytest.mark.parametrize("bad, word", [(float("nan"), "NaN"), (float("inf"), "infinite"),
                                       (torch.tensor([1.0, float("nan")]), "NaN")])
def test_divergence_names_the_step(bad, word):
    loop = Loop(100)
    seen = run(loop, losses=lambda i: bad if i == 6 else 0.5)
    assert seen[-1] == 6 and loop.step == 7
    assert loop.status == "diverged"
    assert loop.message == f"diverged at step 7: the loss became {word} (lower the learning rate)"
    assert list(loop.steps()) == []  # a diverged loop yields nothing more


def test_divergence_names_epoch_and_step_and_may_be_checked_sparsely():
    loop = Loop(100, steps_per_epoch=4)
    run(loop, losses=lambda i: math.nan if i >= 9 else 1.0)
    assert loop.message.startswith("diverged at epoch 3, step 10:")
    sparse = Loop(100, check_every=5)  # a GPU checks every few steps: a check syncs
    run(sparse, losses=lambda i: math.nan if i >= 6 else 1.0)
    assert sparse.status == "diverged" and sparse.step == 10


def test_a_trainer_following_the_rule_stops_with_its_last_finite_weights():
    """The module's rule: the loss is checked before optimizer.step(), so a NaN/Inf never reaches the weights."""
    torch.manual_seed(0)
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=1e20)  # step 1 makes the weights ~1e20, the loss of step 2 inf
    x, y = torch.randn(64, 2), torch.randn(64, 1)
    loop, kept = Loop(100), None
    for _ in loop.steps():
        loss = F.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        if not loop.after_step(loss):
            break
        opt.step()
        kept = [p.detach().clone() for p in model.parameters()]
    assert loop.status == "diverged" and loop.message.startswith("diverged at step 2: the loss became infinite")
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert all(torch.equal(p, k) for p, k in zip(model.parameters(), kept))  # the diverged step changed nothing


def test_a_loop_may_start_later_and_counts_on_from_there():
    loop = Loop(10, steps_per_epoch=1, start=7)  # a resumed run: epochs 8 to 10
    assert loop.progress() == pytest.approx(0.7)
    assert run(loop) == [7, 8, 9] and loop.step == 10 and loop.message == "finished 10 steps"
    resumed = Loop(20, steps_per_epoch=1, start=10)
    run(resumed, losses=lambda i: math.nan if i == 12 else 1.0)
    assert resumed.message.startswith("diverged at epoch 13, step 13:")  # counted over the whole run
    assert run(Loop(5, start=5)) == []  # nothing left to do


def test_events_carry_the_clock_and_the_tag():
    got = []
    loop = Loop(6, emit=got.append, steps_per_epoch=3, tag={"run": 2, "init": "he_normal"})
    for _ in loop.steps():
        loop.after_step(1.0)
        if loop.step % 2 == 0:
            loop.event("progress", payload={"probs": [0.1]}, loss=0.5)
    assert [e["step"] for e in got] == [2, 4, 6]
    e = got[1]
    assert e["kind"] == "progress" and e["run"] == 2 and e["init"] == "he_normal" and e["loss"] == 0.5
    assert e["epoch"] == pytest.approx(4 / 3) and e["progress"] == pytest.approx(4 / 6) and e["elapsed"] >= 0
    assert e["probs"] == [0.1] and all("probs" not in h for h in loop.history)  # payload: listener only
    assert [h["step"] for h in loop.history] == [2, 4, 6]


def test_is_finite():
    assert is_finite(1.0) and is_finite(torch.tensor(2.0)) and is_finite(3)
    assert not is_finite(float("inf")) and not is_finite(torch.tensor([0.0, float("nan")]))
    assert not is_finite("loss") and not is_finite(None)


def test_a_control_with_a_parent_obeys_its_stop_and_pause_and_stops_alone_too():
    parent = TrainControl()
    child = TrainControl(parent=parent)
    child.request_stop("early stopping")
    assert child.should_stop() and child.stop_reason == "early stopping" and not parent.should_stop()
    child = TrainControl(parent=parent)
    parent.pause()
    t = threading.Timer(0.2, parent.resume)
    t.start()
    assert child.wait_while_paused() >= 0.15  # the parent's pause holds the child's trainer
    parent.request_stop("stopped by the user")
    assert child.should_stop() and child.stop_reason == "stopped by the user"
