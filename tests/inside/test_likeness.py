"""Is a new input unlike the training images? The bank's threshold and the cluster it lands in, on hand-made features."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from fmnist_core.inside import explain as ex
from fmnist_core.inside import feature_map as fmap


def bank(typical: float | None = 0.9) -> ex.FeatureBank:
    """Three unit-length training features along the first three axes of a 4-D space."""
    return ex.FeatureBank(torch.eye(3, 4), torch.tensor([0, 1, 2]), typical=typical)


def test_an_input_near_a_training_image_is_like_them():
    near = ex.likeness(bank(), torch.tensor([1.0, 0.1, 0.0, 0.0]))
    assert near.similarity == pytest.approx(1 / np.sqrt(1.01))
    assert near.typical == 0.9 and not near.unlike


def test_an_input_far_from_every_training_image_is_unlike_them():
    far = ex.likeness(bank(), np.array([0.0, 0.0, 0.0, 1.0], np.float32))  # numpy features, as the map has them
    assert far.similarity == 0.0 and far.unlike


def test_without_a_threshold_nothing_is_flagged():
    assert not ex.likeness(bank(typical=None), torch.tensor([0.0, 0.0, 0.0, 1.0])).unlike
    assert ex.unlike_training(0.5, 0.6) and not ex.unlike_training(0.6, 0.6) and not ex.unlike_training(0.1, None)


def test_the_warning_follows_the_same_rule():
    probs = np.eye(10)[3]  # sure of its answer: only the likeness can warn
    assert any("unlike the training images" in w for w in ex.warnings_for(probs, None, 0.5, 0.6))
    assert ex.warnings_for(probs, None, 0.6, 0.6) == []


def test_majority_class_of_the_nearest_map_points():
    x_ref = np.array([[1, 0], [1, 0.1], [0.9, 0.2], [0, 1], [0.1, 1]], np.float32)
    labels = np.array([4, 4, 7, 2, 2])
    assert fmap.majority_class(x_ref, labels, np.array([1.0, 0.05]), k=3) == 4
    assert fmap.majority_class(x_ref, labels, np.array([0.05, 1.0]), k=2) == 2
    assert list(fmap.nearest_points(x_ref, np.array([0.0, 1.0]), k=2)) == [3, 4]
    pos, idx = fmap.place(x_ref, x_ref * 10, np.array([0.0, 1.0]), k=2)
    assert list(idx) == [3, 4] and np.allclose(pos, (x_ref[3] + x_ref[4]) * 5)
