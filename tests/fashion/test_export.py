"""ONNX export: onnxruntime gives the PyTorch answers on real test images; the take-home snippets run."""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
from PIL import Image

from fmnist_core.fashion import export as ex
from fmnist_core.fashion.checkpoint import load_checkpoint
from fmnist_core.fashion.dataset import CLASS_NAMES, normalize
from fmnist_core.inside.explain import ASSETS
from fmnist_core.nn.activations import ACTIVATIONS
from fmnist_core.nn.models import build_model

ROOT = Path(__file__).resolve().parents[2]


def session(data: bytes):
    return ort.InferenceSession(data, providers=["CPUExecutionProvider"])


def torch_outputs(model, images: torch.Tensor, norm) -> tuple[np.ndarray, np.ndarray]:
    with torch.no_grad():
        logits = model(normalize(images, *norm)).float()
    return logits.numpy(), logits.softmax(1).numpy()


@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_onnx_matches_pytorch_on_1000_test_images(name, fmnist):
    model, meta = load_checkpoint(ASSETS / f"{name}.pt")
    norm = tuple(meta["normalization"])
    data = ex.to_onnx(model, norm, name=name)
    images = fmnist.test_images[:1000]
    sess = session(data)
    assert [i.name for i in sess.get_inputs()] == [ex.INPUT] and sess.get_inputs()[0].shape == ["n", 28, 28]
    logits, probs = sess.run(list(ex.OUTPUTS), {ex.INPUT: images.numpy().astype(np.float32)})  # raw 0..255
    want_logits, want_probs = torch_outputs(model, images, norm)
    assert np.abs(logits - want_logits).max() < 1e-4
    assert np.abs(probs - want_probs).max() < 1e-4
    assert (probs.argmax(1) == want_probs.argmax(1)).all()
    meta_map = sess.get_modelmeta().custom_metadata_map
    assert json.loads(meta_map["classes"]) == list(CLASS_NAMES)
    assert f"{norm[0]:.4f}" in meta_map["normalization"] and "0 = background .. 255" in meta_map["input"]
    assert ex.to_onnx(model, norm, name=name) == data  # the same bytes again: a download does not change


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_every_activation_exports(activation, fmnist):
    torch.manual_seed(0)
    model = build_model("mlp", (32, 16), activation, 0.1).eval()
    with torch.no_grad():  # trained-looking parameters: alphas on both sides of 0, thresholds moved
        for n, p in model.named_parameters():
            if not n.endswith(("weight", "bias")):
                p.add_(0.3 * torch.randn_like(p))
    images = fmnist.test_images[:64]
    probs = session(ex.to_onnx(model, (72.9, 90.0))).run([ex.OUTPUTS[1]], {ex.INPUT: images.numpy().astype(np.float32)})
    assert np.abs(probs[0] - torch_outputs(model, images, (72.9, 90.0))[1]).max() < 1e-4


def test_fixed_soft_exponential_is_the_same_function():
    torch.manual_seed(0)
    model = build_model("cnn_v2", (8, 8, 16), "softexp", 0.0).eval()
    alphas = torch.tensor([-0.9, -0.3, -1e-6, 0.0, 1e-6, 1e-3, 0.4, 1.0])
    model.conv[2].alpha.data.copy_(alphas)
    fixed = ex.exportable(copy.deepcopy(model))
    assert isinstance(fixed.conv[2], ex.FixedSoftExponential)
    x = torch.randn(16, 1, 28, 28) * 2
    with torch.no_grad():
        torch.testing.assert_close(fixed(x), model(x), rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module")
def take_home(tmp_path_factory, fmnist):
    """A folder as a learner has it: the bundled MLP's checkpoint, its ONNX file and garment.png (a test photo
    of a sneaker, dark on white as a photo would be)."""
    folder = tmp_path_factory.mktemp("home")
    (folder / "mlp.pt").write_bytes((ASSETS / "mlp.pt").read_bytes())
    model, meta = load_checkpoint(ASSETS / "mlp.pt")
    (folder / "mlp.onnx").write_bytes(ex.to_onnx(model, tuple(meta["normalization"])))
    image = fmnist.test_images[(fmnist.test_labels == 7).nonzero()[0, 0]]
    Image.fromarray(255 - image.numpy()).save(folder / "garment.png")
    probs = torch_outputs(model, image[None], tuple(meta["normalization"]))[1][0]
    return folder, f"{CLASS_NAMES[int(probs.argmax())]} {float(probs.max()):.0%}"


@pytest.mark.parametrize("snippet, file_name", [(ex.checkpoint_snippet, "mlp.pt"), (ex.onnx_snippet, "mlp.onnx")])
def test_snippets_classify_a_picture(snippet, file_name, take_home):
    folder, want = take_home
    code = snippet(file_name)
    assert len([line for line in code.splitlines() if line.strip()]) <= 14  # short enough to read at a glance
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", code], cwd=folder, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == want  # e.g. "Sneaker 99%"
