"""The drawing page: AppTest with injected drawings and uploads, and a real browser drawing strokes."""
from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest
import torch
from PIL import Image
from streamlit.testing.v1 import AppTest

from fmnist_core.inside import outlines as ol
from fmnist_core.inside import sketch as sk
from tests.conftest import arr, open_page, real_console_errors, screenshot, wait_idle

SNEAKER, TROUSER = 7, 1


def first_of(data, cls: int) -> np.ndarray:
    return data.test_images[(data.test_labels == cls).nonzero()[0, 0]].numpy()


def sketch_app() -> AppTest:
    at = AppTest.from_file("../../app.py", default_timeout=120).run()
    return at.switch_page("pages/sketch.py").run()


def draw(at: AppTest, rgba: np.ndarray) -> AppTest:
    """Put a picture into the canvas as the component sends it after a stroke."""
    at.session_state["sketch_canvas"] = {"drawing": {"raw": {"objects": [{}]}, "data": sk.png_data_url(rgba)}}
    return at.run()


def answer(at: AppTest) -> str:
    big = [m.value for m in at.markdown if "font-size:2.6rem" in m.value]
    assert len(big) == 1, [m.value for m in at.markdown]
    return big[0]


def test_empty_canvas_asks_for_a_drawing():
    at = sketch_app()
    assert not at.exception
    assert any("Draw a garment on the canvas" in i.value for i in at.info)
    assert not [m for m in at.markdown if "font-size:2.6rem" in m.value]


def test_nearly_empty_canvas_gets_a_prompt_not_a_prediction():
    at = sketch_app()
    dot = np.full((280, 280, 4), 255, np.uint8)
    dot[140:146, 140:146, :3] = 0
    draw(at, dot)
    assert not at.exception
    assert any("nearly empty" in i.value for i in at.info)
    assert not [m for m in at.markdown if "font-size:2.6rem" in m.value]


def test_injected_drawings_are_classified(fmnist):
    at = sketch_app()
    # A test sneaker photo at half size in the bottom-right corner of the canvas.
    draw(at, sk.render_on_canvas(first_of(fmnist, SNEAKER), 140, 140, 140))
    assert not at.exception
    assert "Sneaker" in answer(at)
    figs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    bars = arr(figs[0]["data"][0]["x"])
    assert len(bars) == 10 and abs(bars.sum() - 1) < 1e-3 and bars.argmax() == SNEAKER
    saliency = [f for f in figs if len(f["data"]) == 2 and f["data"][1]["type"] == "heatmap"]
    assert saliency and arr(saliency[0]["data"][1]["z"]).shape == (28, 28)
    model_input = arr(figs[1]["data"][0]["z"])
    assert model_input.shape == (28, 28) and model_input.max() == 255
    assert "Most similar training images" in [s.value for s in at.subheader]

    # A student's outline of test trousers, 6 px pen, top-left, drawn small.
    ink = ol.outline(torch.as_tensor(first_of(fmnist, TROUSER))[None], 120, 6)[0, 0].numpy()
    draw(at, ol.draw_on_canvas(ink, 10, 20))
    assert not at.exception and "Trouser" in answer(at)

    at.radio(key="sketch_saliency").set_value("occlusion").run()
    assert not at.exception and "Trouser" in answer(at)
    assert any("occlusion" in c.value for c in at.caption)

    at.selectbox(key="sketch_model").set_value("mlp").run()
    assert not at.exception and len([m for m in at.markdown if "font-size:2.6rem" in m.value]) == 1


def png(rgba: np.ndarray, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgba[..., :3]).save(buf, format=fmt)
    return buf.getvalue()


def test_uploads_good_and_broken(fmnist):
    at = sketch_app()
    at.radio(key="sketch_source").set_value("upload").run()
    assert any("Upload a picture" in i.value for i in at.info)

    at.file_uploader(key="sketch_upload").upload("shoe.jpg", png(sk.render_on_canvas(first_of(fmnist, SNEAKER), 200, 30, 40),
                                                                 "JPEG"), "image/jpeg").run()
    assert not at.exception and "Sneaker" in answer(at)

    for name, data, says in [("notes.png", b"these are my notes, not a picture", "not a PNG, JPEG or WebP"),
                             ("cut.png", png(np.random.default_rng(0).integers(0, 255, (300, 300, 4), np.uint8))[:3000],
                              "damaged or truncated")]:
        at.file_uploader(key="sketch_upload").upload(name, data, "image/png").run()
        assert not at.exception
        assert any(says in e.value for e in at.error), [e.value for e in at.error]
        assert not [m for m in at.markdown if "font-size:2.6rem" in m.value]

    # Sizes a student can fix are warnings that say what to do, never a programmer's "array of shape".
    for size, says in [((1, 1), "This picture is only 1×1 pixels: the model needs at least 16×16. Take a photo of "
                                "the whole garment, or draw it on the canvas."),
                       ((20000, 2), "This picture is 20000×2 pixels: a thin strip, 10,000 times as wide as it "
                                    "is tall")]:
        at.file_uploader(key="sketch_upload").upload("tiny.png", png(np.full((size[1], size[0], 4), 255, np.uint8)),
                                                     "image/png").run()
        assert not at.exception and not at.error
        assert any(says in w.value for w in at.warning), [w.value for w in at.warning]
        assert not [m for m in at.markdown if "font-size:2.6rem" in m.value]


def test_offers_models_saved_from_the_training_page(tmp_path, monkeypatch):
    import shutil

    from fmnist_core.inside.explain import ASSETS

    monkeypatch.setenv("FMNIST_RUNS_DIR", str(tmp_path))
    shutil.copy(ASSETS / "mlp.pt", tmp_path / "20260101-120000-mlp-256-128-64-relu-adam-88.0.pt")
    (tmp_path / "broken.pt").write_bytes(b"not a checkpoint")  # listed by the runs module, skipped here
    at = sketch_app()
    assert not at.exception
    options = at.selectbox(key="sketch_model").options
    assert options[:2] == ["CNN for drawings (bundled)", "Classic MLP, photos only (bundled)"]
    saved = [o for o in options if o.startswith("Saved run:")]
    assert len(saved) == 1 and "MLP" in saved[0]


def test_works_without_the_dataset(fmnist, tmp_path, monkeypatch):
    from ui.kit.common import _load

    monkeypatch.setenv("FMNIST_DATA_DIR", str(tmp_path))  # an empty folder: no dataset on this "machine"
    _load.clear()
    try:
        at = sketch_app()
        draw(at, sk.render_on_canvas(first_of(fmnist, TROUSER), 200, 40, 40))
        assert not at.exception and "Trouser" in answer(at)
        needs = [i.value for i in at.info if "not on this machine" in i.value]
        assert len(needs) == 2  # the neighbours and the gallery say what they need
    finally:
        _load.clear()


@pytest.mark.browser
def test_drawing_strokes_in_a_real_browser(app_server, page):
    # The entry page first, until its router is in place: a fresh server that gets a page URL before
    # app.py has ever run serves pages/*.py directly (Streamlit's old pages/ mode) for that session.
    open_page(page, app_server, "")
    page.locator("[data-testid='stSidebarNav']").get_by_text("Start here").wait_for(timeout=60_000)
    open_page(page, app_server, "sketch")
    canvas = page.locator("canvas.upper-canvas")
    canvas.wait_for(timeout=30_000)
    assert min(canvas.bounding_box()[k] for k in ("width", "height")) >= 270
    # Trousers: waistband, outer leg, crotch, inner leg, as a student would draw them.
    pts = [(90, 40), (190, 40), (200, 250), (160, 250), (140, 110), (120, 250), (80, 250), (90, 40)]
    for attempt in range(3):  # the layout can still shift while the page settles: measure, draw, check
        page.wait_for_timeout(500)
        box = canvas.bounding_box()
        page.mouse.move(box["x"] + pts[0][0], box["y"] + pts[0][1])
        page.mouse.down()
        for x, y in pts[1:]:
            page.mouse.move(box["x"] + x, box["y"] + y, steps=8)
        page.mouse.up()
        try:
            page.get_by_text("What the model sees").wait_for(timeout=30_000)
            break
        except Exception:
            assert attempt < 2, "three strokes drawn, no prediction"
    wait_idle(page)
    assert page.get_by_text(re.compile(r"^Trouser\s+\d+%$")).is_visible()  # the answer, large
    assert page.get_by_text("Why “", exact=False).count() >= 1  # the saliency map's title
    page.wait_for_selector("[data-testid='stPlotlyChart'] .js-plotly-plot", timeout=30_000)
    assert page.locator("[data-testid='stPlotlyChart']").count() >= 5  # bars, input, saliency, neighbours, gallery
    for name in ("Undo", "Reset canvas & history"):  # the canvas toolbar: undo and clear
        assert page.get_by_role("button", name=name).is_visible()
    screenshot(page, "sketch-drawn", full_page=False)
    page.set_viewport_size({"width": 1280, "height": 2200})  # Streamlit scrolls inside; show it all
    page.wait_for_timeout(800)
    screenshot(page, "sketch-drawn-tall", full_page=False)
    page.set_viewport_size({"width": 1280, "height": 720})

    # Undo takes the stroke back (clear, after a retried stroke): back to the prompt.
    page.get_by_role("button", name="Undo" if attempt == 0 else "Reset canvas & history").click()
    page.get_by_text("Draw a garment on the canvas").wait_for(timeout=30_000)

    page.get_by_text("Upload a picture").click()
    wait_idle(page)
    page.locator("input[type='file']").set_input_files(
        files=[{"name": "broken.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\nnot really"}])
    page.get_by_text("That picture cannot be used").wait_for(timeout=30_000)
    screenshot(page, "sketch-upload-broken", full_page=False)
    assert real_console_errors(page) == []
    assert page.locator("[data-testid='stException']").count() == 0
