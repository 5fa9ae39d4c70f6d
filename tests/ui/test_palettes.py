"""Every palette of the figures stays distinguishable under protanopia, deuteranopia and tritanopia, in the
normal palette as in presenter mode (bench/colour_vision.py: Machado 2009 simulation, CIEDE2000)."""
from __future__ import annotations

import pytest

from bench.colour_vision import MIN_DELTA_E, VISIONS, closest_pair, figure_palettes, report
from ui.figures import palette


def test_the_check_sees_what_colour_blind_eyes_confuse():
    """matplotlib's orange, green and red (the old series colours) are far apart for normal eyes; orange and green
    are nearly the same for a protanope, green and red for a deuteranope: the simulation must say so, or the
    palette test below proves nothing."""
    orange, green, red = "#ff7f0e", "#2ca02c", "#d62728"
    assert min(closest_pair(pair, "normal")[0] for pair in ((orange, green), (green, red))) > 30
    assert closest_pair((orange, green), "protanopia")[0] < 5
    assert closest_pair((green, red), "deuteranopia")[0] < 5
    assert closest_pair(("#777777", "#777777", "#000000"), "normal")[1] == ("#777777", "#000000")  # repeats count once


def test_every_figure_palette_is_found():
    found = figure_palettes()
    for name in ("palette.SERIES", "layers.CLASS_COLORS", "training.RUN_COLORS", "optimizers.COLORS",
                 "activations.COLORS", "boundaries.LINE_COLORS", "overfitting.RUN_COLORS", "fragile.MODEL_COLORS",
                 "palette right and wrong", "palette gradient verdicts (presenter)"):
        assert name in found, sorted(found)
    assert not any(name.endswith("SCALE") for name in found)  # ramps are not palettes of separate colours
    assert len(found["layers.CLASS_COLORS"]) == 10 and len(found["activations.COLORS"]) == 14


@pytest.mark.parametrize("row", report(), ids=lambda r: r["palette"])
def test_palette_stays_apart_under_every_colour_blindness(row):
    low = {v: (round(row[v], 1), row[f"{v} pair"]) for v in VISIONS if row[v] < MIN_DELTA_E}
    assert not low, f"{row['palette']}: pairs closer than {MIN_DELTA_E} (CIEDE2000): {low}"


def test_series_prefixes_and_cycling():
    assert palette.series(3) == palette.SERIES[:3]
    assert palette.series(2, skip=13) == (palette.SERIES[13], palette.SERIES[0])
    assert len(set(c.lower() for c in palette.SERIES)) == len(palette.SERIES)
