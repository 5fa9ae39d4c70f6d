"""Every palette of the figures, seen with colour-blind eyes: the closest pair of colours in each, under
normal vision and simulated protanopia, deuteranopia and tritanopia.

Simulation: Machado, Oliveira & Fernandes (2009) at full severity, applied in linear sRGB (colour-science's
matrices); distance: CIEDE2000 in CIELAB (D65). A palette is every module-level tuple, list or dict of two or
more '#rrggbb' colours in ui/figures (names ending in SCALE are ramps, read as one colour each, and skipped),
plus palette.GROUPS (named colours drawn side by side) in the normal and the presenter palette.

    python bench/colour_vision.py          # a table: palette, size, closest pair under each vision
"""
from __future__ import annotations

import importlib
import itertools
import pkgutil
import re
import warnings
from functools import cache

import numpy as np

HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
VISIONS = ("normal", "protanopia", "deuteranopia", "tritanopia")
MIN_DELTA_E = 10.0  # CIEDE2000: a pair closer than this under any vision counts as "hard to tell apart"


@cache
def _matrix(vision: str) -> np.ndarray:
    import colour

    if vision == "normal":
        return np.eye(3)
    warnings.filterwarnings("ignore", message=".*tritanomaly.*")  # its note on how tritanopia is modelled
    deficiency = {"protanopia": "Protanomaly", "deuteranopia": "Deuteranomaly", "tritanopia": "Tritanomaly"}[vision]
    return np.asarray(colour.blindness.matrix_cvd_Machado2009(deficiency, 1.0))


def to_lab(hex_colours, vision: str = "normal") -> np.ndarray:
    """CIELAB of each '#rrggbb' colour as seen with `vision` (n x 3)."""
    import colour

    rgb = np.array([[int(h[i:i + 2], 16) / 255 for i in (1, 3, 5)] for h in hex_colours])
    linear = np.clip(colour.models.eotf_sRGB(rgb) @ _matrix(vision).T, 0.0, 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        xyz = colour.RGB_to_XYZ(linear, colour.RGB_COLOURSPACES["sRGB"], apply_cctf_decoding=False)
        return colour.XYZ_to_Lab(xyz)


def closest_pair(hex_colours, vision: str = "normal") -> tuple[float, tuple[str, str]]:
    """(CIEDE2000 distance, the two colours) of the closest pair of distinct colours seen with `vision`."""
    import colour

    distinct = list(dict.fromkeys(h.lower() for h in hex_colours))
    lab = to_lab(distinct, vision)
    pairs = list(itertools.combinations(range(len(distinct)), 2))
    a, b = zip(*pairs)
    d = colour.delta_E(lab[list(a)], lab[list(b)], method="CIE 2000")
    k = int(np.argmin(d))
    return float(d[k]), (distinct[a[k]], distinct[b[k]])


def _colours(value) -> list[str] | None:
    items = list(value.values()) if isinstance(value, dict) else value
    if isinstance(items, (list, tuple)) and len(items) >= 2 and all(isinstance(c, str) and HEX.match(c)
                                                                    for c in items):
        return list(items)
    return None


def figure_palettes() -> dict[str, list[str]]:
    """{'module.NAME': colours} for every palette of ui/figures, and palette.GROUPS in both palettes."""
    import ui.figures
    from ui.figures import palette

    found: dict[str, list[str]] = {}
    seen = {id(palette.DEFAULT), id(palette.PRESENTER)}  # the named colours: checked group by group below
    for info in pkgutil.iter_modules(ui.figures.__path__):
        module = importlib.import_module(f"ui.figures.{info.name}")
        for name, value in vars(module).items():
            if name.isupper() and not name.startswith("_") and not name.endswith("SCALE") and id(value) not in seen \
                    and (colours := _colours(value)):
                seen.add(id(value))  # imported by another module: counted once
                found[f"{info.name}.{name}"] = colours
    for group, names in palette.GROUPS.items():
        found[f"palette {group}"] = [palette.DEFAULT[n] for n in names]
        found[f"palette {group} (presenter)"] = [palette.PRESENTER[n] for n in names]
    return found


def report() -> list[dict]:
    """One row per palette: its size and the closest pair under each vision."""
    rows = []
    for name, colours in figure_palettes().items():
        row = {"palette": name, "colours": len(set(c.lower() for c in colours))}
        for vision in VISIONS:
            row[vision], row[f"{vision} pair"] = closest_pair(colours, vision)
        rows.append(row)
    return rows


def main() -> None:
    rows = report()
    print(f"{'palette':<44}{'n':>3}" + "".join(f"{v[:6]:>9}" for v in VISIONS) + "   closest pair (worst vision)")
    for r in rows:
        worst = min(VISIONS, key=lambda v: r[v])
        print(f"{r['palette']:<44}{r['colours']:>3}" + "".join(f"{r[v]:>9.1f}" for v in VISIONS)
              + f"   {' / '.join(r[f'{worst} pair'])} ({worst})")
    low = [r["palette"] for r in rows if min(r[v] for v in VISIONS) < MIN_DELTA_E]
    print(f"\n{len(rows)} palettes; under {MIN_DELTA_E:g} (CIEDE2000) under some vision: {low or 'none'}")


if __name__ == "__main__":
    main()
