"""What the initialization lab trains on: `DiagData` (Fashion-MNIST or a toy 2D set, as the network
sees it) and the one training step the comparison and the symmetry run share.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from fmnist_core.engine.loop import Loop
from fmnist_core.fashion.train import data_normalization
from fmnist_core.toy.data import DATASETS, make_dataset


@dataclass(frozen=True)
class DiagData:
    """Inputs as the network sees them: float (N, D) after `prep`, class labels (N,)."""

    name: str
    x_train: torch.Tensor  # raw: uint8 images or float points
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    n_classes: int
    in_features: int
    prep: Callable[[torch.Tensor], torch.Tensor] = field(repr=False)

    def batch(self, n: int = 512, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        """A fixed random batch of training inputs (float (n, D)) and labels."""
        g = torch.Generator().manual_seed(seed)
        idx = torch.randperm(len(self.y_train), generator=g)[:n].to(self.y_train.device)
        return self.prep(self.x_train[idx]), self.y_train[idx]


def fashion_data(data) -> DiagData:
    """Fashion-MNIST, standardized with the training set's mean and std, flattened to 784."""
    shift, scale = data_normalization(data, "standard")
    prep = lambda raw: ((raw.float() - shift) / scale).flatten(1)  # (N, 784)
    return DiagData("fashion", data.train_images, data.train_labels, data.test_images, data.test_labels,
                    10, 784, prep)


def toy_names() -> list[str]:
    return list(DATASETS)


def toy_data(name: str = "spiral", n: int = 1000, noise: float = 0.1, seed: int = 0) -> DiagData:
    """A two-class toy 2D set (fmnist_core.toy.data), half of it for testing."""
    d = make_dataset(name, n=n, noise=noise, test_fraction=0.5, seed=seed)
    return DiagData(name, d.x_train, d.y_train.long(), d.x_test, d.y_test.long(), 2, 2, lambda raw: raw.float())


@torch.no_grad()
def start_loss(model: nn.Module, data: DiagData, seed: int = 0) -> float:
    """Cross-entropy of the untrained `model` on a fixed batch of up to 512 inputs (a curve's step 0)."""
    x, y = data.batch(min(512, len(data.y_train)), seed)
    return F.cross_entropy(model(x), y).item()


def train_step(model: nn.Module, opt: torch.optim.Optimizer, data: DiagData, batch_size: int,
               gen: torch.Generator, loop: Loop) -> torch.Tensor | None:
    """One step on a random batch drawn with `gen`: the loss, or None when it diverged (then nothing
    is updated: the check comes before `opt.step()`, as loop.py says)."""
    idx = torch.randint(0, len(data.y_train), (batch_size,), generator=gen).to(data.y_train.device)
    loss = F.cross_entropy(model(data.prep(data.x_train[idx])), data.y_train[idx])
    opt.zero_grad(set_to_none=True)
    loss.backward()
    if not loop.after_step(loss):
        return None
    opt.step()
    return loss
