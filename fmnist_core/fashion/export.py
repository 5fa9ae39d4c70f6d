"""A trained model to take home: ONNX with its normalization and softmax folded in, and the short
Python snippets that load a checkpoint or an ONNX file and classify a picture.

The ONNX graph takes raw pixels, so nothing outside it needs the training statistics:
  input  "pixels"        float32 (N, 28, 28), 0 = background .. 255 = garment (bright on black,
                         trimmed and centred as Fashion-MNIST stores it)
  output "logits"        float32 (N, 10)
  output "probabilities" float32 (N, 10), softmax of the logits
Its metadata (`custom_metadata_map` in onnxruntime) carries "classes" (a JSON list of the 10 names),
"input", "normalization" and "outputs" in words.

Measured on a busy 2-core CPU (torch 2.13, TorchScript exporter): 0.01-0.05 s per bundled model once
warm; the first export in a process ~0.9 s, after `import onnx` (1.5-2 s, once). The torch.export-based
exporter (dynamo=True) took 2-7 s per model and cannot trace SoftExponential either.
"""
from __future__ import annotations

import copy
import hashlib
import io
import json
import threading
import warnings

import torch
from torch import nn

from fmnist_core.fashion.dataset import CLASS_NAMES
from fmnist_core.nn.activations import _SOFTEXP_LOG_FLOOR, _SOFTEXP_MAX_EXPONENT, SoftExponential

INPUT = "pixels"
OUTPUTS = ("logits", "probabilities")
OPSET = 17  # onnxruntime 1.16+ runs it; the TorchScript exporter's tested range
_EXPORT_LOCK = threading.Lock()  # the TorchScript exporter keeps global state: one export at a time


class ExportError(RuntimeError):
    """A model the ONNX exporter cannot write; the message says why."""


class RawPixels(nn.Module):
    """(logits, probabilities), each (N, 10), for raw pixels (N, 28, 28) in 0..255."""

    def __init__(self, model: nn.Module, normalization: tuple[float, float]):
        super().__init__()
        self.model = model
        self.shift, self.scale = float(normalization[0]), float(normalization[1])

    def forward(self, pixels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = ((pixels - self.shift) / self.scale).unsqueeze(1)  # (N, 1, 28, 28), as in training
        logits = self.model(x)
        return logits, torch.softmax(logits, 1)


class FixedSoftExponential(nn.Module):
    """SoftExponential with its trained alpha per unit fixed, in operators ONNX has.

    The training version picks a branch per unit by reading alpha (data-dependent indexing) and uses
    expm1, which the exporter lacks; here all three branches are computed and `where` keeps each unit's.
    """

    def __init__(self, alpha: torch.Tensor):
        super().__init__()
        self.register_buffer("alpha", alpha.detach().clone().float())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.alpha.view(1, -1, *([1] * (x.dim() - 2)))  # (1, F) or (1, F, 1, 1)
        safe = torch.where(a == 0, torch.ones_like(a), a)  # no 0/0 in the branches a unit does not take
        pos = _expm1((a * x).clamp(max=_SOFTEXP_MAX_EXPONENT)) / safe + a
        neg = -_log1p((-a * (x + a)).clamp(min=_SOFTEXP_LOG_FLOOR - 1)) / safe
        return torch.where(a > 0, pos, torch.where(a < 0, neg, x))


def _expm1(y: torch.Tensor) -> torch.Tensor:
    """e^y - 1, accurate near 0 without expm1 (Kahan's trick)."""
    u = torch.exp(y)
    return torch.where(u == 1, y, (u - 1) * y / torch.log(u))


def _log1p(z: torch.Tensor) -> torch.Tensor:
    """ln(1 + z), accurate near 0 without log1p (Goldberg's trick)."""
    u = 1 + z
    return torch.where(u == 1, z, torch.log(u) * z / (u - 1))


def exportable(model: nn.Module) -> nn.Module:
    """`model` with its SoftExponential units replaced by FixedSoftExponential (in place)."""
    for name, child in list(model.named_children()):
        if isinstance(child, SoftExponential):
            setattr(model, name, FixedSoftExponential(child.alpha))
        else:
            exportable(child)
    return model


def metadata(normalization: tuple[float, float], classes=CLASS_NAMES, name: str = "") -> dict[str, str]:
    """The ONNX file's metadata: what a program needs besides the graph."""
    shift, scale = float(normalization[0]), float(normalization[1])
    return {
        "classes": json.dumps(list(classes)),
        "input": f"{INPUT}: float32 (N, 28, 28), 0 = background .. 255 = garment, garment bright on black, "
                 "trimmed and centred in the frame as Fashion-MNIST",
        "normalization": f"inside the graph: (pixels - {shift:.4f}) / {scale:.4f}",
        "outputs": f"{OUTPUTS[0]}: float32 (N, 10); {OUTPUTS[1]}: float32 (N, 10), softmax of the logits",
        "source": "fmnist-dashboard" + (f": {name}" if name else ""),
    }


def to_onnx(model: nn.Module, normalization: tuple[float, float], *, classes=CLASS_NAMES, name: str = "") -> bytes:
    """The model as an ONNX file's bytes: raw pixels in, logits and probabilities out (module docstring)."""
    import onnx  # the exporter needs it too; imported here so the rest of the core does not

    # A copy on the CPU: the original may be shared by other sessions or sit on a GPU, and export
    # switches modes while it traces.
    wrapped = RawPixels(exportable(copy.deepcopy(model)).float().cpu().eval(), normalization).eval()
    example = torch.zeros(2, 28, 28)
    buf = io.BytesIO()
    try:
        with _EXPORT_LOCK, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "legacy exporter" deprecation notices, tracer warnings
            # dynamo=False: the TorchScript exporter, ~50x faster here than torch.export's, needs no onnxscript.
            torch.onnx.export(wrapped, (example,), buf, dynamo=False, opset_version=OPSET, input_names=[INPUT],
                              output_names=list(OUTPUTS), dynamic_axes={INPUT: {0: "n"}, OUTPUTS[0]: {0: "n"},
                                                                        OUTPUTS[1]: {0: "n"}})
    except Exception as e:  # the exporter's errors carry the whole graph: keep the first line
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        raise ExportError(f"This model cannot be exported to ONNX ({type(e).__name__}: {first[:200]}).") from e
    proto = onnx.load_from_string(buf.getvalue())
    onnx.helper.set_model_props(proto, metadata(normalization, classes, name))
    proto.doc_string = f"Fashion-MNIST classifier{f' ({name})' if name else ''}: raw 28x28 pixels in, 10 classes out."
    return proto.SerializeToString()


def weights_digest(model: nn.Module) -> str:
    """A hash of the model's weights: a cache key for an export that holds across sessions."""
    h = hashlib.sha256()
    for k, v in model.state_dict().items():
        h.update(k.encode())
        h.update(v.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:32]


# --------------------------------------------------------------------------- snippets

_PICTURE = '''
# garment.png: a photo of one garment on a light background, cropped close to it
picture = ImageOps.invert(Image.open("garment.png").convert("L"))  # garment bright on black, as in training
pixels = np.asarray(ImageOps.pad(picture, (28, 28), color=0), np.float32)  # (28, 28), 0..255
'''


def checkpoint_snippet(file_name: str) -> str:
    """Python that loads a checkpoint (weights_only=True) and classifies garment.png; needs torch, pillow and
    this project's model definitions (fmnist_core)."""
    return f'''\
import numpy as np, torch
from PIL import Image, ImageOps
from fmnist_core.nn.models import build_model  # this project's model definitions

ckpt = torch.load({json.dumps(file_name)}, map_location="cpu", weights_only=True)  # tensors and settings, never code
m = ckpt["meta"]
model = build_model(m["architecture"], m["hidden"], m["activation"], m["dropout"], m["activation_params"])
model.load_state_dict(ckpt["state_dict"])
model.eval()  # no dropout when predicting
{_PICTURE}shift, scale = m["normalization"]  # the training images' mean and spread
probs = model(((torch.from_numpy(pixels) - shift) / scale)[None, None]).softmax(1)[0]  # (10,)
print(m["classes"][int(probs.argmax())], f"{{float(probs.max()):.0%}}")
'''


def onnx_snippet(file_name: str) -> str:
    """Python that runs an exported ONNX file on garment.png with onnxruntime; needs no torch, no project."""
    return f'''\
import json
import numpy as np
import onnxruntime as ort
from PIL import Image, ImageOps

session = ort.InferenceSession({json.dumps(file_name)})
classes = json.loads(session.get_modelmeta().custom_metadata_map["classes"])
{_PICTURE}probs = session.run(["{OUTPUTS[1]}"], {{"{INPUT}": pixels[None]}})[0][0]  # normalization is inside
print(classes[int(probs.argmax())], f"{{float(probs.max()):.0%}}")
'''
