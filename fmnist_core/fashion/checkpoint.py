"""Checkpoints: state dict + metadata, written atomically, loaded with weights_only=True."""
from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

from fmnist_core.engine.atomic import write_atomic
from fmnist_core.fashion.dataset import CLASS_NAMES
from fmnist_core.nn.models import build_model

FORMAT = "fmnist-dashboard/1"


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be used; the message says why."""


def save_checkpoint(path: str | os.PathLike, result=None, *, model: nn.Module | None = None,
                    config=None, normalization=(0.0, 1.0), metrics: dict | None = None) -> Path:
    """Write `result` (a TrainResult) or `model` + `config` atomically to `path`."""
    if result is not None:
        model, config, normalization = result.model, result.config, result.normalization
        metrics = {"test_accuracy": float(result.test_accuracy), "test_loss": float(result.test_loss),
                   "train_seconds": float(result.train_seconds), "epochs": float(result.epochs),
                   **(metrics or {})}
    cfg = config.to_dict()
    meta = {
        "format": FORMAT,
        "architecture": cfg["model"], "hidden": cfg["hidden"], "activation": cfg["activation"],
        "activation_params": cfg["activation_params"], "dropout": cfg["dropout"],
        "normalization": [float(normalization[0]), float(normalization[1])],
        "normalization_mode": cfg["normalization"], "seed": cfg["seed"],
        "classes": list(CLASS_NAMES), "config": cfg, "metrics": metrics or {},
    }
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    return write_atomic(path, lambda f: torch.save({"meta": meta, "state_dict": state}, f))


def load_checkpoint(source, device: torch.device | str = "cpu") -> tuple[nn.Module, dict]:
    """(model in eval mode, meta) from a path or file-like object; refuses pickled code."""
    try:
        blob = torch.load(source, map_location="cpu", weights_only=True)
    except Exception as e:  # UnpicklingError for code payloads, EOFError/RuntimeError for junk
        raise CheckpointError(
            "This file is not a checkpoint the dashboard can load safely: it is damaged, or it "
            f"contains code rather than only weights ({type(e).__name__})."
        ) from e
    if not isinstance(blob, dict) or "meta" not in blob or "state_dict" not in blob:
        raise CheckpointError("This file is a PyTorch file, but not a dashboard checkpoint "
                              "(no 'meta' and 'state_dict').")
    meta = blob["meta"]
    try:
        model = build_model(meta["architecture"], tuple(meta["hidden"]), meta["activation"],
                            float(meta["dropout"]), dict(meta.get("activation_params") or {}))
        model.load_state_dict(blob["state_dict"])
    except Exception as e:
        raise CheckpointError(f"The checkpoint's weights do not fit its model description ({e}).") from e
    model.to(device).eval()
    return model, meta
