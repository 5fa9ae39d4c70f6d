"""The trainer, its CLI, checkpoints, devices and background jobs, on the real data."""
import io
import json
import math
import pickle
import subprocess
import sys
import threading
import time

import pytest
import torch

from fmnist_core.fashion.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from fmnist_core.engine.device import get_device
from fmnist_core.fashion.dataset import FashionMNIST
from fmnist_core.engine.jobs import JobManager
from fmnist_core.nn.models import CNN, MLP, FastCNN, build_model, count_parameters
from fmnist_core.fashion.train import RECIPES, TrainConfig, TrainControl, config_optimizer, evaluate, lr_at, main, train
from tests.conftest import ROOT, wait_until


def test_models_shapes_and_counts():
    x = torch.zeros(4, 1, 28, 28)
    assert MLP()(x).shape == (4, 10) and CNN()(x).shape == (4, 10)
    assert count_parameters(MLP(dropout=0)) == 784 * 256 + 256 + 256 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10
    assert MLP(hidden=(32,)).features(x).shape == (4, 32) and CNN().features(x).shape == (4, 100)


def test_small_batch_overfits(fmnist):
    tiny = FashionMNIST(fmnist.train_images[:256], fmnist.train_labels[:256],
                        fmnist.train_images[:256], fmnist.train_labels[:256], source="tiny")
    cfg = TrainConfig(batch_size=64, epochs=40, lr=3e-3, dropout=0.0, schedule="constant", eval_every=0)
    res = train(cfg, tiny)
    first, last = res.history[0], [e for e in res.history if e["kind"] == "epoch"][-1]
    assert res.status == "finished"
    assert last["train_loss"] < 0.05 < first["train_loss"]
    assert res.test_accuracy == 1.0  # the "test" set here is the memorised batch


def test_events_stream(fmnist_small):
    events = []
    cfg = TrainConfig(batch_size=256, epochs=2, event_every=5)
    res = train(cfg, fmnist_small, on_event=events.append)
    kinds = [e["kind"] for e in events]
    assert kinds.count("epoch") == 2 and kinds[-1] == "done" and "progress" in kinds
    prog = next(e for e in events if e["kind"] == "progress")
    assert {"step", "epoch", "elapsed", "train_loss", "train_accuracy", "images_per_sec", "lr"} <= set(prog)
    ep = next(e for e in events if e["kind"] == "epoch")
    assert 0 < ep["test_accuracy"] <= 1 and ep["predictions"].shape == (1000,)
    assert events[-1]["test_accuracy"] == res.test_accuracy > 0.6


def test_stop_is_honoured_within_one_step(fmnist_small):
    control = TrainControl()
    steps_after = []

    def on_event(e):
        if e["kind"] == "progress" and e["step"] >= 10 and not control.should_stop():
            control.request_stop()
            steps_after.append(e["step"])

    res = train(TrainConfig(batch_size=64, epochs=50, event_every=1), fmnist_small, on_event, control)
    assert res.status == "stopped" and res.steps == steps_after[0]  # no step after the request
    assert res.message == "stopped by the user"


def test_stop_from_another_thread_ends_quickly(fmnist_small):
    control = TrainControl()
    result, events = {}, []
    t = threading.Thread(target=lambda: result.update(r=train(TrainConfig(epochs=100), fmnist_small, events.append,
                                                              control)))
    t.start()
    wait_until(lambda: any(e["kind"] == "progress" for e in events), timeout=30, what="a training step")
    t0 = time.perf_counter()
    control.request_stop()
    t.join(5)
    assert not t.is_alive() and time.perf_counter() - t0 < 1.0
    assert result["r"].status == "stopped"


def test_pause_does_not_count_against_the_budget(fmnist_small):
    control = TrainControl()
    events = []

    def on_event(e):
        events.append(e)
        if e["kind"] == "progress" and e["step"] == 4:
            control.pause()
            threading.Timer(1.0, control.resume).start()

    res = train(TrainConfig(batch_size=64, epochs=1000, time_budget=1.5, event_every=2), fmnist_small, on_event, control)
    assert res.status == "budget" and 1.4 < res.train_seconds < 2.5
    wall = events[-1]["elapsed"]
    assert wall < res.train_seconds + 0.5  # the second spent paused is not in `elapsed`


def test_heartbeat_timeout_stops(fmnist_small):
    control = TrainControl(heartbeat_timeout=0.5)
    res = train(TrainConfig(epochs=1000), fmnist_small, control=control)
    assert res.status == "stopped" and "closed" in res.message


def test_huge_learning_rate_diverges_with_clear_status(fmnist_small):
    cfg = TrainConfig(optimizer="sgd", lr=1e4, schedule="constant", normalization="none", epochs=3)
    events = []
    res = train(cfg, fmnist_small, on_event=events.append)
    assert res.status == "diverged"
    assert res.message.startswith("diverged at epoch 1, step ")
    assert events[-1]["status"] == "diverged" and math.isnan(res.test_accuracy)
    assert all(torch.isfinite(p).all() for p in res.model.parameters())  # checked before the update (loop.py)


def test_time_budget_stops_and_still_evaluates(fmnist_small):
    res = train(TrainConfig(epochs=1000, time_budget=1.0), fmnist_small)
    assert res.status == "budget" and 0.9 < res.train_seconds < 1.6 and res.test_accuracy > 0.5


def test_the_config_carries_the_optimizers_own_hyperparameters_to_torch():
    cfg = TrainConfig(optimizer="adam", optimizer_params=(("beta1", 0.5),))
    opt = config_optimizer(cfg, MLP().parameters())
    assert type(opt) is torch.optim.Adam and opt.param_groups[0]["betas"] == (0.5, 0.999)  # beta2: its default
    rms = config_optimizer(TrainConfig(optimizer="rmsprop", optimizer_params=(("alpha", 0.9),)), MLP().parameters())
    assert rms.param_groups[0]["alpha"] == 0.9
    assert config_optimizer(TrainConfig(optimizer="momentum"), MLP().parameters()).param_groups[0]["momentum"] == 0.9
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg and cfg.to_dict()["optimizer_params"] == {"beta1": 0.5}
    with pytest.raises(ValueError, match="SGD has no parameter 'beta1'"):
        cfg.with_(optimizer="sgd")
    with pytest.raises(ValueError, match=r"beta2=1.5 is outside 0.5..0.99999"):
        TrainConfig(optimizer_params=(("beta2", 1.5),))


def test_configs_saved_before_optimizer_params_still_load():
    _, meta = load_checkpoint(ROOT / "assets" / "mlp.pt")  # saved with the old field "momentum"
    assert "optimizer_params" not in meta["config"] and "momentum" in meta["config"]
    cfg = TrainConfig.from_dict(meta["config"])
    assert cfg.optimizer == "adam" and cfg.optimizer_params == () and cfg.lr == meta["config"]["lr"]
    old = {**meta["config"], "optimizer": "momentum", "momentum": 0.8}
    assert TrainConfig.from_dict(old).optimizer_params == (("momentum", 0.8),)  # its momentum is kept
    assert config_optimizer(TrainConfig.from_dict(old), MLP().parameters()).param_groups[0]["momentum"] == 0.8


def test_schedules():
    cfg = TrainConfig(lr=1.0, schedule="onecycle", warmup=0.2)
    assert lr_at(cfg, 0) == pytest.approx(0.1) and lr_at(cfg, 0.2) == pytest.approx(1.0) and lr_at(cfg, 1) == 0
    assert lr_at(cfg.with_(schedule="cosine"), 0.5) == pytest.approx(0.5)
    assert lr_at(cfg.with_(schedule="constant"), 0.7) == 1.0


@pytest.mark.parametrize("opt", ["sgd", "momentum", "adagrad", "adam"])
def test_every_optimizer_learns(fmnist_small, opt):
    lr = {"sgd": 0.2, "momentum": 0.05, "adagrad": 0.02, "adam": 3e-3}[opt]
    res = train(TrainConfig(optimizer=opt, lr=lr, epochs=3, batch_size=128, eval_every=0), fmnist_small)
    assert res.test_accuracy > 0.65


def test_cnn_learns(fmnist_small):
    res = train(RECIPES["cnn"].with_(epochs=1, batch_size=128, eval_every=0), fmnist_small)
    assert res.test_accuracy > 0.6


def test_cnn_v2_shapes_channels_last_and_names():
    x = torch.randn(4, 1, 28, 28)
    model = build_model("cnn_v2", (8, 16, 32)).eval()
    assert isinstance(model, FastCNN) and model(x).shape == (4, 10) and model.features(x).shape == (4, 32 * 4 * 4)
    fast = build_model("cnn_v2", (8, 16, 32)).eval()
    fast.load_state_dict(model.state_dict())
    fast.to(memory_format=torch.channels_last)
    torch.testing.assert_close(fast(x.contiguous(memory_format=torch.channels_last)), model(x))
    # "cnn" in older checkpoints and configs is the first CNN, as is "cnn_v1".
    assert type(build_model("cnn")) is CNN and type(build_model("cnn_v1")) is CNN
    assert RECIPES["cnn"].model == "cnn_v2" and RECIPES["cnn_v1"].model == "cnn_v1"
    with pytest.raises(ValueError, match="cnn_v2"):
        build_model("resnet")


def test_bundled_cnn_still_loads():
    model, meta = load_checkpoint(ROOT / "assets" / "cnn.pt")
    assert meta["architecture"] == "cnn" and type(model) is CNN


def test_new_cnn_recipe_learns_within_its_budget(fmnist_small):
    events = []
    res = train(RECIPES["cnn"].with_(epochs=1000, time_budget=3.0, event_every=5), fmnist_small,
                on_event=events.append)
    losses = [e["train_loss"] for e in events if e["kind"] == "progress"]
    assert res.status == "budget" and 2.9 < res.train_seconds < 3.8  # one step past the budget at most
    assert len(losses) >= 2 and losses[-1] < 0.8 * losses[0]
    assert res.test_accuracy > 0.6


def test_flip_augmentation_and_test_time_flip(fmnist_small):
    model = build_model("cnn_v2", (8, 16, 32)).eval()
    images, labels = fmnist_small.test_images[:64], fmnist_small.test_labels[:64]
    ev = evaluate(model, images, labels, (72.9, 90.0), tta_flip=True)
    x = (images.float().unsqueeze(1) - 72.9) / 90.0
    with torch.no_grad():
        expected = torch.softmax((model(x) + model(x.flip(3))) / 2, 1)
    torch.testing.assert_close(torch.from_numpy(ev["probabilities"]), expected, atol=1e-5, rtol=1e-4)
    plain = evaluate(model, images, labels, (72.9, 90.0))
    assert not torch.allclose(torch.from_numpy(plain["probabilities"]), expected)
    # With flip on, training sees mirrored images: same seed, different weights than without.
    cfg = RECIPES["cnn"].with_(hidden=(8, 16, 32), epochs=1, eval_every=0)
    a = train(cfg, fmnist_small).model.state_dict()
    b = train(cfg.with_(flip=False), fmnist_small).model.state_dict()
    c = train(cfg, fmnist_small).model.state_dict()
    assert not torch.equal(a["out.weight"], b["out.weight"]) and torch.equal(a["out.weight"], c["out.weight"])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA (bench/device_check.sh runs it on a GPU)")
def test_new_cnn_recipe_on_cuda(fmnist_small, tmp_path):
    data = fmnist_small.to("cuda")
    res = train(RECIPES["cnn"].with_(epochs=1000, time_budget=3.0), data)
    assert res.device.startswith("cuda") and res.status == "budget" and res.test_accuracy > 0.8
    model, meta = load_checkpoint(save_checkpoint(tmp_path / "gpu.pt", res))  # saved as CPU tensors
    again = evaluate(model, fmnist_small.test_images, fmnist_small.test_labels, tuple(meta["normalization"]),
                     tta_flip=True)
    assert again["accuracy"] == pytest.approx(res.test_accuracy, abs=5e-3)


def test_checkpoint_round_trip_cnn_v2(fmnist_small, tmp_path):
    res = train(RECIPES["cnn"].with_(hidden=(8, 16, 32), epochs=1, eval_every=0), fmnist_small)
    model, meta = load_checkpoint(save_checkpoint(tmp_path / "v2.pt", res))
    assert meta["architecture"] == "cnn_v2" and meta["hidden"] == [8, 16, 32] and type(model) is FastCNN
    again = evaluate(model, fmnist_small.test_images, fmnist_small.test_labels, tuple(meta["normalization"]),
                     tta_flip=True)
    assert again["accuracy"] == pytest.approx(res.test_accuracy, abs=5e-3)  # bf16 autocast vs fp32


def test_checkpoint_round_trip(fmnist_small, tmp_path):
    res = train(TrainConfig(epochs=1, eval_every=0, hidden=(64, 32), activation="tanh"), fmnist_small)
    path = save_checkpoint(tmp_path / "sub" / "m.pt", res)
    model, meta = load_checkpoint(path)
    assert meta["architecture"] == "mlp" and meta["hidden"] == [64, 32] and meta["activation"] == "tanh"
    assert meta["metrics"]["test_accuracy"] == pytest.approx(res.test_accuracy)
    assert meta["seed"] == 0 and meta["normalization"] == list(res.normalization)
    again = evaluate(model, fmnist_small.test_images, fmnist_small.test_labels, tuple(meta["normalization"]))
    assert again["accuracy"] == pytest.approx(res.test_accuracy, abs=2e-3)  # bf16 autocast vs fp32
    assert not list((tmp_path / "sub").glob("*.part"))


class _Evil:
    def __reduce__(self):
        return (print, ("pwned",))


def test_checkpoint_with_pickle_payload_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"meta": {}, "state_dict": {}, "x": _Evil()}, path)
    with pytest.raises(CheckpointError, match="contains code"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError):
        load_checkpoint(io.BytesIO(b"not a checkpoint at all"))
    torch.save({"hello": torch.zeros(1)}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not a dashboard checkpoint"):
        load_checkpoint(tmp_path / "other.pt")


def test_checkpoint_that_does_not_fit_its_model(fmnist_small, tmp_path):
    res = train(TrainConfig(epochs=1, eval_every=0), fmnist_small)
    path = save_checkpoint(tmp_path / "m.pt", res)
    blob = torch.load(path, weights_only=True)
    blob["meta"]["hidden"] = [10]
    torch.save(blob, path)
    with pytest.raises(CheckpointError, match="do not fit"):
        load_checkpoint(path)


def test_device_choice_and_override(monkeypatch):
    monkeypatch.delenv("FMNIST_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    if not torch.cuda.is_available() and getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        expected = "mps"
    assert get_device().type == expected
    monkeypatch.setenv("FMNIST_DEVICE", "cpu")
    assert get_device().type == "cpu"
    if not torch.cuda.is_available():
        monkeypatch.setenv("FMNIST_DEVICE", "cuda")
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            get_device()


@pytest.mark.slow
def test_cli_prints_epochs_and_json(tmp_path):
    ckpt = tmp_path / "cli.pt"
    out = subprocess.run(
        [sys.executable, "-m", "fmnist_core.fashion.train", "--model", "mlp", "--time-budget", "3", "--threads", "1",
         "--opt-param", "beta1=0.8", "--save", str(ckpt)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0].startswith("epoch ")
    summary = json.loads(lines[-1])
    assert {"test_accuracy", "train_seconds", "epochs", "device"} <= set(summary)
    assert 0.75 < summary["test_accuracy"] <= 1 and summary["train_seconds"] <= 3.5
    assert summary["config"]["optimizer_params"] == {"beta1": 0.8}
    model, meta = load_checkpoint(ckpt)
    assert meta["metrics"]["test_accuracy"] == pytest.approx(summary["test_accuracy"], abs=1e-4)
    assert TrainConfig.from_dict(meta["config"]).optimizer_params == (("beta1", 0.8),)


@pytest.mark.parametrize("arg, words", [("beta1", "not NAME=VALUE"), ("beta1=x", "not NAME=VALUE"),
                                        ("momentum=0.5", "Adam has no parameter 'momentum'"),
                                        ("beta1=2", "beta1=2.0 is outside")])
def test_cli_refuses_a_bad_optimizer_parameter_before_training(arg, words, capsys):
    threads = torch.get_num_threads()
    assert main(["--opt-param", arg]) == 2  # before the data is loaded or the thread count set
    out = capsys.readouterr()
    assert words in out.err and not out.out and torch.get_num_threads() == threads


def test_jobs_queue_limit_and_heartbeat():
    mgr = JobManager(max_running=1, heartbeat_timeout=1.0)

    def work(job):
        while not job.control.should_stop():
            job.emit({"t": time.time()})
            time.sleep(0.05)
        return job.control.stop_reason

    a = mgr.submit("alice", "a", work)
    b = mgr.submit("bob", "b", work)
    with pytest.raises(RuntimeError, match="already has a job"):
        mgr.submit("alice", "again", work)
    wait_until(lambda: a.n_events, what="alice's job emitting")
    assert a.state == "running" and b.state == "queued" and b.position() == 1
    # Alice keeps beating, bob's page is gone: the reaper (every second) drops his queued job.
    wait_until(lambda: (a.beat(), b.state == "cancelled")[1], timeout=10, interval=0.2, what="bob's job cancelled")
    assert a.state == "running"
    a.stop()
    assert a.wait(2) and a.result == "stopped by the user" and a.n_events > 3
    c = mgr.submit("carol", "c", work)
    assert c.wait(10) and "closed" in c.result  # no beats: the heartbeat (1 s) ends it


def test_job_failure_is_kept():
    mgr = JobManager(max_running=1)
    job = mgr.submit("x", "boom", lambda job: 1 / 0)
    assert job.wait(2) and job.state == "failed" and "ZeroDivisionError" in job.error


def test_shift_moves_each_image_by_its_own_offset_and_fills_black():
    from fmnist_core.fashion.augment import shift_images

    raw = torch.randint(1, 256, (64, 28, 28), dtype=torch.uint8)  # no zero pixel: every zero moved in
    out = shift_images(raw, 2, torch.Generator().manual_seed(0))
    assert out.shape == raw.shape and out.dtype == raw.dtype
    assert shift_images(raw, 0, torch.Generator()) is raw
    offsets = set()
    for img, moved in zip(raw, out):
        zero_rows, zero_cols = (moved == 0).all(1).sum().item(), (moved == 0).all(0).sum().item()
        assert zero_rows <= 2 and zero_cols <= 2  # at most max_shift rows and columns of black
        found = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                 if torch.equal(moved, torch.roll(img, (dy, dx), (0, 1)) * _inside(dy, dx))]
        assert len(found) == 1
        offsets.add(found[0])
    assert len(offsets) > 10  # not one offset for the whole batch


def _inside(dy: int, dx: int) -> torch.Tensor:
    """1 where a roll by (dy, dx) did not wrap around, 0 where black moved in."""
    m = torch.ones(28, 28, dtype=torch.uint8)
    if dy > 0:
        m[:dy] = 0
    elif dy < 0:
        m[dy:] = 0
    if dx > 0:
        m[:, :dx] = 0
    elif dx < 0:
        m[:, dx:] = 0
    return m


def test_shift_augmentation_trains_and_is_reproducible(fmnist_small):
    cfg = TrainConfig(epochs=1, batch_size=128, eval_every=0, shift=2)
    a, b = train(cfg, fmnist_small), train(cfg, fmnist_small)
    assert a.test_accuracy > 0.6 and a.test_accuracy == b.test_accuracy
    assert a.test_accuracy != train(cfg.with_(shift=0), fmnist_small).test_accuracy


def test_recipe_for_a_long_budget_is_the_wider_cnn(capsys):
    from fmnist_core.fashion.recipe import LONG_BUDGET, LONG_RECIPES, recipe_for

    short, wide = recipe_for("cnn", 30), recipe_for("cnn", LONG_BUDGET)
    assert short == RECIPES["cnn"] and recipe_for("cnn") == RECIPES["cnn"]  # by epochs: the fast one
    assert wide == LONG_RECIPES["cnn"] and wide.model == short.model == "cnn_v2"
    assert [w // s for w, s in zip(wide.hidden, short.hidden)] == [2, 2, 2]
    assert wide.with_(hidden=short.hidden) == short  # only the width differs
    assert recipe_for("mlp", 300) == RECIPES["mlp"] and recipe_for("cnn_v1", 300) == RECIPES["cnn_v1"]


def test_bf16_autocast_only_where_the_device_computes_it_fast(monkeypatch):
    """amp=None follows fast_bf16 (an AVX2-only CPU emulates bf16 6-9x slower); an explicit amp is kept."""
    import fmnist_core.fashion.train as train_module
    from fmnist_core.engine.device import fast_bf16
    from fmnist_core.fashion.train import use_amp

    cpu = torch.device("cpu")
    assert use_amp(TrainConfig(), cpu) == fast_bf16(cpu)
    assert fast_bf16("mps") is False and fast_bf16("cuda") == (torch.cuda.is_available()
                                                               and torch.cuda.is_bf16_supported())
    for fast in (True, False):
        monkeypatch.setattr(train_module, "fast_bf16", lambda device, fast=fast: fast)
        assert use_amp(TrainConfig(), cpu) is fast
        assert use_amp(TrainConfig(amp=True), cpu) is True and use_amp(TrainConfig(amp=False), cpu) is False
    assert use_amp(TrainConfig(amp=True), torch.device("mps")) is False
