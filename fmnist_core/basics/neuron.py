"""One neuron by hand: a weighted sum of inputs, compared with a threshold, through an activation.

The lecture's worked example: "does the patient have flu?" with inputs stomach ache, fever, cough
(1 = yes), weights -1, 3, 3 and threshold 5. (1, 0, 1): -1 + 0 + 3 = 2 < 5, no flu;
(0, 1, 1): 0 + 3 + 3 = 6 >= 5, flu.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Sequence

import torch

from fmnist_core.nn.activations import make_activation

NEURON_ACTIVATIONS = ("step", "sigmoid", "tanh", "relu")


@dataclass(frozen=True)
class NeuronExample:
    question: str
    inputs: tuple[str, ...]
    weights: tuple[float, ...]
    threshold: float
    yes: str = "yes"
    no: str = "no"


FLU = NeuronExample("Does the patient have flu?", ("stomach ache", "fever", "cough"),
                    (-1.0, 3.0, 3.0), 5.0, yes="flu", no="no flu")


@dataclass(frozen=True)
class NeuronResult:
    inputs: tuple[float, ...]
    weights: tuple[float, ...]
    terms: tuple[float, ...]  # w_i * x_i
    total: float  # sum of the terms
    threshold: float
    z: float  # total - threshold: what the activation sees (the bias is -threshold)
    outputs: dict[str, float]  # activation name -> f(z)

    @property
    def fires(self) -> bool:
        """The step's answer: the sum reaches the threshold."""
        return self.total >= self.threshold


def activate(name: str, z: float) -> float:
    """f(z) for one number, through the same registry modules the networks use."""
    with torch.no_grad():
        return float(make_activation(name, 1)(torch.tensor([[z]], dtype=torch.float64))[0, 0])


def compute_neuron(inputs: Sequence[float], weights: Sequence[float], threshold: float,
                   activations: Sequence[str] = NEURON_ACTIVATIONS) -> NeuronResult:
    """Weighted sum term by term, then each activation of z = sum - threshold."""
    if len(inputs) != len(weights):
        raise ValueError(f"{len(inputs)} inputs but {len(weights)} weights: give one weight per input")
    values = [float(v) for v in (*inputs, *weights, threshold)]
    if not all(math.isfinite(v) for v in values):
        raise ValueError("inputs, weights and threshold must be finite numbers")
    x = tuple(float(v) for v in inputs)
    w = tuple(float(v) for v in weights)
    terms = tuple(wi * xi for wi, xi in zip(w, x))
    total = sum(terms)
    z = total - float(threshold)
    return NeuronResult(x, w, terms, total, float(threshold), z, {a: activate(a, z) for a in activations})


def _num(v: float) -> str:
    return f"{v:g}" if v >= 0 else f"({v:g})"


def sum_latex(result: NeuronResult) -> str:
    """The weighted sum term by term, one step per line, as LaTeX:
    w_1 x_1 + ... = (-1)·1 + 3·0 + 3·1 = 2."""
    n = len(result.inputs)
    symbolic = " + ".join(f"w_{i + 1} x_{i + 1}" for i in range(n))
    numeric = " + ".join(f"{_num(w)}\\cdot{x:g}" for w, x in zip(result.weights, result.inputs))
    return (f"\\begin{{aligned}}\\text{{sum}} &= {symbolic}\\\\ &= {numeric}\\\\ "
            f"&= {result.total:g}\\end{{aligned}}")


def truth_table(example: NeuronExample = FLU, weights: Sequence[float] | None = None,
                threshold: float | None = None, activations: Sequence[str] = NEURON_ACTIVATIONS) -> list[dict]:
    """Every 0/1 input combination with its sum and outputs: the step's hard 0/1 next to sigmoid's probability."""
    w = tuple(weights) if weights is not None else example.weights
    th = example.threshold if threshold is None else threshold
    rows = []
    for x in itertools.product((0, 1), repeat=len(example.inputs)):
        r = compute_neuron(x, w, th, activations)
        row = {name: xi for name, xi in zip(example.inputs, x)}
        row.update({"sum": r.total, "z = sum - threshold": r.z})
        row.update({a: r.outputs[a] for a in activations})
        row["answer"] = example.yes if r.fires else example.no
        rows.append(row)
    return rows
