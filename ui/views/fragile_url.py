"""The URL settings of page 9 · Fool, dream, break (fmnist_core.engine.url_state fields), read by the page
and by the page registry without running the page."""
from __future__ import annotations

from fmnist_core.engine import url_state as us
from fmnist_core.fragile import adversarial as adv
from fmnist_core.fragile import dreams as dr
from ui.views.layers_url import LAYER_KEYS

VIEWS = {"fool": "① Fool it", "curve": "② How robust?", "dream": "③ Dream", "break": "④ Break it"}
UNTARGETED = -1  # the `target` setting: any wrong class
UNIT_OPTIONS = tuple(str(u) for u in range(256))  # units switched off one by one, by number


def schema(models: tuple[str, ...]) -> dict:
    """The page's settings, `models` being the model menu's keys (explain.ModelChoice.key), the default first."""
    if not models:
        raise ValueError("no model to choose from (assets/cnn.pt and assets/mlp.pt are missing, no run is saved)")
    return {
        "model": us.Choice(models[0], tuple(models)), "view": us.Choice("fool", tuple(VIEWS)),
        "input": us.Choice("test", ("test", "drawing")), "image": us.Int(0, 0, 9999),
        "attack": us.Choice("fgsm", tuple(adv.ATTACKS)), "eps": us.Int(0, 0, adv.EPS_MAX),
        "steps": us.Int(10, 1, 50), "target": us.Int(UNTARGETED, UNTARGETED, 9),
        "dream": us.Choice("class", ("class", "unit")), "dream_class": us.Int(0, 0, 9),
        "dream_layer": us.Choice("hidden1", LAYER_KEYS), "dream_unit": us.Int(0, 0, 255),
        "start": us.Choice("gray", tuple(dr.STARTS)),
        "ko_layer": us.Choice("hidden1", LAYER_KEYS), "ko_top": us.Int(0, 0, 256),
        "ko_units": us.MultiChoice((), UNIT_OPTIONS, max_items=256),
    }
