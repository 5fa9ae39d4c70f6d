import csv
import io

import numpy as np
import pytest
import torch

from fmnist_core.engine.device import fast_bf16
from fmnist_core.fashion import metrics
from fmnist_core.fashion.checkpoint import load_checkpoint
from fmnist_core.engine.events import EventReader
from fmnist_core.engine.jobs import JobManager
from fmnist_core.fashion.runs import (HISTORY_COLUMNS, RunFeed, RunRecord, history_csv, history_series, list_saved_runs,
                              parse_hidden_sizes, runs_dir, save_run)
from fmnist_core.fashion.train import RECIPES, data_normalization, evaluate, train

FAST = RECIPES["mlp"].with_(epochs=3, event_every=2, hidden=(64, 32))


@pytest.fixture(scope="module")
def two_runs(fmnist_small):
    """Two real runs on the 6k/1k subset, different seeds."""
    return [RunRecord.from_result(train(FAST.with_(seed=s), fmnist_small), run_id=i + 1)
            for i, s in enumerate((0, 1))]


def test_record_keeps_settings_history_and_probabilities(two_runs, fmnist_small):
    rec = two_runs[0]
    assert rec.config.seed == 0 and rec.status == "finished" and rec.name.startswith("#1 MLP 64-32")
    assert rec.probabilities.shape == (1000, 10) and rec.probabilities.dtype == np.float32
    np.testing.assert_allclose(rec.probabilities.sum(1), 1.0, atol=1e-5)
    assert rec.test_accuracy == pytest.approx(metrics.accuracy(fmnist_small.test_labels.numpy(), rec.predictions))
    assert rec.test_accuracy > 0.5  # it learned something in 3 epochs on 6k images
    assert not any(isinstance(v, np.ndarray) for ev in rec.history for v in ev.values())
    s = history_series(rec.history)
    assert len(s["test_epoch"]) == 3  # epochs 1, 2 evaluated in the loop, the final network at the end
    assert s["train_loss"][-1] < s["train_loss"][0]
    row = rec.summary_row()
    assert row["optimizer"] == "adam" and row["model"] == "MLP 64-32" and row["stop"] == "3 epochs"


def test_history_csv_has_one_row_per_event(two_runs):
    rec = two_runs[0]
    rows = list(csv.DictReader(io.StringIO(history_csv(rec.history))))
    assert tuple(rows[0].keys()) == HISTORY_COLUMNS
    assert len(rows) == len(rec.history)
    progress = [r for r in rows if r["kind"] == "progress"]
    assert progress and all(float(r["train_loss"]) > 0 for r in progress)
    done = rows[-1]
    assert done["kind"] == "done" and done["status"] == "finished"
    assert float(done["test_accuracy"]) == pytest.approx(rec.test_accuracy, abs=1e-5)


def test_saved_run_is_listed_and_reproduces_its_probabilities(two_runs, fmnist_small, tmp_path, monkeypatch):
    monkeypatch.setenv("FMNIST_RUNS_DIR", str(tmp_path))
    assert runs_dir() == tmp_path
    rec = two_runs[1]
    path = save_run(rec)
    path2 = save_run(rec)  # saving twice never overwrites
    assert path.parent == tmp_path and path2 != path and rec.saved_path == str(path2)
    listed = list_saved_runs()
    assert {r["file"] for r in listed} == {path.name, path2.name}
    row = next(r for r in listed if r["file"] == path.name)
    assert row["architecture"] == "mlp" and row["hidden"] == [64, 32] and row["name"] == rec.name
    assert row["test_accuracy"] == pytest.approx(rec.test_accuracy)
    model, meta = load_checkpoint(path)
    norm = data_normalization(fmnist_small, meta["normalization_mode"])
    ev = evaluate(model, fmnist_small.test_images, fmnist_small.test_labels, norm, amp=fast_bf16("cpu"))  # as trained
    np.testing.assert_allclose(ev["probabilities"], rec.probabilities, atol=1e-5)


def test_list_saved_runs_survives_junk(tmp_path):
    assert list_saved_runs(tmp_path / "missing") == []
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    (rows,) = list_saved_runs(tmp_path)
    assert rows["file"] == "junk.pt" and "not a readable" in rows["error"]


def test_a_run_without_a_usable_model_is_not_saved(two_runs, tmp_path):
    rec = two_runs[0]
    diverged = RunRecord(run_id=9, name="#9", config=rec.config, status="diverged", message="loss became NaN",
                         test_accuracy=float("nan"), test_loss=float("nan"), train_seconds=1.0, epochs=0.5,
                         steps=3, device="cpu", probabilities=None, model=rec.model)
    with pytest.raises(ValueError, match="no usable model"):
        save_run(diverged, tmp_path)
    assert not diverged.can_ensemble and diverged.summary_row()["test accuracy"] is None


def test_ensemble_accuracy_from_members_saved_probabilities(two_runs, fmnist_small):
    labels = fmnist_small.test_labels.numpy()
    ens = metrics.ensemble([r.probabilities for r in two_runs], labels)
    mean = (two_runs[0].probabilities.astype(np.float64) + two_runs[1].probabilities) / 2
    assert ens["accuracy"] == pytest.approx((mean.argmax(1) == labels).mean())
    assert ens["member_accuracies"] == pytest.approx([r.test_accuracy for r in two_runs], abs=1e-6)
    assert ens["confusion"].sum() == 1000 and np.trace(ens["confusion"]) == round(ens["accuracy"] * 1000)
    # Two seeds disagree on some images, so averaging changes some answers.
    assert (two_runs[0].predictions != two_runs[1].predictions).any()


def test_live_run_folds_a_real_jobs_events(fmnist_small):
    manager = JobManager(max_running=1, heartbeat_timeout=None)
    job = manager.submit("test", "train", lambda j: train(FAST, fmnist_small, on_event=j.emit, control=j.control))
    lv, polls = RunFeed(job.id), 0
    while job.active:
        lv.update(job.events(lv.n))
        polls += 1
        job.wait(0.05)
    lv.update(job.events(lv.n))
    assert lv.n == job.n_events and lv.done["status"] == "finished"
    assert lv.n_evals == 3 and lv.predictions.shape == (1000,)
    np.testing.assert_array_equal(lv.predictions, job.result.predictions)
    got, want = lv.series(), history_series(job.result.history)
    for k in want:
        np.testing.assert_allclose(got[k], want[k])
    assert len(lv.test_points) == 3 and lv.update([]) is False


def test_run_feed_is_the_event_reader_with_the_pages_extras():
    preds = np.arange(5)
    evs = [{"kind": "progress", "step": 2, "epoch": 0.5, "elapsed": 0.1, "train_loss": 2.0, "train_accuracy": 0.2},
           {"kind": "epoch", "step": 4, "epoch": 1.0, "elapsed": 0.2, "train_loss": 1.5, "train_accuracy": 0.4,
            "test_loss": 1.4, "test_accuracy": 0.5, "predictions": preds, "probabilities": np.ones((5, 10)) / 10},
           {"kind": "progress", "step": 6, "epoch": 1.5, "elapsed": 0.3, "train_loss": 1.2, "train_accuracy": 0.6}]
    feed = RunFeed(7)
    assert isinstance(feed, EventReader) and feed.job_id == 7 and feed.series()["train_loss"].shape == (0,)
    assert feed.update(evs[:2], now=10.0) and feed.last_seen == 10.0
    assert feed.n_evals == 1 and feed.predictions is preds and feed.eval_epoch == 1.0
    feed.update(evs[2:], now=11.0)
    assert feed.last_progress["step"] == 6 and feed.last_epoch["step"] == 4 and feed.done is None
    assert [p["test_accuracy"] for p in feed.test_points] == [0.5] and "predictions" not in feed.test_points[0]
    assert feed.run(0).column("progress", "train_loss").tolist() == [2.0, 1.2]
    assert feed.update([{"kind": "done", "step": 6, "epoch": 1.5, "elapsed": 0.4, "status": "diverged",
                         "test_loss": float("nan"), "test_accuracy": float("nan")}])
    assert feed.done["status"] == "diverged" and len(feed.test_points) == 1  # no NaN point to draw
    assert feed.series()["test_accuracy"].tolist() == [0.5]


@pytest.mark.parametrize("text, sizes", [("256,128,64", (256, 128, 64)), (" 512 , 10 ", (512, 10)),
                                         ("32 16", (32, 16))])
def test_parse_hidden_sizes(text, sizes):
    assert parse_hidden_sizes(text) == sizes


@pytest.mark.parametrize("text, message", [("", "at least one"), ("256,abc", "whole numbers"),
                                           ("0,10", "1 to 2048"), ("1,2,3,4,5,6,7", "At most 6")])
def test_parse_hidden_sizes_explains_bad_input(text, message):
    with pytest.raises(ValueError, match=message):
        parse_hidden_sizes(text)


def test_records_free_of_torch_state_beyond_the_model(two_runs):
    # The model is kept (to save it later); everything else is plain data.
    rec = two_runs[0]
    assert isinstance(rec.model, torch.nn.Module)
    assert all(isinstance(v, (int, float, str, type(None))) for ev in rec.history for v in ev.values())


def test_interval_means_undo_the_per_epoch_running_mean():
    from fmnist_core.fashion.runs import interval_means

    rng = np.random.default_rng(0)
    spe, every = 10, 3  # steps per epoch, steps between events
    batch_loss = rng.random(3 * spe)
    steps, epochs, running, want = [], [], [], []
    for s in range(1, 3 * spe + 1):
        if s % every == 0:
            start = (s - 1) // spe * spe  # first step of this epoch
            steps.append(s)
            epochs.append(s / spe)
            running.append(batch_loss[start:s].mean())
            prev = max(start, steps[-2] if len(steps) > 1 else 0)
            want.append(batch_loss[prev:s].mean())
    np.testing.assert_allclose(interval_means(steps, epochs, running), want)
    assert len(interval_means([], [], [])) == 0
