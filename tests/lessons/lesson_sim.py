"""Run a lesson step's settings on the real computations, as the pages would, and measure its goal values.

`values_for(step, settings, solution)`: the page's settings (defaults, then the step's, then the
solution's), trained/stepped/drawn as the solution says, measured by fmnist_core.lessons.goals.
"""
from __future__ import annotations

import numpy as np
import torch

from fmnist_core.lessons import goals as lg
from fmnist_core.fashion.dataset import CLASS_NAMES
from ui.views.page_registry import page_info


def full_settings(page: str, *layers: dict) -> dict:
    schema = page_info(page).schema
    out = {name: fld.default for name, fld in schema.items()}
    for layer in layers:
        out.update(layer)
    return out


def drawing_rgba(spec: str, data) -> np.ndarray:
    """'outline:sneaker' / 'photo:trouser': the first test image of that class, drawn on the canvas."""
    from fmnist_core.inside import outlines as ol
    from fmnist_core.inside import sketch as sk

    kind, _, name = spec.partition(":")
    cls = [c.lower() for c in CLASS_NAMES].index(name.lower())
    img = data.test_images[int(torch.nonzero(data.test_labels == cls)[0])].cpu().numpy()
    if kind == "photo":
        return sk.render_on_canvas(img, 200, 40, 40)
    return ol.outline_canvas(img, np.random.default_rng(0))[0]


def sketch_probs(rgba: np.ndarray, model_key: str) -> np.ndarray:
    from fmnist_core.inside import explain as ex
    from fmnist_core.inside import sketch as sk
    from fmnist_core.fashion.checkpoint import load_checkpoint

    choice = next(c for c in ex.model_choices() if c.key == model_key)
    model, meta = load_checkpoint(choice.path, "cpu")
    pre = sk.preprocess(sk.decode_image(sk.rgba_to_png(rgba)))
    return ex.probabilities(model, pre.image, tuple(meta["normalization"]))


def fragile_values(s: dict, data) -> dict:
    """Page 9 as it computes its goal values: the attack on test image s["image"] and, in the break lab, the
    accuracy with the s["ko_top"] most important units of s["ko_layer"] off (ranked as page 7 ranks them)."""
    from fmnist_core.fashion.checkpoint import load_checkpoint
    from fmnist_core.fragile import adversarial as adv
    from fmnist_core.fragile import knockout as ko
    from fmnist_core.fragile.pixels import PixelModel, balanced_subset, to_pixels
    from fmnist_core.inside import explain as ex
    from fmnist_core.inside import layers as L

    choice = next(c for c in ex.model_choices() if c.key == s["model"])
    model, meta = load_checkpoint(choice.path, "cpu")
    norm = tuple(meta["normalization"])
    pm = PixelModel(model, norm)
    if s["view"] == "break":
        importance = L.summarize(model, data.test_images, norm).stats[s["ko_layer"]].importance
        off = ko.switched_off(importance, int(s["ko_top"]), s["ko_units"])
        idx = balanced_subset(data.test_labels, ko.EVAL_IMAGES)
        acc = ko.knock_out(pm, s["ko_layer"], off, to_pixels(data.test_images[idx]), data.test_labels[idx])
        return lg.fragile_values(None, {"off": len(off), "accuracy": float(acc.mean())})
    i = int(s["image"])
    label = int(data.test_labels[i])
    target = None if s["target"] < 0 or s["target"] == label else int(s["target"])
    a = adv.attack_image(pm, data.test_images[i].numpy(), label, int(s["eps"]), s["attack"], int(s["steps"]), target)
    return lg.fragile_values(a, None)


def values_for(page: str, s: dict, train: float = 0, drawing: str | None = None, data=None) -> dict:
    """Settings `s` (complete) run for `train` epochs/steps/seconds; the goal values, settings included."""
    if page == "activations":
        return {**s, **lg.neuron_values(s)}
    if page == "boundaries":
        from fmnist_core.toy.data import make_dataset
        from fmnist_core.toy.run import ToyRun

        d = make_dataset(s["dataset"], int(s["points"]), float(s["noise"]), float(s["test"]), int(s["seed"]))
        lecture = bool(s["lecture"]) and s["dataset"] == "xor" and s["layers"] == 1 and s["units"] == 2
        run = ToyRun.create(d, (int(s["units"]),) * int(s["layers"]), s["act"], s["opt"], float(s["lr"]),
                            0 if s["batch"] == "full" else int(s["batch"]), int(s["seed"]), lecture_lines=lecture)
        if train:
            run.advance(int(train))
        return {**s, **lg.boundary_values(run, s)}
    if page == "learning":
        from fmnist_core.basics import backprop as bp
        from fmnist_core.toy.data import make_dataset

        d = make_dataset(s["dataset"], int(s["points"]), float(s["noise"]), float(s["test"]), int(s["seed"]))
        x, y = d.x_train.double().numpy(), d.y_train.double().numpy()
        w = bp.initial_weights(int(s["units"]), int(s["seed"]), bool(s["lecture"]))
        pt = int(s["point"])
        batch = [(pt + i) % len(y) for i in range(int(s["mbsize"]))] if s["mb"] else [pt]
        for _ in range(int(train)):  # what the page's Apply does: one SGD step on the chosen point(s)
            upd = bp.update(bp.run_pass(w, s["act"], s["loss"], x[batch], y[batch]), float(s["lr"]), x, y)
            if upd.status != "diverged":
                w = upd.new
        return {**s, **lg.learning_values(w, int(train), x, y, s)}
    if page == "initialization":
        from fmnist_core.initialization import compare as init_compare, report as init_report
        from fmnist_core.initialization.stats import activation_gain

        diag = init_compare.fashion_data(data) if s["data"] == "fashion" else init_compare.toy_data(s["data"])
        gain = activation_gain("tanh") if s["gain"] and s["act"] == "tanh" else 1.0
        params = {n: float(s[n]) for n in ("std", "a", "value")} | {"gain": gain, "noise": 1e-3 if s["noise"] else 0.0}
        rep = init_report.init_report(diag, int(s["depth"]), int(s["width"]), s["act"], s["init"],
                                      with_reference=False, **params)
        return {**s, **lg.init_values(rep)}
    if page == "training":
        from fmnist_core.nn.models import CLASSIC_HIDDEN
        from fmnist_core.fashion.runs import RunRecord
        from fmnist_core.fashion.train import TrainConfig
        from fmnist_core.fashion.train import train as run_training

        records = []
        if train:
            cfg = TrainConfig(model="cnn" if s["model"] == "cnn" else "mlp", hidden=CLASSIC_HIDDEN,
                              activation=s["activation"], init=s["init"], optimizer=s["optimizer"], lr=float(s["lr"]),
                              schedule=s["schedule"], batch_size=int(s["batch"]), epochs=1000,
                              time_budget=float(train), dropout=float(s["dropout"]), seed=int(s["seed"]))
            records = [RunRecord.from_result(run_training(cfg, data), 1)]
        return {**s, **lg.training_values(records)}
    if page == "sketch":
        probs = sketch_probs(drawing_rgba(drawing, data), s["model"]) if drawing else None
        return {**s, **lg.sketch_values(probs)}
    if page == "fragile":
        return {**s, **fragile_values(s, data)}
    if page == "overfitting":
        from fmnist_core.overfitting import lab
        from ui.views.overfitting_url import lab_settings

        records = [lab.run(lab_settings(s), data).record(0)] if train else []
        return {**s, **lg.overfitting_values(records)}
    return dict(s)  # pages whose goals check settings only
