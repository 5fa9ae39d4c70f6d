"""TensorBoard logs read back with TensorBoard's own reader: tags and values equal the run's history."""
import io
import math
import zipfile

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing import event_accumulator as ea  # noqa: E402
from tensorboard.plugins.hparams import plugin_data_pb2  # noqa: E402

from fmnist_core.fashion.runs import RunRecord  # noqa: E402
from fmnist_core.fashion.tensorboard_log import TensorBoardLogger, run_logs_zip  # noqa: E402
from fmnist_core.fashion.train import TrainConfig, train  # noqa: E402

CFG = TrainConfig(hidden=(32, 16), epochs=3, batch_size=500, lr=3e-3, event_every=4)


def read(logdir):
    out = {}
    for split in ("train", "test"):
        acc = ea.EventAccumulator(str(logdir / split), size_guidance={
            ea.SCALARS: 0, ea.HISTOGRAMS: 0, ea.IMAGES: 0, ea.TENSORS: 0})
        acc.Reload()
        out[split] = acc
    return out


def scalars(acc, tag):
    return [(e.step, e.value) for e in acc.Scalars(tag)]


def expected(history, kinds, field):
    return [(e["step"], pytest.approx(e[field], rel=1e-6)) for e in history
            if e["kind"] in kinds and field in e and math.isfinite(e[field])]


@pytest.fixture(scope="module")
def logged(fmnist_small, tmp_path_factory):
    logdir = tmp_path_factory.mktemp("tb") / "run"
    with TensorBoardLogger(logdir, CFG, fmnist_small.test_labels) as tb:
        result = train(CFG, fmnist_small, on_event=tb, watch=tb.watch)
    return result, read(logdir)


def test_scalars_equal_the_history(logged):
    result, logs = logged
    h, tr, te = result.history, logs["train"], logs["test"]
    assert scalars(tr, "lr") == expected(h, ["progress"], "lr") and len(tr.Scalars("lr")) >= 6
    assert scalars(tr, "images_per_sec") == expected(h, ["progress"], "images_per_sec")
    assert scalars(tr, "loss") == expected(h, ["epoch"], "train_loss")
    assert scalars(tr, "accuracy") == expected(h, ["epoch"], "train_accuracy")
    assert [s for s, _ in scalars(tr, "loss")] == [12, 24, 36]  # 6,000 images / 500 per step
    # The test set is scored after epochs 1 and 2 and at the end: train and test share one x axis.
    assert scalars(te, "loss") == expected(h, ["epoch", "done"], "test_loss")
    assert scalars(te, "accuracy") == expected(h, ["epoch", "done"], "test_accuracy")
    assert scalars(te, "accuracy")[-1][1] == pytest.approx(result.test_accuracy, rel=1e-6)


def test_histograms_of_every_layer_each_epoch(logged):
    result, logs = logged
    tags = logs["train"].Tags()["histograms"]
    names = [n for n, _ in result.model.named_parameters()]
    assert sorted(tags) == sorted([f"weights/{n}" for n in names] + [f"gradients/{n}" for n in names])
    for n, p in result.model.named_parameters():
        weights = logs["train"].Histograms(f"weights/{n}")
        assert [w.step for w in weights] == [12, 24, 36, 36]  # each epoch event, and the end
        last = weights[-1].histogram_value
        assert last.num == p.numel()
        w = p.detach()
        assert last.min == pytest.approx(float(w.min()), rel=1e-5)
        assert last.max == pytest.approx(float(w.max()), rel=1e-5)
        grads = logs["train"].Histograms(f"gradients/{n}")
        assert grads[-1].histogram_value.num == p.numel() and grads[-1].histogram_value.max != 0


def test_confusion_matrix_image_at_each_evaluation(logged):
    result, logs = logged
    images = logs["test"].Images("confusion_matrix")
    assert [i.step for i in images] == [12, 24, 36]
    img = np.asarray(Image.open(io.BytesIO(images[-1].encoded_image_string)))
    assert img.shape[2] == 3 and img.shape[0] > 400 and img.shape[1] > 400
    assert (img < 128).any() and (img > 250).any()  # drawn, not blank


def test_settings_as_text_and_hparams(logged):
    _, logs = logged
    text = logs["train"].Tensors("settings/text_summary")[0].tensor_proto.string_val[0].decode()
    assert "| lr | 0.003 |" in text and "| hidden | [32, 16] |" in text
    start = logs["train"].SummaryMetadata("_hparams_/session_start_info").plugin_data.content
    info = plugin_data_pb2.HParamsPluginData.FromString(start).session_start_info
    assert info.hparams["lr"].number_value == pytest.approx(3e-3)
    assert info.hparams["hidden"].string_value == "32-16" and info.hparams["status"].string_value == "finished"
    assert scalars(logs["train"], "hparam/test_accuracy")[0][1] > 0.5


def test_diverged_run_writes_no_nan(fmnist_small, tmp_path):
    cfg = TrainConfig(hidden=(32,), epochs=2, batch_size=500, lr=1e4, optimizer="sgd", event_every=1)
    with TensorBoardLogger(tmp_path / "nan", cfg, fmnist_small.test_labels) as tb:
        result = train(cfg, fmnist_small, on_event=tb, watch=tb.watch)
    assert result.status == "diverged"
    logs = read(tmp_path / "nan")
    for split in ("train", "test"):
        for tag in logs[split].Tags()["scalars"]:
            assert all(math.isfinite(v) for _, v in scalars(logs[split], tag)), tag
    assert "hparam/test_accuracy" not in logs["train"].Tags()["scalars"]


def test_finished_run_logs_as_a_zip(logged, fmnist_small, tmp_path):
    result, _ = logged
    rec = RunRecord.from_result(result, run_id=1)
    data = run_logs_zip("run-1", rec.history, rec.config, rec.model, rec.predictions, fmnist_small.test_labels)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
        assert {n.split("/")[1] for n in names} == {"train", "test"} and {n.split("/")[0] for n in names} == {"run-1"}
        z.extractall(tmp_path)
    logs = read(tmp_path / "run-1")
    assert scalars(logs["train"], "lr") == expected(rec.history, ["progress"], "lr")
    assert scalars(logs["test"], "accuracy") == expected(rec.history, ["epoch", "done"], "test_accuracy")
    assert [w.step for w in logs["train"].Histograms("weights/net.0.weight")] == [36]  # the final model only
    assert [i.step for i in logs["test"].Images("confusion_matrix")] == [36]


@pytest.mark.browser
def test_training_page_downloads_a_runs_tensorboard_logs(app_server, page, tmp_path):
    from tests.conftest import open_page, real_console_errors, screenshot, wait_idle

    open_page(page, app_server, "training", "budget=3")
    page.get_by_role("button", name="Start training").click()
    runs_tab = page.get_by_role("tab", name="Runs, comparison & ensembles (1)")
    runs_tab.wait_for(timeout=90_000)  # the run ended and was recorded
    wait_idle(page)
    runs_tab.click()
    button = page.get_by_role("button", name="TensorBoard (zip)")
    button.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    screenshot(page, "training-runs-tensorboard-button", full_page=False)
    with page.expect_download(timeout=60_000) as dl:
        button.click()
    assert dl.value.suggested_filename == "run-1-tensorboard.zip"
    path = tmp_path / "logs.zip"
    dl.value.save_as(path)
    with zipfile.ZipFile(path) as z:
        z.extractall(tmp_path / "logs")
    logs = read(tmp_path / "logs" / "run-1")
    assert len(logs["train"].Scalars("lr")) >= 3 and logs["train"].Histograms("weights/net.0.weight")
    assert 0.5 < logs["test"].Scalars("accuracy")[-1].value <= 1
    assert logs["test"].Images("confusion_matrix")  # the test labels reached the click's thread
    assert page.locator("[data-testid='stException']").count() == 0
    assert real_console_errors(page) == []
