"""The live boundary view, played in the browser: the server trains ahead and sends batches of frames
(P(red) as a 64x64 uint8 image, the unit lines, the encoded points, metrics, the weight histogram); a
small `st.components.v2` renderer draws them on canvases at display rate, the epoch label and all the
panels from the same frame, and scrubs a replay without asking the server.

Without a mouse: the view (the metrics and the canvases) takes focus (a ring, role "application", a label
naming the keys); Space plays or pauses (live: holds the picture while training goes on; replay: plays the
stored frames), Left/Right step one frame (Shift or PageUp/PageDown: ten), Home/End go to the first and the
last. A visually hidden aria-live text says the epoch and the metrics (at once after a key, at most every
2 s while playing, 10 s without focus). With prefers-reduced-motion each live batch jumps to its newest
frame instead of playing every frame (`data-motion` on the root says which).

Only this module's own code goes in as html/css/js; everything from the run goes in as `data`.
Measured with bench/browser_rates.py in headless chromium on this project's 2-core machine while other
work loaded it (load average 4-10): the live boundary showed 11-29 new frames a second (label and picture
always together) where the plotly page showed ~1.1; a replay step redraws in ~25-40 ms (median).
"""
from __future__ import annotations

import base64
import math
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import streamlit as st

from fmnist_core.toy.plane import UnitLine

from ui.figures.boundaries import BLUE, LINE_COLORS, PROB_SCALE, RED

_JS = (Path(__file__).with_name("frame_player.js")).read_text()
_CSS = """
.fp-root{font-family:"Source Sans Pro",sans-serif;color:#222;user-select:none}
.fp-head{display:flex;flex-wrap:wrap;align-items:baseline;gap:.2rem 1.2rem;margin:0 0 .3rem 0;font-size:1.15rem}
.fp-epoch{font-weight:700;font-size:1.35rem;min-width:9.5rem}
.fp-metric{margin-right:1.1rem}
.fp-metric b{font-weight:700}
.fp-grid{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:.6rem 1rem}
.fp-panel{margin:0;position:relative}
.fp-panel figcaption{font-size:.95rem;font-weight:600;margin-bottom:.15rem;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.fp-panel canvas{width:100%;display:block}
.fp-sq canvas{aspect-ratio:1/1}
.fp-wide{grid-column:span 2}
.fp-wide canvas,.fp-low canvas{height:170px}
.fp-tools{display:flex;flex-wrap:wrap;align-items:center;gap:.3rem 1rem;margin-top:.35rem;font-size:1rem}
.fp-tools label{cursor:pointer}
.fp-scrub{display:flex;align-items:center;gap:.8rem;margin-top:.35rem;font-size:1rem}
.fp-scrub input{flex:1}
.fp-hidden{display:none}
.fp-boundary.fp-click{cursor:crosshair}
@media (max-width:700px){.fp-grid{grid-template-columns:repeat(2,minmax(0,1fr))}}
"""
# The keyboard view's focus ring and key hint, and the screen readers' live text (visually hidden).
_A11Y_CSS = """
.fp-view{position:relative;border-radius:6px;outline:none}
.fp-view:focus-visible{outline:3px solid #1f5fbf;outline-offset:4px;box-shadow:0 0 0 7px rgba(31,95,191,.2)}
.fp-keys{display:none;position:absolute;right:0;top:-.4rem;transform:translateY(-100%);z-index:2;padding:.1rem .55rem;
  font-size:.9rem;color:#12407f;background:#eef4fd;border:1px solid #9dbbe8;border-radius:4px;white-space:nowrap}
.fp-view:focus-visible .fp-keys{display:block}
.fp-sr{position:absolute!important;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);
  clip-path:inset(50%);white-space:nowrap;border:0}
"""
_COMPONENT = st.components.v2.component("fmnist_frame_player", html="<div class='fp-root'></div>",
                                        css=_CSS + _A11Y_CSS, js=_JS, isolate_styles=False)


def b64(a: np.ndarray) -> str:
    """The raw bytes of a numpy array (little-endian), base64: a compact array in JSON."""
    return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii")


def _num(v: float) -> float | None:
    return None if v is None or not math.isfinite(v) else round(float(v), 6)


def _line(ln: UnitLine) -> list[float]:
    return [ln.unit, *map(float, ln.start), *map(float, ln.end), *map(float, ln.base), *map(float, ln.tip)]


def frame_payload(frame: dict) -> dict:
    """A core frame (toy_frames.compute_frame) as JSON: arrays as base64, NaN as null."""
    prob = np.clip(np.nan_to_num(np.asarray(frame["prob"], dtype=np.float32), nan=0.5), 0, 1)
    enc = frame["encoding"]
    pts = np.nan_to_num(np.asarray(enc["points"], dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    return {
        "epoch": int(frame["epoch"]),
        "m": [_num(v) for v in frame["metrics"]],
        "res": int(prob.shape[-1]),
        "prob": b64(np.rint(prob * 255).astype(np.uint8)),
        "lines": None if frame["lines"] is None else [_line(ln) for ln in frame["lines"] if ln is not None],
        "enc": {"kind": enc["kind"], "n": int(len(pts)), "pts": b64(pts),
                "out": None if enc["out"] is None else [_num(v) for v in enc["out"]], "share": enc["share"]},
        "hist": frame["hist"],
    }


def points_payload(x, y) -> dict:
    x = np.asarray(x.cpu() if hasattr(x, "cpu") else x, dtype=np.float32).reshape(-1, 2)
    y = np.asarray(y.cpu() if hasattr(y, "cpu") else y).reshape(-1).astype(np.uint8)
    return {"n": int(len(x)), "xy": b64(x), "y": b64(y)}


def player(key: str, *, run_id: str, mode: str, frames: Sequence[dict], seq: int, curve: Sequence[dict],
           extent: float, train, test, own: Sequence[tuple[float, float, int]], enc_labels,
           show_test: bool = True, discrete: bool = False, clickable: bool = True, scrub_epoch: int | None = None,
           notes: dict | None = None, on_epoch: Callable[[], None] | None = None,
           on_click: Callable[[], None] | None = None):
    """Mount the player. `mode` "live" (frames are queued and played) or "replay" (frames to scrub);
    `seq` numbers the batches so a repeated run sends nothing twice; `curve`: [{epoch, train_loss,
    test_loss}]. Returns the component's result: `.epoch` ([scrubbed to, the latest epoch then]), `.click`
    ({x1, x2, mode})."""
    data = {
        "run": run_id, "mode": mode, "seq": int(seq), "extent": float(extent),
        "frames": [frame_payload(f) for f in frames],
        "curve": [[int(c["epoch"]), _num(c["train_loss"]), _num(c["test_loss"])] for c in curve],
        "train": points_payload(*train), "test": points_payload(*test) if test is not None else None,
        "own": [[round(float(a), 4), round(float(b), 4), int(c)] for a, b, c in own],
        "enc_y": b64(np.asarray(enc_labels.cpu() if hasattr(enc_labels, "cpu") else enc_labels).astype(np.uint8)),
        "show_test": bool(show_test), "discrete": bool(discrete), "clickable": bool(clickable),
        "scrub": scrub_epoch, "notes": notes or {},
        "colors": {"red": RED, "blue": BLUE, "lines": LINE_COLORS, "prob": PROB_SCALE},
    }
    return _COMPONENT(key=key, data=data, on_epoch_change=on_epoch or (lambda: None),
                      on_click_change=on_click or (lambda: None), default={"epoch": None})
