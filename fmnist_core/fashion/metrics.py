"""Classification metrics for the 10 garment classes: confusion matrix, precision/recall, mistakes,
TensorBoard-style smoothing and probability-averaging ensembles. Plain numpy, no plotting.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

NUM_CLASSES = 10


def confusion_matrix(y_true, y_pred, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """Counts (C, C): row = true class, column = predicted class (scikit-learn's layout)."""
    t = np.asarray(y_true, dtype=np.int64).ravel()
    p = np.asarray(y_pred, dtype=np.int64).ravel()
    if t.shape != p.shape:
        raise ValueError(f"{len(t)} labels but {len(p)} predictions")
    return np.bincount(t * num_classes + p, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def row_normalize(cm: np.ndarray) -> np.ndarray:
    """Each row divided by its total (the share of a true class going to each prediction); empty rows stay 0."""
    cm = np.asarray(cm, dtype=np.float64)
    totals = cm.sum(axis=1, keepdims=True)
    return np.divide(cm, totals, out=np.zeros_like(cm), where=totals > 0)


def accuracy(y_true, y_pred) -> float:
    t, p = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    return float((t == p).mean()) if len(t) else float("nan")


def precision_recall(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-class precision (C,) = diagonal / column total, recall (C,) = diagonal / row total (0 when undefined)."""
    cm = np.asarray(cm, dtype=np.float64)
    tp = np.diag(cm)
    predicted, actual = cm.sum(axis=0), cm.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    return precision, recall


def cell_indices(y_true, y_pred, true_class: int, pred_class: int, limit: int | None = None) -> np.ndarray:
    """Indices of the examples in confusion-matrix cell (true_class, pred_class), in dataset order."""
    t, p = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    idx = np.flatnonzero((t == true_class) & (p == pred_class))
    return idx[:limit] if limit is not None else idx


def most_confident_mistakes(probabilities: np.ndarray, labels, k: int = 16) -> np.ndarray:
    """Indices (<= k,) of wrong predictions, most confident first (confidence = probability of the predicted class)."""
    probs = np.asarray(probabilities)
    y = np.asarray(labels).ravel()
    pred = probs.argmax(1)
    conf = probs[np.arange(len(pred)), pred]
    wrong = np.flatnonzero(pred != y)
    order = np.argsort(-conf[wrong], kind="stable")
    return wrong[order[:k]]


def ema_smooth(values: Sequence[float], weight: float) -> np.ndarray:
    """TensorBoard's scalar smoothing: a debiased exponential moving average (weight 0 = raw, 0.99 = very smooth).

    Non-finite values pass through unchanged and do not disturb the average.
    """
    v = np.asarray(values, dtype=np.float64)
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"smoothing weight must be in [0, 1), got {weight}")
    out = np.empty_like(v)
    last, n = 0.0, 0
    for i, x in enumerate(v):
        if not np.isfinite(x):
            out[i] = x
            continue
        last = last * weight + (1 - weight) * x
        n += 1
        out[i] = last / (1 - weight ** n)  # without debiasing, the first points would be pulled toward 0
    return out


def thin(n: int, max_points: int = 500) -> np.ndarray:
    """At most `max_points` evenly spread indices into range(n), always keeping the first and the last."""
    if n <= max_points:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, max_points).round().astype(np.int64))


def ensemble(member_probabilities: Sequence[np.ndarray], labels) -> dict:
    """Average the members' probabilities (N, C): the ensemble's probabilities, predictions, accuracy and
    confusion matrix, next to each member's accuracy."""
    if len(member_probabilities) < 2:
        raise ValueError("an ensemble needs at least two members")
    probs = [np.asarray(p, dtype=np.float64) for p in member_probabilities]
    shapes = {p.shape for p in probs}
    if len(shapes) != 1:
        raise ValueError(f"members disagree on the shape of their probabilities: {sorted(shapes)}")
    y = np.asarray(labels).ravel()
    mean = np.mean(probs, axis=0)  # (N, C)
    pred = mean.argmax(1)
    return {
        "probabilities": mean,
        "predictions": pred,
        "accuracy": accuracy(y, pred),
        "confusion": confusion_matrix(y, pred, mean.shape[1]),
        "member_accuracies": [accuracy(y, p.argmax(1)) for p in probs],
    }
