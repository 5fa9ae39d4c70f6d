"""The URL settings of page 7 · What each layer learns (fmnist_core.engine.url_state fields), read by the page
and by the page registry without running the page."""
from __future__ import annotations

from fmnist_core.engine import url_state as us

VIEWS = {"weights": "① Weights", "units": "② Top images", "maps": "③ Feature maps", "probe": "④ Separability",
         "space": "⑤ Feature space"}
LAYER_KEYS = tuple(f"hidden{i}" for i in range(1, 7)) + tuple(f"conv{i}" for i in range(1, 5)) + ("fc",)


def schema(models: tuple[str, ...]) -> dict:
    """The page's settings, `models` being the model menu's keys (explain.ModelChoice.key), the default first."""
    if not models:
        raise ValueError("no model to choose from (assets/cnn.pt and assets/mlp.pt are missing, no run is saved)")
    return {"model": us.Choice(models[0], tuple(models)), "view": us.Choice("weights", tuple(VIEWS)),
            "layer": us.Choice("hidden1", LAYER_KEYS), "units": us.Int(12, 4, 48), "image": us.Int(0, 0, 9999),
            "input": us.Choice("test", ("test", "drawing")), "method": us.Choice("pca", ("pca", "tsne"))}
