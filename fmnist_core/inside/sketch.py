"""Turn a drawing or a photo into a Fashion-MNIST image, the way the dataset itself was made.

Fashion-MNIST (Xiao et al. 2017) took Zalando product photos on white, trimmed the edges that match
the corner colour, resized the longest edge to 28 px, centred the result on a 28x28 frame, negated
the intensities (garment bright on black) and stored 8-bit grayscale. `preprocess` does the same to
a canvas or an upload and keeps every stage, so a page can show what the model is given. Only the
garment's bounding box matters, so where and how large it was drawn does not.
"""
from __future__ import annotations

import base64
import binascii
import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

SIZE = 28  # Fashion-MNIST frame; the longest edge of the garment fills it
CANVAS = 280  # drawing canvas, 10x the model's input
MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # same as server.maxUploadSize in .streamlit/config.toml
MAX_PIXELS = 40_000_000  # a 40-megapixel photo is fine; more is refused before decoding
MIN_EDGE = 16  # below this the garment has fewer pixels than the model's 28x28 frame can use
MAX_ASPECT = 10  # longest / shortest edge: a phone panorama is ~4; a garment photo's frame far less
WORK_EDGE = 560  # photos are shrunk to this longest edge first: 20x the frame is plenty of detail
FORMATS = ("PNG", "JPEG", "WEBP")


@dataclass(frozen=True)
class PrepConfig:
    trim_threshold: float = 0.1  # ink level (0..1) counted as garment when trimming the edges
    empty_fraction: float = 0.003  # below this share of inked pixels the canvas counts as empty (~1 short line)
    border: float = 0.04  # outer ring (share of the edge) whose median colour is taken as the background


class ImageInputError(ValueError):
    """An upload or canvas image that cannot be used; the message says why and what to do, for a learner.

    `kind` names the problem for a page and a test: empty, bytes, not_image, damaged, bomb (decompression
    bomb), small, thin, large (pixels).
    """

    def __init__(self, message: str, kind: str = "damaged"):
        super().__init__(message)
        self.kind = kind


TRY_AGAIN = "Take a photo of the whole garment, or draw it on the canvas."


def check_size(w: int, h: int, max_pixels: int = MAX_PIXELS) -> None:
    """ImageInputError unless a w x h picture can become a model input: not too small, thin or large."""
    if min(w, h) > 0 and max(w, h) > MAX_ASPECT * min(w, h):
        shape = "wide" if w > h else "tall"
        raise ImageInputError(f"This picture is {w}×{h} pixels: a thin strip, {max(w, h) / min(w, h):,.0f} times as "
                              f"{shape} as it is {'tall' if w > h else 'wide'}, where no garment fits. The model takes "
                              f"pictures up to {MAX_ASPECT} times longer one way than the other. " + TRY_AGAIN, "thin")
    if min(w, h) < MIN_EDGE:
        raise ImageInputError(f"This picture is only {w}×{h} pixels: the model needs at least {MIN_EDGE}×{MIN_EDGE}. "
                              + TRY_AGAIN, "small")
    if w * h > max_pixels:
        raise ImageInputError(f"This picture is {w}×{h} pixels ({w * h / 1e6:.0f} megapixels): the limit is "
                              f"{max_pixels / 1e6:.0f} megapixels. Make it smaller (any photo editor can resize it) "
                              "or take the photo at a lower resolution.", "large")


# --------------------------------------------------------------------------- decoding


def decode_image(data: bytes, max_bytes: int = MAX_UPLOAD_BYTES, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """RGBA uint8 (H, W, 4) from PNG/JPEG/WebP bytes; ImageInputError with a clear reason otherwise."""
    if not data:
        raise ImageInputError("The file is empty (0 bytes): upload the picture again.", "empty")
    if len(data) > max_bytes:
        raise ImageInputError(f"The file is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB. "
                              "Use a smaller picture.", "bytes")
    try:
        with warnings.catch_warnings():
            # PIL only warns between MAX_IMAGE_PIXELS and twice that, and refuses beyond at open(); make
            # every bomb an error. check_size refuses far less than PIL's limit anyway, from the header.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=FORMATS)
            check_size(*img.size, max_pixels=max_pixels)  # read from the header, before any pixel is decoded
            img.draft(None, (WORK_EDGE, WORK_EDGE))  # JPEG: decode at reduced size, much faster
            img.load()
            img = ImageOps.exif_transpose(img)
    except ImageInputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise ImageInputError(f"This file says its picture has over {(Image.MAX_IMAGE_PIXELS or 0) / 1e6:.0f} "
                              "megapixels: a huge photo, or a 'decompression bomb' made to exhaust a server's memory. "
                              f"It was not opened. Make the picture smaller (under {max_pixels / 1e6:.0f} "
                              "megapixels), or upload an ordinary photo or screenshot.", "bomb") from e
    except UnidentifiedImageError as e:
        raise ImageInputError("This file is not a PNG, JPEG or WebP picture. Upload a photo saved in one of "
                              "those formats, or draw the garment on the canvas.", "not_image") from e
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        # Pillow reports a cut-off file as OSError('image file is truncated ...').
        raise ImageInputError("This picture could not be read: the file looks damaged or truncated (cut off, "
                              "as by an interrupted download). Open it on your computer to check, save it again "
                              "as PNG or JPEG, and upload that.", "damaged") from e
    img.thumbnail((WORK_EDGE, WORK_EDGE), Image.Resampling.BOX)
    return np.asarray(img.convert("RGBA"))


def decode_data_url(url: str) -> np.ndarray:
    """RGBA uint8 (H, W, 4) from a canvas's 'data:image/png;base64,...' URL."""
    if not isinstance(url, str) or ";base64," not in url:
        raise ImageInputError("The canvas sent no picture. Draw on it again.", "empty")
    try:
        raw = base64.b64decode(url.split(";base64,", 1)[1], validate=False)
    except (binascii.Error, ValueError) as e:
        raise ImageInputError("The canvas sent a damaged picture. Clear it (🗑) and draw again.") from e
    return decode_image(raw)


# --------------------------------------------------------------------------- stages


def ink_from_rgba(rgba: np.ndarray, border: float = PrepConfig.border) -> np.ndarray:
    """Float32 (H, W) in [0, 1]: how much each pixel differs from the background, garment bright.

    Transparent pixels count as white (the canvas). The background colour is the median of the
    outer ring; on a light background dark is ink (Fashion-MNIST's negation), on a dark one light is.
    """
    a = rgba.astype(np.float32) / 255.0
    if a.ndim == 2:
        gray = a
    else:
        rgb, alpha = a[..., :3], (a[..., 3:4] if a.shape[-1] == 4 else 1.0)
        rgb = rgb * alpha + (1.0 - alpha)  # composite over white
        gray = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R 601 luma, as PIL's "L"
    h, w = gray.shape
    b = max(1, int(round(border * min(h, w))))
    ring = np.concatenate([gray[:b].ravel(), gray[-b:].ravel(), gray[:, :b].ravel(), gray[:, -b:].ravel()])
    bg = float(np.median(ring))
    if bg >= 0.5:
        ink = (bg - gray) / max(bg, 1e-6)
    else:
        ink = (gray - bg) / max(1.0 - bg, 1e-6)
    return np.clip(ink, 0.0, 1.0).astype(np.float32)


def trim_box(ink: np.ndarray, threshold: float = PrepConfig.trim_threshold) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right), exclusive ends, of the pixels above `threshold`; None if there are none."""
    mask = ink > threshold
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if rows.size == 0:
        return None
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def fit_to_frame(crop: np.ndarray, size: int = SIZE) -> np.ndarray:
    """Float32 (size, size): `crop` (h, w) scaled so its longest edge is `size`, centred, max 1."""
    h, w = crop.shape
    edge = max(h, w)
    scale = size / edge
    # Fashion-MNIST centres the resized box with the odd pixel on the top/left (measured on the
    # training set); aim the crop's centre there, at source resolution, then resize one square.
    nh, nw = round(h * scale), round(w * scale)
    top = min(max(round(((size - nh + 1) // 2 + nh / 2) / scale - h / 2), 0), edge - h)
    left = min(max(round(((size - nw + 1) // 2 + nw / 2) / scale - w / 2), 0), edge - w)
    square = np.zeros((edge, edge), np.float32)
    square[top:top + h, left:left + w] = crop
    # Area averaging when shrinking keeps thin strokes as grey instead of dropping them.
    f = Image.Resampling.BOX if edge > size else Image.Resampling.BILINEAR
    out = np.asarray(Image.fromarray(square).resize((size, size), f))
    peak = out.max()
    # Every Fashion-MNIST image reaches 254-255: stretch so a thin pencil line is as bright as a photo.
    return np.clip(out / peak, 0.0, 1.0) if peak > 0 else out.astype(np.float32)


def to_uint8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x * 255.0), 0, 255).astype(np.uint8)


def ink_to_input(ink: np.ndarray, cfg: PrepConfig = PrepConfig()) -> np.ndarray | None:
    """uint8 (28, 28) model input from an ink map (H, W) in [0, 1]; None when nothing is above threshold.

    The one function shared by the page, the training augmentations and the evaluations.
    """
    box = trim_box(ink, cfg.trim_threshold)
    if box is None:
        return None
    t, b, l, r = box
    return to_uint8(fit_to_frame(ink[t:b, l:r]))


@dataclass
class Preprocessed:
    """Every stage from a picture to the model's input."""

    rgba: np.ndarray  # (H, W, 4) uint8, as received (photos shrunk to WORK_EDGE)
    ink: np.ndarray  # (H, W) float32 in [0, 1], garment bright on dark
    box: tuple[int, int, int, int] | None  # trim box (top, bottom, left, right)
    ink_fraction: float  # share of pixels that count as ink (above the trim threshold)
    empty: bool  # too little ink to be a drawing
    image: np.ndarray | None  # (28, 28) uint8: the exact model input; None when empty

    @property
    def cropped(self) -> np.ndarray | None:
        """The trimmed ink (h, w) float32, before scaling."""
        if self.box is None:
            return None
        t, b, l, r = self.box
        return self.ink[t:b, l:r]


def measure_ink(ink: np.ndarray, threshold: float = PrepConfig.trim_threshold) -> float:
    """Share of pixels that count as ink (above the trim threshold)."""
    return float((ink > threshold).mean()) if ink.size else 0.0


def preprocess(rgba: np.ndarray, cfg: PrepConfig = PrepConfig()) -> Preprocessed:
    """All stages for an RGBA/RGB/gray picture (H, W[, C]) of a garment on a plain background."""
    rgba = np.asarray(rgba)
    if rgba.ndim not in (2, 3) or (rgba.ndim == 3 and rgba.shape[2] not in (3, 4)):
        raise ValueError(f"expected (H, W), (H, W, 3) or (H, W, 4), got an array of shape {rgba.shape}")
    check_size(rgba.shape[1], rgba.shape[0])
    ink = ink_from_rgba(rgba, cfg.border)
    frac = measure_ink(ink, cfg.trim_threshold)
    box = trim_box(ink, cfg.trim_threshold)
    empty = box is None or frac < cfg.empty_fraction
    image = None
    if not empty:
        t, b, l, r = box
        image = to_uint8(fit_to_frame(ink[t:b, l:r]))
    return Preprocessed(rgba=rgba, ink=ink, box=box, ink_fraction=frac, empty=empty, image=image)


def is_blank_canvas(image_data: np.ndarray | None, cfg: PrepConfig = PrepConfig()) -> bool:
    """True for None (no stroke yet) or a canvas with less ink than one short line."""
    if image_data is None:
        return True
    return measure_ink(ink_from_rgba(np.asarray(image_data), cfg.border), cfg.trim_threshold) < cfg.empty_fraction


# --------------------------------------------------------------------------- rendering (tests, benches)


def render_on_canvas(image28: np.ndarray, edge: int, top: int, left: int, canvas: int = CANVAS) -> np.ndarray:
    """RGBA uint8 (canvas, canvas, 4): a Fashion-MNIST image drawn back as a photo, dark on white,
    scaled to `edge` px and placed with its top-left corner at (top, left)."""
    ink = np.asarray(Image.fromarray(image28.astype(np.float32) / 255.0)
                     .resize((edge, edge), Image.Resampling.BILINEAR))
    page = np.zeros((canvas, canvas), np.float32)
    page[top:top + edge, left:left + edge] = np.clip(ink, 0, 1)
    gray = to_uint8(1.0 - page)
    return np.dstack([gray, gray, gray, np.full_like(gray, 255)])


def rgba_to_png(rgba: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.asarray(rgba, np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def png_data_url(rgba: np.ndarray) -> str:
    """'data:image/png;base64,...' as the drawing canvas sends it."""
    return "data:image/png;base64," + base64.b64encode(rgba_to_png(rgba)).decode("ascii")
