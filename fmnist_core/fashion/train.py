"""Fast, GPU-aware Fashion-MNIST trainer with live events, stop/pause and divergence detection.

Data stays on the device as uint8 and is batched by random permutation (no DataLoader), as
airbench does. Run as a CLI: `python -m fmnist_core.fashion.train --model mlp --time-budget 30`.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from fmnist_core.fashion.augment import augment_raw, mirror_half
from fmnist_core.fashion.dataset import FashionMNIST, normalization_stats, normalize
from fmnist_core.engine.device import fast_bf16
from fmnist_core.engine.loop import Loop, TrainControl
from fmnist_core.nn.losses import TRAIN_LOSSES, train_loss
from fmnist_core.nn.models import build_model, count_parameters, is_cnn
from fmnist_core.engine.optim import OPTIMIZERS, SCHEDULES
from fmnist_core.fashion.recipe import RECIPES, TrainConfig, config_optimizer, lr_at, recipe_for
from fmnist_core.nn.weight_init import apply_init

__all__ = ["TrainConfig", "TrainControl", "TrainResult", "RECIPES", "recipe_for", "train", "evaluate", "lr_at",
           "use_amp", "config_optimizer", "config_model", "place_model", "data_normalization", "model_input", "main"]


@dataclass
class TrainResult:
    status: str  # finished | budget | stopped | diverged
    message: str
    model: nn.Module
    config: TrainConfig
    test_accuracy: float
    test_loss: float
    train_seconds: float
    epochs: float
    steps: int
    device: str
    history: list[dict] = field(default_factory=list)
    predictions: np.ndarray | None = None  # (10000,) test predictions of the final model
    probabilities: np.ndarray | None = None  # (10000, 10)
    normalization: tuple[float, float] = (0.0, 1.0)

    def summary(self) -> dict:
        return {
            "status": self.status, "message": self.message,
            "test_accuracy": round(self.test_accuracy, 4), "test_loss": round(self.test_loss, 4),
            "train_seconds": round(self.train_seconds, 2), "epochs": round(self.epochs, 2),
            "steps": self.steps, "device": self.device,
            "parameters": count_parameters(self.model),
        }


def use_amp(cfg: TrainConfig, device: torch.device) -> bool:
    """bf16 autocast for this run: cfg.amp, or with None where the device computes bf16 fast (fast_bf16)."""
    return fast_bf16(device) if cfg.amp is None else bool(cfg.amp and device.type in ("cpu", "cuda"))


def config_model(cfg: TrainConfig) -> nn.Module:
    """The untrained model `cfg` names, initialized as it says; the same weights for the same seed."""
    torch.manual_seed(cfg.seed)
    model = build_model(cfg.model, cfg.hidden, cfg.activation, cfg.dropout, dict(cfg.activation_params),
                        cfg.batchnorm)
    return apply_init(model, cfg.init, seed=cfg.seed, **dict(cfg.init_params))


def place_model(model: nn.Module, cfg: TrainConfig, device: torch.device) -> bool:
    """Move `model` to `device` in training mode, channels-last for a CNN where `cfg` says; returns that flag."""
    model.to(device)
    channels_last = cfg.channels_last and is_cnn(cfg.model)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    model.train()
    return channels_last


def model_input(raw: torch.Tensor, cfg: TrainConfig, norm, gen: torch.Generator,
                channels_last: bool = False) -> torch.Tensor:
    """A training batch of raw uint8 images (B, 28, 28) as the network gets it (B, 1, 28, 28): shifted and erased,
    normalized, mirrored as `cfg` says (drawn from `gen`), in the memory format of the model."""
    x = normalize(augment_raw(raw, cfg, gen), *norm)
    if cfg.flip:
        x = mirror_half(x, gen)
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


def shuffled_batches(n: int, batch_size: int, per_epoch: int, gen: torch.Generator,
                     device: torch.device) -> Callable[[int], torch.Tensor]:
    """`batch(step)`: the image indices of mini-batch `step` (steps counted from 0), from a new shuffle of the
    n images (drawn from `gen`) at each epoch's first step; `per_epoch` batches an epoch."""
    perm = torch.empty(0, dtype=torch.long, device=device)

    def batch(step: int) -> torch.Tensor:
        nonlocal perm
        i = step % per_epoch
        if i == 0:
            perm = torch.randperm(n, device=device, generator=gen)
        return perm[i * batch_size:(i + 1) * batch_size]

    return batch


_STATS: dict[tuple[int, str], tuple[float, float]] = {}


def data_normalization(data: FashionMNIST, mode: str) -> tuple[float, float]:
    """(shift, scale) for `mode`, computed once per dataset object."""
    key = (id(data.train_images), mode)
    if key not in _STATS:
        _STATS[key] = normalization_stats(mode, data.train_images)
    return _STATS[key]


@torch.inference_mode()
def evaluate(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    norm: tuple[float, float],
    batch_size: int = 1000,
    amp: bool = False,
    channels_last: bool = False,
    tta_flip: bool = False,
) -> dict:
    """Loss, accuracy, predictions (N,) and probabilities (N, 10) for uint8 images (N, 28, 28).

    `tta_flip`: the logits are the mean of the image's and its mirror's (test-time augmentation).
    """
    was_training = model.training
    model.eval()
    probs = []
    for i in range(0, len(images), batch_size):
        x = normalize(images[i:i + batch_size], *norm)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast(images.device.type, dtype=torch.bfloat16, enabled=amp):
            logits = model(x)
            if tta_flip:
                logits = (logits + model(x.flip(3))) / 2
        probs.append(torch.softmax(logits.float(), dim=1))
    model.train(was_training)
    p = torch.cat(probs)  # (N, 10)
    loss = F.nll_loss(torch.log(p.clamp_min(1e-12)), labels).item()
    pred = p.argmax(1)
    return {
        "loss": loss,
        "accuracy": (pred == labels).float().mean().item(),
        "predictions": pred.cpu().numpy(),
        "probabilities": p.cpu().numpy(),
    }


def train(
    cfg: TrainConfig,
    data: FashionMNIST,
    on_event: Callable[[dict], Any] | None = None,
    control: TrainControl | None = None,
    model: nn.Module | None = None,
    watch: Callable[[nn.Module], Any] | None = None,
) -> TrainResult:
    """Train on `data` (on its device); events are plain dicts (see README, 'Trainer events').

    `watch(model)` is called once before the first step, for listeners that read the weights and
    gradients at each event (the TensorBoard histograms).
    """
    device = data.device
    torch.manual_seed(cfg.seed)
    emit = on_event
    if model is None:
        model = config_model(cfg)
    channels_last = place_model(model, cfg, device)
    if watch:
        watch(model)
    opt = config_optimizer(cfg, model.parameters())
    amp = use_amp(cfg, device)
    norm = data_normalization(data, cfg.normalization)
    images, labels = data.train_images, data.train_labels
    n, bs = len(images), cfg.batch_size
    steps_per_epoch = math.ceil(n / bs)
    gen = torch.Generator(device=device).manual_seed(cfg.seed)
    loop = Loop(cfg.epochs * steps_per_epoch, control, cfg.time_budget, emit, steps_per_epoch,
                check_every=1 if device.type == "cpu" else cfg.event_every)  # a finiteness check syncs a GPU
    loss_sum = torch.zeros((), device=device)
    correct_sum = torch.zeros((), device=device, dtype=torch.long)
    seen = 0
    last_event_t, last_event_seen = loop.elapsed(), 0
    batch = shuffled_batches(n, bs, steps_per_epoch, gen, device)

    def test_eval() -> dict:
        ev = evaluate(model, data.test_images, data.test_labels, norm, amp=amp, channels_last=channels_last,
                      tta_flip=cfg.tta_flip)
        model.train()
        return ev

    for step in loop.steps():
        idx = batch(step)
        x = model_input(images[idx], cfg, norm, gen, channels_last)
        y = labels[idx]
        for g in opt.param_groups:
            g["lr"] = lr_at(cfg, loop.progress())
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            logits = model(x)
        loss = train_loss(cfg.loss, logits.float(), y, cfg.label_smoothing)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        loss_sum += loss.detach() * len(y)
        if not loop.after_step(loss_sum):  # before the update: a diverged run keeps its last finite weights
            break
        opt.step()
        correct_sum += (logits.argmax(1) == y).sum()
        seen += len(y)
        lr = opt.param_groups[0]["lr"]
        if loop.step % cfg.event_every == 0:
            now = loop.elapsed()
            loop.event("progress", lr=lr, train_loss=(loss_sum / seen).item(),
                       train_accuracy=correct_sum.item() / seen,
                       images_per_sec=(seen - last_event_seen) / max(now - last_event_t, 1e-9))
            last_event_t, last_event_seen = now, seen
        if loop.step % steps_per_epoch == 0:
            epoch = loop.step // steps_per_epoch
            fields = dict(lr=lr, train_loss=(loss_sum / max(seen, 1)).item(),
                          train_accuracy=correct_sum.item() / max(seen, 1))
            loss_sum.zero_(), correct_sum.zero_()
            seen, last_event_seen = 0, 0
            if cfg.eval_every and epoch % cfg.eval_every == 0 and epoch < cfg.epochs:
                te = test_eval()
                loop.event("epoch", payload={"predictions": te["predictions"], "probabilities": te["probabilities"]},
                           test_loss=te["loss"], test_accuracy=te["accuracy"], **fields)
            else:
                loop.event("epoch", **fields)

    status, message = loop.status, loop.message
    train_seconds = loop.elapsed()
    if status == "diverged":
        final = {"loss": float("nan"), "accuracy": float("nan"), "predictions": None, "probabilities": None}
    else:
        final = test_eval()
    if status == "finished":
        message = f"finished {cfg.epochs} epochs"
    result = TrainResult(
        status=status, message=message, model=model, config=cfg,
        test_accuracy=final["accuracy"], test_loss=final["loss"], train_seconds=train_seconds,
        epochs=loop.epoch, steps=loop.step, device=str(device), history=loop.history,
        predictions=final["predictions"], probabilities=final["probabilities"], normalization=norm,
    )
    loop.event("done", payload={"predictions": final["predictions"], "probabilities": final["probabilities"]},
               lr=opt.param_groups[0]["lr"], status=status, message=message, test_loss=final["loss"],
               test_accuracy=final["accuracy"], train_seconds=train_seconds)
    return result


# --------------------------------------------------------------------------- CLI

def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m fmnist_core.fashion.train",
                                description="Train a Fashion-MNIST model; the last line is JSON.")
    p.add_argument("--model", choices=list(RECIPES), default="mlp")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--optimizer", choices=list(OPTIMIZERS))
    p.add_argument("--opt-param", action="append", default=[], metavar="NAME=VALUE",
                   help="one of the optimizer's own hyperparameters, repeatable: " + "; ".join(
                       f"{n}: {', '.join(q.name for q in s.params)}" for n, s in OPTIMIZERS.items() if s.params))
    p.add_argument("--schedule", choices=list(SCHEDULES))
    p.add_argument("--activation")
    p.add_argument("--dropout", type=float)
    p.add_argument("--normalization", choices=["none", "unit", "standard", "half"])
    p.add_argument("--loss", choices=list(TRAIN_LOSSES), help="cross_entropy, or mse on the softmax vs one-hot")
    p.add_argument("--time-budget", type=float, help="seconds of training; the schedule follows the clock")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, help="CPU threads (default: all cores, the CLI runs alone)")
    p.add_argument("--device", help="cpu, cuda, mps (default: the best available)")
    p.add_argument("--data-dir")
    p.add_argument("--save", help="write a checkpoint here")
    p.add_argument("--logdir", help="write TensorBoard logs here, e.g. runs/NAME (then: tensorboard --logdir runs)")
    return p.parse_args(argv)


def _opt_params(items: list[str]) -> tuple[tuple[str, float], ...]:
    """("beta1=0.8", ...) as sorted (name, value) pairs; ValueError names the item that is not NAME=VALUE."""
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise ValueError(f"--opt-param {item!r} is not NAME=VALUE, e.g. beta1=0.8")
    return tuple(sorted(out.items()))


def main(argv: list[str] | None = None) -> int:
    from fmnist_core.fashion.checkpoint import save_checkpoint
    from fmnist_core.engine.device import get_device, set_threads, tune_allocator
    from fmnist_core.fashion.dataset import DatasetError, load_fashion_mnist
    from fmnist_core.engine.terminal import EpochBar, strict_json

    args = _parse(argv)
    overrides = {k: v for k, v in {
        "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr, "optimizer": args.optimizer,
        "schedule": args.schedule, "activation": args.activation, "dropout": args.dropout,
        "normalization": args.normalization, "seed": args.seed, "loss": args.loss,
    }.items() if v is not None}
    if args.time_budget:
        # With a budget the schedule follows the clock; the epoch count is only a ceiling.
        overrides["time_budget"] = args.time_budget
        overrides.setdefault("epochs", 1000)
    try:  # a wrong setting fails here, before anything is loaded
        if args.opt_param:
            overrides["optimizer_params"] = _opt_params(args.opt_param)
        cfg = recipe_for(args.model, args.time_budget).with_(**overrides)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    tune_allocator()
    if args.threads:
        torch.set_num_threads(args.threads)
    else:
        set_threads(beside_server=False)
    try:
        device = get_device(args.device)
        data = load_fashion_mnist(device, args.data_dir)
    except (DatasetError, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    bar = EpochBar(cfg.epochs, cfg.time_budget)
    logger = None
    if args.logdir:
        from fmnist_core.fashion.tensorboard_log import TensorBoardLogger

        try:
            logger = TensorBoardLogger(args.logdir, cfg, data.test_labels)
        except (ImportError, OSError) as e:
            print(f"error: cannot write TensorBoard logs to {args.logdir} ({e}). Fix: choose a folder you can "
                  f"write to; the logs need the tensorboard package (pip install -r requirements.txt).",
                  file=sys.stderr)
            return 2

    def on_event(ev: dict) -> None:
        if ev["kind"] == "epoch":
            test = f"  test acc {ev['test_accuracy']:.4f}" if "test_accuracy" in ev else ""
            bar.write(f"epoch {ev['epoch']:5.2f}  {ev['elapsed']:6.1f}s  lr {ev['lr']:.2e}  "
                      f"train loss {ev['train_loss']:.4f}  train acc {ev['train_accuracy']:.4f}{test}")
        bar(ev)
        if logger:
            logger(ev)

    try:
        result = train(cfg, data, on_event=on_event, watch=logger.watch if logger else None)
    finally:
        bar.close()
        if logger:
            logger.close()
    if result.status == "diverged":
        print(result.message, file=sys.stderr)
    out = result.summary()
    out.update(model=cfg.model, threads=torch.get_num_threads(), config=cfg.to_dict())
    if args.save and result.status != "diverged":
        save_checkpoint(args.save, result)
        out["saved"] = args.save
    if args.logdir:
        out["logdir"] = args.logdir
    print(json.dumps(strict_json(out), allow_nan=False))  # NaN/Inf -> null: jq and JSON.parse read it
    return 0 if result.status != "diverged" else 3


if __name__ == "__main__":
    raise SystemExit(main())
