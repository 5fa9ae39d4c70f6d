"""Presenter mode's layout helpers (ui/kit/presenter.py): outside presenter mode they change nothing; in it a Vega
chart gets the room's text, lines, legend and height, as a copy."""
from __future__ import annotations

import contextlib
import json

from ui.figures.training import curves_chart
from ui.kit import presenter


def spec() -> dict:
    s = {"train_epoch": [0.1, 0.2], "train_loss": [2.0, 1.5], "test_epoch": [0.2], "test_loss": [1.4]}
    return curves_chart([("a", s), ("b", s)], "loss", compare=True)


def test_outside_presenter_mode_nothing_moves():
    s = spec()
    assert presenter.room_vega(s, 200) is s  # the same spec, its height untouched
    assert isinstance(presenter.place(object()), contextlib.nullcontext)
    assert all(isinstance(v, contextlib.nullcontext) for v in presenter.first("a", "b", lead="b").values())


def test_in_presenter_mode_a_vega_chart_is_made_for_the_room(monkeypatch):
    monkeypatch.setattr(presenter, "active", lambda: True)
    s = spec()
    before = json.dumps(s, sort_keys=True)
    d = presenter.room_vega(s, 250)
    assert json.dumps(s, sort_keys=True) == before  # a copy: the cached spec is not changed
    assert d["height"] == 250
    cfg = d["config"]
    assert cfg["axis"]["labelFontSize"] >= presenter.MIN_FONT and cfg["legend"]["labelFontSize"] > presenter.MIN_FONT
    widths = [layer["mark"]["strokeWidth"] for layer in d["layer"] if layer["mark"].get("type") == "line"]
    assert widths and min(widths) >= 3
    legends = [layer["encoding"]["color"]["legend"] for layer in d["layer"] if "color" in layer.get("encoding", {})]
    assert legends and all(lg["orient"] == "top" and lg["direction"] == "horizontal" for lg in legends)
