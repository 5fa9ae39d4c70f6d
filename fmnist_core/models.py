"""Models for 28x28 garments: a configurable MLP (the classic 784-256-128-64-10) and a small CNN."""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from .activations import make_activation

CLASSIC_HIDDEN = (256, 128, 64)


class MLP(nn.Module):
    """Logits (N, out) for images (N, 1, 28, 28) or flat inputs (N, in_features)."""

    def __init__(
        self,
        hidden: Sequence[int] = CLASSIC_HIDDEN,
        activation: str = "relu",
        dropout: float = 0.2,
        in_features: int = 784,
        out_features: int = 10,
        activation_params: dict | None = None,
    ):
        super().__init__()
        layers: list[nn.Module] = []
        width = in_features
        for h in hidden:
            layers += [nn.Linear(width, h), make_activation(activation, h, **(activation_params or {}))]
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


def build_model(
    kind: str = "mlp",
    hidden: Sequence[int] = CLASSIC_HIDDEN,
    activation: str = "relu",
    dropout: float = 0.2,
    activation_params: dict | None = None,
) -> nn.Module:
    if kind == "mlp":
        return MLP(hidden, activation, dropout, activation_params=activation_params)
    if kind == "cnn":
        return CNN(activation=activation, dropout=dropout, activation_params=activation_params)
    raise ValueError(f"unknown model {kind!r}; choose 'mlp' or 'cnn'")


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
