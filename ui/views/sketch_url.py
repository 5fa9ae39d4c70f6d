"""The URL settings of page 8 · Draw a garment (fmnist_core.engine.url_state fields), read by the page and by
the page registry without running the page."""
from __future__ import annotations

from fmnist_core.engine import url_state as us
from fmnist_core.inside import explain as ex


def schema(models: tuple[str, ...]) -> dict:
    """The page's settings, `models` being the model menu's keys (explain.ModelChoice.key), the default first."""
    if not models:
        raise ValueError("no model to choose from (assets/cnn.pt and assets/mlp.pt are missing, no run is saved)")
    return {
        "source": us.Choice("draw", ("draw", "upload")),
        "model": us.Choice(models[0], tuple(models)),
        "brush": us.Int(10, 2, 40),
        "saliency": us.Choice("gradient", tuple(ex.SALIENCY)),
    }
