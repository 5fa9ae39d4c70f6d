"""The student's own points: red and blue points clicked onto the plane, added to the training set, and
kept compactly in the shareable link (3 characters a point, at most `MAX_POINTS`).

A point is 17 bits: its class and its two coordinates on a 256-step grid over [-RANGE, RANGE] (steps of
0.02), written as 3 URL-safe base64 characters. Hostile links are clamped: unknown characters are
dropped, a ragged tail is cut, points past the cap are ignored, and each correction is reported.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch

from fmnist_core.toy.data import ToyData

RANGE = 2.5
LEVELS = 256
MAX_POINTS = 60  # 180 characters: under the 200 url_state accepts for one value
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
Point = tuple[float, float, int]  # (x1, x2, label: 1 red, 0 blue)


def _level(v: float) -> int:
    return min(LEVELS - 1, max(0, round((float(v) + RANGE) / (2 * RANGE) * (LEVELS - 1))))


def _coord(level: int) -> float:
    return round(level / (LEVELS - 1) * 2 * RANGE - RANGE, 4)


def snap(x1: float, x2: float, label: int) -> Point:
    """The point as the link stores it (coordinates on the grid)."""
    return _coord(_level(x1)), _coord(_level(x2)), int(bool(label))


def encode(points: Sequence[Point]) -> str:
    out = []
    for x1, x2, label in points[:MAX_POINTS]:
        bits = (int(bool(label)) << 16) | (_level(x1) << 8) | _level(x2)
        out.append(ALPHABET[bits >> 12] + ALPHABET[(bits >> 6) & 63] + ALPHABET[bits & 63])
    return "".join(out)


def decode(text: str) -> tuple[list[Point], str | None]:
    """(points, a note on what was corrected, worded to follow "the link was ...", or None); never raises."""
    text = str(text)
    clean = "".join(c for c in text if c in _INDEX)
    notes = ["partly not points (other characters dropped)"] if len(clean) != len(text) else []
    if len(clean) % 3:
        clean = clean[: len(clean) - len(clean) % 3]
        notes.append("cut short inside a point")
    points = []
    for i in range(0, len(clean), 3):
        bits = (_INDEX[clean[i]] << 12) | (_INDEX[clean[i + 1]] << 6) | _INDEX[clean[i + 2]]
        if bits >> 17:  # a class beyond red and blue: not a point this page wrote
            notes.append("holding points that are neither red nor blue")
            continue
        points.append((_coord((bits >> 8) & 255), _coord(bits & 255), bits >> 16))
    if len(points) > MAX_POINTS:
        points = points[:MAX_POINTS]
        notes.append(f"longer than {MAX_POINTS} points")
    return points, "; ".join(dict.fromkeys(notes)) or None


@dataclass(frozen=True)
class PointsField:
    """A url_state field for the points: the value is the canonical encoded string."""

    default: str = ""

    def parse(self, raw: str) -> tuple[str, str | None]:
        points, note = decode(raw)
        return encode(points), note

    def dump(self, v) -> str:
        return str(v)


def add(points: Sequence[Point], x1: float, x2: float, label: int) -> tuple[list[Point], bool]:
    """(points with one more, snapped to the grid; False when the cap is reached or it is off the plane)."""
    if len(points) >= MAX_POINTS or not (abs(x1) <= RANGE and abs(x2) <= RANGE):
        return list(points), False
    return [*points, snap(x1, x2, label)], True


def remove_near(points: Sequence[Point], x1: float, x2: float, radius: float = 0.2) -> tuple[list[Point], bool]:
    """(points without the one nearest (x1, x2) if it lies within `radius`; whether one was removed)."""
    if not points:
        return [], False
    d = [(p[0] - x1) ** 2 + (p[1] - x2) ** 2 for p in points]
    i = min(range(len(points)), key=d.__getitem__)
    if d[i] > radius ** 2:
        return list(points), False
    return [p for j, p in enumerate(points) if j != i], True


def clicked(text: str, x1: float, x2: float, mode: str) -> tuple[str, bool]:
    """The link's points after a click at (x1, x2): mode "red" or "blue" adds one there, "remove" takes the
    nearest away; (the new text, whether it changed: not when the cap is reached or nothing is near)."""
    points, _ = decode(text)
    if mode == "remove":
        points, changed = remove_near(points, x1, x2)
    else:
        points, changed = add(points, x1, x2, int(mode == "red"))
    return (encode(points), True) if changed else (text, False)


def _tensors(points: Sequence[Point]) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.tensor([[p[0], p[1]] for p in points], dtype=torch.float32).reshape(-1, 2)
    y = torch.tensor([float(p[2]) for p in points], dtype=torch.float32)
    return x, y


def with_points(data: ToyData, points: Sequence[Point]) -> ToyData:
    """`data` with the points added to its training set (the test set is unchanged)."""
    if not points:
        return data
    x, y = _tensors(points)
    x, y = x.to(data.x_train.device), y.to(data.y_train.device)
    return ToyData(data.name, torch.cat([data.x_train, x]), torch.cat([data.y_train, y]), data.x_test, data.y_test,
                   data.extent, data.noise, data.seed)


def own_dataset(points: Sequence[Point], extent: float = 2.0) -> ToyData:
    """Only the student's points, all for training (there is no test set)."""
    x, y = _tensors(points)
    return ToyData("own", x, y, torch.zeros(0, 2), torch.zeros(0), extent, 0.0, 0)
