"""What the optimizer race's keyboard player (ui/kit/animation_keys.py) is told: a step per animation frame,
the same steps the figure's frames are named by, and each path's loss there; a diverged path says so.
In a real browser: tests/browser/test_keyboard_views_browser.py."""
from __future__ import annotations

import numpy as np

from fmnist_core.optimizers import race as R
from fmnist_core.optimizers import surfaces as S
from ui.figures import optimizers as figs


def test_race_reading_follows_the_frames_and_marks_divergence():
    surf = S.make_surface("valley")
    lr, lra = S.lr_preset("valley", "diverging")
    paths = R.race(surf, ("sgd", "adam"), surf.start, 400, lr, lra)
    ordered = [paths["sgd"], paths["adam"]]
    assert ordered[0].status == "diverged" and ordered[1].status != "diverged"
    xs, ys, z = surf.grid(40)
    fig = figs.race_figure(xs, ys, z, ordered, ["SGD", "Adam"], surf.start)
    reading = figs.race_reading(ordered, ["SGD", "Adam"])
    assert reading["steps"] == [int(f.name) for f in fig.frames]  # the keys animate to these frame names
    assert reading["of"] == 400 and reading["quantity"] == "loss"
    sgd, adam = reading["series"]
    stop = ordered[0].steps
    assert sgd["stop"] == stop and sgd["note"] == f"diverged at step {ordered[0].diverged_at}"
    for k, v in zip(reading["steps"], sgd["values"]):
        assert (v is None) == (k > stop), (k, v)
        if v is not None:
            assert np.isclose(v, ordered[0].loss[k], rtol=1e-3)
    assert adam["stop"] is None and adam["note"] == ""
    assert np.allclose(adam["values"], ordered[1].loss[reading["steps"]], rtol=1e-3)
