"""TensorBoard event files for a training run, laid out as Keras' TensorBoard callback lays them out.

    LOGDIR/train/  scalars loss, accuracy (epoch means), lr, images_per_sec; per-layer histograms
                   weights/<param> and gradients/<param> at each epoch; the settings as text and hparams
    LOGDIR/test/   scalars loss, accuracy (test set, each evaluation); the confusion matrix as an image

so `tensorboard --logdir runs` draws train and test as two lines in one chart per tag, as in the
reference write-ups. All points use the optimizer step as their x value. Non-finite values (a
diverged run) are left out: TensorBoard cannot scale a chart around NaN.

    with TensorBoardLogger("runs/mlp", cfg, test_labels) as tb:
        train(cfg, data, on_event=tb, watch=tb.watch)
"""
from __future__ import annotations

import io
import math
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import torch
from torch import nn

from fmnist_core.fashion.dataset import CLASS_NAMES
from fmnist_core.fashion.metrics import confusion_matrix, row_normalize

SPLITS = ("train", "test")


def _finite(x) -> bool:
    return x is not None and not isinstance(x, (str, bool)) and math.isfinite(float(x))


def settings_markdown(config: dict) -> str:
    """The run's settings as a two-column markdown table (TensorBoard's Text tab renders it)."""
    rows = "\n".join(f"| {k} | {v} |" for k, v in config.items())
    return f"| setting | value |\n| --- | --- |\n{rows}"


def _hparam_value(v):
    if isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, (list, tuple)):
        return "-".join(str(x) for x in v)
    return str(v)


class TensorBoardLogger:
    """An `on_event` listener for `train()` that writes the events as TensorBoard summaries.

    Pass `watch=logger.watch` to `train()` as well, so it sees the model and can write the weight and
    gradient histograms (the gradient of each epoch's last batch) at each epoch event.
    """

    def __init__(self, logdir: str | os.PathLike, config, test_labels=None, flush_secs: int = 10):
        from torch.utils.tensorboard import SummaryWriter  # imports tensorboard (~1-3 s): only when logging

        self.logdir = Path(logdir)
        self.config = config.to_dict() if hasattr(config, "to_dict") else dict(config)
        self.labels = None if test_labels is None else np.asarray(
            test_labels.cpu() if isinstance(test_labels, torch.Tensor) else test_labels)
        self.model: nn.Module | None = None
        self.writers = {s: SummaryWriter(str(self.logdir / s), flush_secs=flush_secs) for s in SPLITS}
        self.writers["train"].add_text("settings", settings_markdown(self.config), 0)

    # --- the train() hooks
    def watch(self, model: nn.Module) -> None:
        self.model = model

    def __call__(self, ev: dict) -> None:
        kind, step = ev.get("kind"), int(ev.get("step", 0))
        train, test = self.writers["train"], self.writers["test"]
        if kind == "progress":
            self._scalar(train, "lr", ev.get("lr"), step)
            self._scalar(train, "images_per_sec", ev.get("images_per_sec"), step)
        elif kind in ("epoch", "done"):
            if kind == "epoch":
                self._scalar(train, "loss", ev.get("train_loss"), step)
                self._scalar(train, "accuracy", ev.get("train_accuracy"), step)
            self._scalar(test, "loss", ev.get("test_loss"), step)
            self._scalar(test, "accuracy", ev.get("test_accuracy"), step)
            self.histograms(step)
            if ev.get("predictions") is not None:
                self.confusion(ev["predictions"], step)
        if kind == "done":
            self.hparams({"test_accuracy": ev.get("test_accuracy"), "test_loss": ev.get("test_loss")},
                         ev.get("status", ""))
            self.flush()

    # --- what is written
    @staticmethod
    def _scalar(writer, tag: str, value, step: int) -> None:
        if _finite(value):
            writer.add_scalar(tag, float(value), step)

    def histograms(self, step: int) -> None:
        """Per-parameter histograms of the watched model's weights and of their latest gradients."""
        if self.model is None:
            return
        w = self.writers["train"]
        for name, p in self.model.named_parameters():
            for group, t in (("weights", p), ("gradients", p.grad)):
                if t is None:
                    continue
                v = t.detach().float().flatten().cpu()
                v = v[torch.isfinite(v)]
                if v.numel():
                    w.add_histogram(f"{group}/{name}", v.numpy(), step)

    def confusion(self, predictions, step: int) -> None:
        if self.labels is None or len(predictions) != len(self.labels):
            return
        cm = confusion_matrix(self.labels, np.asarray(predictions))
        self.writers["test"].add_image("confusion_matrix", confusion_image(cm), step, dataformats="HWC")

    def hparams(self, metrics: dict, status: str = "") -> None:
        """The settings as hparams (TensorBoard's HParams tab) with the final test metrics."""
        from torch.utils.tensorboard.summary import hparams

        hp = {k: _hparam_value(v) for k, v in self.config.items() if v is not None and not isinstance(v, dict)}
        hp["status"] = status
        final = {f"hparam/{k}": float(v) for k, v in metrics.items() if _finite(v)}
        w = self.writers["train"]
        for summary in hparams(hp, final):
            w.file_writer.add_summary(summary)
        for tag, v in final.items():
            w.add_scalar(tag, v, 0)

    def flush(self) -> None:
        for w in self.writers.values():
            w.flush()

    def close(self) -> None:
        for w in self.writers.values():
            w.close()

    def __enter__(self) -> "TensorBoardLogger":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def confusion_image(cm: np.ndarray, class_names=CLASS_NAMES, cell: int = 44) -> np.ndarray:
    """An RGB uint8 image (H, W, 3) of the confusion matrix: rows true, columns predicted, counts printed,
    cells shaded by the share of their row."""
    from PIL import Image, ImageDraw, ImageFont

    n = len(cm)
    share = row_normalize(cm)
    font = ImageFont.load_default(size=13)
    left, top = 110, 110
    img = Image.new("RGB", (left + n * cell + 8, top + n * cell + 30), "white")
    d = ImageDraw.Draw(img)
    d.text((left, 4), "predicted class", fill="black", font=font)
    d.text((4, top - 18), "true class", fill="black", font=font)
    for j, name in enumerate(class_names):  # column labels, written upward
        label = Image.new("RGBA", (top - 26, 16), (255, 255, 255, 0))
        ImageDraw.Draw(label).text((0, 0), name, fill="black", font=font)
        label = label.rotate(90, expand=True)
        img.paste(label, (left + j * cell + (cell - 16) // 2, 22), label)
    for i in range(n):
        d.text((4, top + i * cell + cell // 2 - 7), class_names[i], fill="black", font=font)
        for j in range(n):
            s = float(share[i, j])
            color = tuple(int(255 - s * (255 - c)) for c in (31, 78, 150))  # white -> dark blue
            x, y = left + j * cell, top + i * cell
            d.rectangle([x, y, x + cell - 1, y + cell - 1], fill=color, outline=(220, 220, 220))
            d.text((x + cell // 2, y + cell // 2), str(int(cm[i, j])), fill="white" if s > 0.5 else "black",
                   font=font, anchor="mm")
    acc = np.trace(cm) / max(int(cm.sum()), 1)
    d.text((left, top + n * cell + 8), f"accuracy {acc:.4f} on {int(cm.sum())} test images", fill="black", font=font)
    return np.asarray(img)


# --------------------------------------------------------------------------- a finished run

def write_run_logs(logdir: str | os.PathLike, history: list[dict], config, model: nn.Module | None = None,
                   predictions=None, test_labels=None) -> Path:
    """Write a finished run's TensorBoard logs from its event history.

    The history holds no weights, so the histograms are those of the final `model` only (once, at
    the last step); `predictions` (the final test predictions) give the confusion matrix.
    """
    with TensorBoardLogger(logdir, config, test_labels) as tb:
        for ev in history:
            if ev.get("kind") == "done":
                tb.watch(model)
                ev = {**ev, "predictions": predictions}
            tb(ev)
    return Path(logdir)


def zip_dir(directory: str | os.PathLike, root_name: str | None = None) -> bytes:
    """The files under `directory` as zip bytes, inside one folder `root_name` (default: its name)."""
    directory = Path(directory)
    root_name = root_name or directory.name
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                z.write(path, f"{root_name}/{path.relative_to(directory).as_posix()}")
    return buf.getvalue()


def run_logs_zip(name: str, history: list[dict], config, model: nn.Module | None = None,
                 predictions=None, test_labels=None) -> bytes:
    """A finished run's TensorBoard logs as a zip holding `name/train/...` and `name/test/...`:
    unzip it into a folder and run `tensorboard --logdir` on that folder."""
    with tempfile.TemporaryDirectory(prefix="fmnist-tb-") as tmp:
        write_run_logs(Path(tmp) / name, history, config, model, predictions, test_labels)
        return zip_dir(Path(tmp) / name, name)
