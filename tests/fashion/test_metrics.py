import numpy as np
import pytest
from sklearn import metrics as skm

from fmnist_core.fashion import metrics


@pytest.fixture
def preds():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, 5000)
    p = np.where(rng.random(5000) < 0.7, y, rng.integers(0, 10, 5000))
    return y, p


def test_confusion_matrix_equals_sklearn(preds):
    y, p = preds
    cm = metrics.confusion_matrix(y, p)
    np.testing.assert_array_equal(cm, skm.confusion_matrix(y, p, labels=range(10)))
    assert cm.sum() == len(y)


def test_confusion_matrix_with_absent_classes_equals_sklearn():
    y, p = np.array([0, 0, 3, 3, 9]), np.array([0, 3, 3, 3, 0])
    np.testing.assert_array_equal(metrics.confusion_matrix(y, p), skm.confusion_matrix(y, p, labels=range(10)))


def test_confusion_matrix_of_a_real_model(fmnist):
    """On the real test labels and a real (untrained) model's predictions, too."""
    import torch

    from fmnist_core.fashion.dataset import normalize
    from fmnist_core.nn.models import build_model

    torch.manual_seed(0)
    with torch.no_grad():
        pred = build_model("mlp")(normalize(fmnist.test_images, 72.9, 90.0)).argmax(1).numpy()
    y = fmnist.test_labels.numpy()
    np.testing.assert_array_equal(metrics.confusion_matrix(y, pred), skm.confusion_matrix(y, pred, labels=range(10)))


def test_confusion_matrix_refuses_mismatched_lengths():
    with pytest.raises(ValueError, match="3 labels but 2 predictions"):
        metrics.confusion_matrix([1, 2, 3], [1, 2])


def test_row_normalize_equals_sklearn_normalize_true(preds):
    y, p = preds
    np.testing.assert_allclose(metrics.row_normalize(metrics.confusion_matrix(y, p)),
                               skm.confusion_matrix(y, p, labels=range(10), normalize="true"))


def test_row_normalize_keeps_empty_rows_at_zero():
    cm = np.array([[2, 2], [0, 0]])
    np.testing.assert_array_equal(metrics.row_normalize(cm), [[0.5, 0.5], [0.0, 0.0]])


def test_precision_recall_equal_sklearn(preds):
    y, p = preds
    precision, recall = metrics.precision_recall(metrics.confusion_matrix(y, p))
    np.testing.assert_allclose(precision, skm.precision_score(y, p, average=None, labels=range(10)))
    np.testing.assert_allclose(recall, skm.recall_score(y, p, average=None, labels=range(10)))


def test_precision_of_a_never_predicted_class_is_zero():
    precision, recall = metrics.precision_recall(metrics.confusion_matrix([0, 1, 1], [0, 0, 0], 2))
    np.testing.assert_allclose(precision, [1 / 3, 0.0])
    np.testing.assert_allclose(recall, [1.0, 0.0])


def test_cell_indices_are_the_examples_of_that_cell(preds):
    y, p = preds
    cm = metrics.confusion_matrix(y, p)
    idx = metrics.cell_indices(y, p, 6, 0)
    assert len(idx) == cm[6, 0] and np.all(y[idx] == 6) and np.all(p[idx] == 0)
    assert list(metrics.cell_indices(y, p, 6, 0, limit=3)) == list(idx[:3])


def test_most_confident_mistakes_orders_wrong_answers_by_confidence():
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.05, 0.95], [0.7, 0.3]])
    labels = np.array([0, 0, 1, 0, 1])  # wrong: rows 1 (0.8), 2 (0.6), 3 (0.95), 4 (0.7)
    assert list(metrics.most_confident_mistakes(probs, labels, k=3)) == [3, 1, 4]
    assert list(metrics.most_confident_mistakes(probs, np.argmax(probs, 1))) == []


def test_ema_smooth_matches_tensorboard():
    # TensorBoard: last = last*w + (1-w)*v; smoothed = last / (1 - w**n)  (debiased).
    v = [1.0, 2.0, 3.0, 10.0]
    w = 0.5
    expected, last = [], 0.0
    for n, x in enumerate(v, 1):
        last = last * w + (1 - w) * x
        expected.append(last / (1 - w ** n))
    np.testing.assert_allclose(metrics.ema_smooth(v, w), expected)
    np.testing.assert_allclose(metrics.ema_smooth(v, 0.0), v)
    np.testing.assert_allclose(metrics.ema_smooth([4.0] * 5, 0.9), [4.0] * 5)  # debiased: no pull toward 0


def test_ema_smooth_passes_nan_through():
    out = metrics.ema_smooth([1.0, float("nan"), 1.0], 0.6)
    assert np.isnan(out[1]) and out[0] == 1.0 and out[2] == pytest.approx(1.0)
    with pytest.raises(ValueError):
        metrics.ema_smooth([1.0], 1.0)


def test_thin_keeps_ends_and_caps_points():
    idx = metrics.thin(10_000, 500)
    assert len(idx) <= 500 and idx[0] == 0 and idx[-1] == 9_999 and np.all(np.diff(idx) > 0)
    assert list(metrics.thin(5, 500)) == [0, 1, 2, 3, 4]


def test_ensemble_averages_member_probabilities():
    labels = np.array([0, 1, 2])
    a = np.array([[0.6, 0.4, 0.0], [0.6, 0.4, 0.0], [0.0, 0.0, 1.0]])  # wrong on row 1
    b = np.array([[0.55, 0.45, 0.0], [0.0, 1.0, 0.0], [0.5, 0.0, 0.5]])  # wrong on row 2 (a tie goes to class 0)
    ens = metrics.ensemble([a, b], labels)
    np.testing.assert_allclose(ens["probabilities"], (a + b) / 2)
    assert ens["accuracy"] == pytest.approx(1.0)  # the average fixes both members' mistakes
    assert ens["member_accuracies"] == pytest.approx([2 / 3, 2 / 3])
    np.testing.assert_array_equal(ens["confusion"], skm.confusion_matrix(labels, [0, 1, 2], labels=range(3)))
    with pytest.raises(ValueError, match="at least two"):
        metrics.ensemble([a], labels)
    with pytest.raises(ValueError, match="disagree"):
        metrics.ensemble([a, b[:2]], labels)
