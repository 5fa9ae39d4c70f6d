"""The optimizers page's settings in session state: link values snapped onto the sliders, a surface's
own start point and learning rates, the learning-rate presets, a clicked point of the map as the start."""
from __future__ import annotations

import streamlit as st

from fmnist_core.engine.params import nearest
from fmnist_core.engine.optim import OPTIMIZERS
from fmnist_core.optimizers import surfaces as S
from fmnist_core.optimizers.settings import HYPER, LR_OPTIONS, hyper_options
from ui.kit import tabs
from ui.kit.widgets import keys, selected_points
from ui.views.optimizers_data import surface, toy

Box = tuple[tuple[float, float], tuple[float, float], tuple[float, float]]


def surface_key(page: str) -> tuple:
    """The settings that pick the surface: `optimizers_data.surface(*surface_key(page))`."""
    s, key = st.session_state, keys(page)
    return (s[key("surface")], float(s[key("kappa")]), s[key("dirs")], int(s[key("dseed")]), int(s[key("wi")]),
            int(s[key("wj")]))


def current_surface(page: str) -> S.Surface:
    key = surface_key(page)
    if key[0] == "network" and key[2] == "weights" and key[4] == key[5]:
        key = (*key[:5], (key[4] + 1) % len(toy().names))  # the page warns; the box and presets still exist
    return surface(*key)


def surface_box(page: str, name: str) -> Box:
    """(x range, y range, start) of the surface `name`."""
    surf = current_surface(page) if name == "network" else S.make_surface(name)
    return surf.xlim, surf.ylim, surf.start


def set_preset(page: str, preset: str) -> None:
    """The surface's learning rates for `preset` ("small", "good", ...), on the sliders' options."""
    s, key = st.session_state, keys(page)
    lr, lra = current_surface(page).lr_presets[preset]
    s[key("lr")], s[key("lra")] = nearest(lr, LR_OPTIONS), nearest(lra, LR_OPTIONS)


def on_surface(page: str) -> None:
    """A new surface starts from its own start point with its good learning rates."""
    s, key = st.session_state, keys(page)
    _, _, (x0, y0) = surface_box(page, s[key("surface")])
    s[key("x0")], s[key("y0")] = x0, y0
    s[key("surface_seen")] = s[key("surface")]
    set_preset(page, "good")


def tidy_state(page: str) -> None:
    """Link values onto the widgets' options, the start inside the surface's box; a clicked point
    of the map (the chart's selection) becomes the start."""
    s, key = st.session_state, keys(page)
    if s.get(key("surface_seen")) != s[key("surface")]:  # a link naming a surface: its own start and η
        s[key("surface_seen")] = s[key("surface")]
        _, _, start = surface_box(page, s[key("surface")])
        lrs = current_surface(page).lr_presets["good"]
        for k, v in (("x0", start[0]), ("y0", start[1]), ("lr", lrs[0]), ("lra", lrs[1])):
            if k not in st.query_params:
                s[key(k)] = v
    for k in ("lr", "lra", "mblr"):
        s[key(k)] = nearest(float(s[key(k)]), LR_OPTIONS)
    for p in HYPER:
        s[key(p.name)] = nearest(float(s[key(p.name)]), hyper_options(p))
    for k in ("opts", "fmopts"):
        s[key(k)] = list(s[key(k)])
    points = selected_points(s.get(key("race_fig")))
    if points and points != s.get(key("applied_click")):
        s[key("applied_click")] = points
        s[key("x0")], s[key("y0")] = float(points[0]["x"]), float(points[0]["y"])
    (xl, xh), (yl, yh), _ = surface_box(page, s[key("surface")])
    s[key("x0")] = round(min(max(float(s[key("x0")]), xl), xh), 3)
    s[key("y0")] = round(min(max(float(s[key("y0")]), yl), yh), 3)


def hyper_sliders(page: str, names: list[str]) -> None:
    """A slider for each hyperparameter (momentum, β₁, β₂, α) that one of the optimizers `names` uses."""
    bound = tabs.binder(page)
    for p in HYPER:
        if any(p in OPTIMIZERS[n].params for n in names):
            bound(st.select_slider, p.name, p.title, hyper_options(p), help=p.help or None)
