import numpy as np
import pytest
import torch
import torch.nn.functional as F

from fmnist_core.basics.class_scores import class_scores, logits
from fmnist_core.nn.models import build_model

NORM = (72.9, 90.0)  # any (shift, scale): the function must apply the checkpoint's own


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return build_model("mlp", (32, 16), "relu", 0.2).eval()


@pytest.fixture(scope="module")
def image():
    return torch.randint(0, 256, (28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))


def test_logits_are_the_models_output_on_the_normalized_image(model, image):
    z = logits(model, NORM, image)
    expected = model(((image.float() - NORM[0]) / NORM[1])[None, None]).detach()[0].double().numpy()
    assert z.shape == (10,) and z.dtype == np.float64
    np.testing.assert_allclose(z, expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(z, logits(model, NORM, image))  # eval mode: dropout off, same every call


@pytest.mark.parametrize("temperature", [0.1, 0.5, 1.0, 5.0])
def test_softmax_at_a_temperature_and_the_one_hot_target(model, image, temperature):
    s = class_scores(model, NORM, image, label=2, temperature=temperature)
    z = torch.tensor(s.logits)
    np.testing.assert_allclose(s.soft.probs, torch.softmax(z / temperature, 0).numpy(), atol=1e-12)
    np.testing.assert_allclose(s.soft_t1.probs, torch.softmax(z, 0).numpy(), atol=1e-12)
    assert s.label == 2 and list(s.target) == [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    assert s.soft.prediction == s.soft_t1.prediction == int(z.argmax())  # T never changes the prediction
    ce = F.cross_entropy(z[None], torch.tensor([2])).item()
    assert s.soft_t1.cross_entropy(2) == pytest.approx(ce, rel=1e-9)
