"""Models for 28x28 garments: a configurable MLP (the classic 784-256-128-64-10) and two CNNs.

"cnn_v1" is the first small CNN (the bundled assets/cnn.pt; "cnn" in checkpoints written before
"cnn_v2"), "cnn_v2" the faster one of RECIPES["cnn"]: three strided conv blocks and one linear layer.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from fmnist_core.nn.activations import make_activation

CLASSIC_HIDDEN = (256, 128, 64)


class MLP(nn.Module):
    """Logits (N, out) for images (N, 1, 28, 28) or flat inputs (N, in_features).

    `batchnorm`: each hidden layer is Linear -> BatchNorm1d -> activation (off in the classic MLP).
    """

    def __init__(
        self,
        hidden: Sequence[int] = CLASSIC_HIDDEN,
        activation: str = "relu",
        dropout: float = 0.2,
        in_features: int = 784,
        out_features: int = 10,
        activation_params: dict | None = None,
        batchnorm: bool = False,
    ):
        super().__init__()
        layers: list[nn.Module] = []
        width = in_features
        for h in hidden:
            layers.append(nn.Linear(width, h, bias=not batchnorm))  # BN's shift replaces the bias
            if batchnorm:
                layers.append(nn.BatchNorm1d(h))
            layers.append(make_activation(activation, h, **(activation_params or {})))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = h
        layers.append(nn.Linear(width, out_features))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.flatten(1))  # (N, 784) -> (N, out)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The last hidden layer's output (N, hidden[-1]), the model's own feature space."""
        return self.net[:-1](x.flatten(1))


class CNN(nn.Module):
    """Two conv blocks (conv3x3 + BN + activation + 2x2 max-pool), then 3136 -> 100 -> 10. 334k parameters."""

    def __init__(
        self,
        channels: Sequence[int] = (32, 64),
        fc: int = 100,
        activation: str = "relu",
        dropout: float = 0.25,
        activation_params: dict | None = None,
    ):
        super().__init__()
        blocks: list[nn.Module] = []
        c_in, size = 1, 28
        for c in channels:
            blocks += [
                nn.Conv2d(c_in, c, 3, padding=1, bias=False),
                nn.BatchNorm2d(c),
                make_activation(activation, c, **(activation_params or {})),
                nn.MaxPool2d(2),
            ]
            c_in, size = c, size // 2
        self.conv = nn.Sequential(*blocks)
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout) if dropout > 0 else nn.Identity(),
            nn.Linear(c_in * size * size, fc),
            make_activation(activation, fc, **(activation_params or {})),
            nn.Dropout(dropout) if dropout > 0 else nn.Identity(),
        )
        self.out = nn.Linear(fc, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.head(self.conv(x)))  # (N, 1, 28, 28) -> (N, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The penultimate layer (N, fc)."""
        return self.head(self.conv(x))


class FastCNN(nn.Module):
    """Blocks conv3x3 with stride 2 -> BN -> activation (28 -> 14 -> 7 -> 4), then one linear layer.

    Striding in the convolutions (no pooling layers, no dense hidden layer) made a training step
    about 3x cheaper on a CPU than cnn_v1's conv + max-pool at full resolution, at a similar accuracy
    per epoch. Logits are scaled down (`logit_scale`), as airbench does.
    """

    def __init__(
        self,
        channels: Sequence[int] = (32, 64, 128),
        activation: str = "relu",
        dropout: float = 0.0,
        activation_params: dict | None = None,
        logit_scale: float = 1 / 8,
        batchnorm: bool = True,
    ):
        super().__init__()
        blocks: list[nn.Module] = []
        c_in, size = 1, 28
        for c in channels:
            blocks += [
                nn.Conv2d(c_in, c, 3, stride=2, padding=1, bias=not batchnorm),
                nn.BatchNorm2d(c) if batchnorm else nn.Identity(),
                make_activation(activation, c, **(activation_params or {})),
            ]
            c_in, size = c, (size + 1) // 2
        self.conv = nn.Sequential(*blocks)
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(dropout) if dropout > 0 else nn.Identity())
        self.out = nn.Linear(c_in * size * size, 10, bias=False)
        self.logit_scale = logit_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.head(self.conv(x))) * self.logit_scale  # (N, 1, 28, 28) -> (N, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The flattened last block (N, channels[-1] * 4 * 4) for three blocks."""
        return self.head(self.conv(x))


MODEL_KINDS = ("mlp", "cnn_v1", "cnn_v2")
ALIASES = {"cnn": "cnn_v1"}  # checkpoints and configs written before cnn_v2 say "cnn"


def is_cnn(kind: str) -> bool:
    return ALIASES.get(kind, kind) in ("cnn_v1", "cnn_v2")


def build_model(
    kind: str = "mlp",
    hidden: Sequence[int] = CLASSIC_HIDDEN,
    activation: str = "relu",
    dropout: float = 0.2,
    activation_params: dict | None = None,
    batchnorm: bool | None = None,
) -> nn.Module:
    """`hidden` is the MLP's hidden sizes; for "cnn_v2" the channels of its conv blocks.

    `batchnorm`: None keeps the model's own (the MLP without, the CNNs with); cnn_v1 always has it.
    """
    kind = ALIASES.get(kind, kind)
    if kind == "mlp":
        return MLP(hidden, activation, dropout, activation_params=activation_params, batchnorm=bool(batchnorm))
    if kind == "cnn_v1":
        return CNN(activation=activation, dropout=dropout, activation_params=activation_params)
    if kind == "cnn_v2":
        return FastCNN(hidden, activation, dropout, activation_params=activation_params,
                       batchnorm=True if batchnorm is None else batchnorm)
    raise ValueError(f"unknown model {kind!r}; choose from {', '.join(MODEL_KINDS)}")


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
