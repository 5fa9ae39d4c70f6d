"""Take a model home: the drawing and training pages offer a checkpoint and an ONNX file, with code to use them.

AppTest keeps a download's bytes in a media store that ends with each run; the button's URL names the file by
Streamlit's hash of its bytes, MIME type and file name, so comparing that id with the hash of the expected
bytes checks the data a learner would get.
"""
from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.runtime.memory_media_file_storage import _calculate_file_id
from streamlit.testing.v1 import AppTest

from fmnist_core.fashion import export as ex
from fmnist_core.fashion.checkpoint import load_checkpoint
from fmnist_core.fashion.dataset import normalize
from fmnist_core.fashion.recipe import TrainConfig
from fmnist_core.fashion.runs import RunRecord, save_run
from fmnist_core.inside.explain import ASSETS

MIME = "application/octet-stream"


def downloads(at: AppTest) -> dict[str, str]:
    """{file name in the label: media file id} of the download buttons on the page."""
    out = {}
    for b in at.get("download_button"):
        if b.proto.label.endswith(" MB)"):  # this section's: "⬇ cnn.pt (1.3 MB)"
            assert b.proto.url, f"{b.proto.label} has no data"
            out[b.proto.label.split(" ")[1]] = Path(b.proto.url).stem
    return out


def carries(at: AppTest, file_name: str, data: bytes) -> bool:
    assert data
    return downloads(at).get(file_name) == _calculate_file_id(data, MIME, file_name)


def test_drawing_page_offers_the_chosen_model():
    at = AppTest.from_file("../../app.py", default_timeout=120).run()
    at.switch_page("pages/sketch.py").run()
    assert not at.exception and not at.get("download_button")  # nothing is built while the section is closed
    at.session_state["sketch_take_home"] = True  # the learner opens "Take this model home"
    at.run()
    assert not at.exception, at.exception
    model, meta = load_checkpoint(ASSETS / "cnn.pt")
    assert carries(at, "cnn.pt", (ASSETS / "cnn.pt").read_bytes())
    assert carries(at, "cnn.onnx", ex.to_onnx(model, tuple(meta["normalization"]), name="CNN for drawings (bundled)"))
    snippets = [ex.checkpoint_snippet("cnn.pt"), ex.onnx_snippet("cnn.onnx")]
    assert [c.value.strip() for c in at.code] == [s.strip() for s in snippets]

    at.selectbox(key="sketch_model").set_value("mlp").run()
    assert not at.exception and carries(at, "mlp.pt", (ASSETS / "mlp.pt").read_bytes())


@pytest.fixture(scope="module")
def ended_run(fmnist) -> RunRecord:
    """The bundled MLP as a run that has just ended on the training page (not saved)."""
    model, meta = load_checkpoint(ASSETS / "mlp.pt")
    norm = tuple(meta["normalization"])
    with torch.no_grad():
        probs = torch.softmax(model(normalize(fmnist.test_images, *norm)), 1).numpy()
    acc = float((probs.argmax(1) == fmnist.test_labels.numpy()).mean())
    return RunRecord(run_id=1, name="#1 MLP 256-128-64", config=TrainConfig.from_dict(meta["config"]),
                     status="finished", message="", test_accuracy=acc, test_loss=0.32, train_seconds=30.0,
                     epochs=22.0, steps=2600, device="cpu", probabilities=probs.astype(np.float32), model=model,
                     normalization=norm)


def test_training_page_offers_an_ended_run_and_a_saved_one(ended_run, tmp_path, monkeypatch):
    monkeypatch.setenv("FMNIST_RUNS_DIR", str(tmp_path / "runs"))
    (tmp_path / "runs").mkdir()
    shutil.copy(ASSETS / "cnn.pt", tmp_path / "runs" / "20260101-120000-cnn-relu-adam-92.1.pt")
    at = AppTest.from_file("../../app.py", default_timeout=120)
    at.session_state["training_runs"] = [ended_run]
    at.switch_page("pages/training.py").run()
    assert not at.exception, at.exception
    assert not downloads(at)  # the section is closed
    at.session_state["training_take_home"] = True
    at.run()
    assert not at.exception, at.exception
    want = save_run(dataclasses.replace(ended_run), tmp_path / "expected")  # what the page offers, made here
    assert carries(at, want.name, want.read_bytes())
    assert carries(at, f"{want.stem}.onnx", ex.to_onnx(ended_run.model, ended_run.normalization, name=ended_run.name))
    assert ended_run.saved_path is None  # offering a download does not save the run

    at.selectbox(key="training_saved_take_home").set_value("20260101-120000-cnn-relu-adam-92.1.pt").run()
    assert not at.exception, at.exception
    assert carries(at, "20260101-120000-cnn-relu-adam-92.1.pt", (ASSETS / "cnn.pt").read_bytes())
    assert "20260101-120000-cnn-relu-adam-92.1.onnx" in downloads(at)
