"""The per-browser store: real runs written and read back, ids and paths that cannot be guessed or
escaped, caps and expiry that evict the oldest and say so, corrupt or foreign files skipped, running
jobs snapshotted and shown as interrupted after a restart."""
import base64
import json
import logging
import os
import pickle
import time

import numpy as np
import pytest
import torch

from fmnist_core.store import per_browser as store_mod
from fmnist_core.engine.jobs import JobManager
from fmnist_core.fashion.runs import RunRecord, history_series
from fmnist_core.store.journal import journaled
from fmnist_core.store.keys import BOOT, ID_RE, new_browser_id, new_run_key, valid_id
from fmnist_core.store.per_browser import INTERRUPTED, Limits, Store
from fmnist_core.fashion.train import RECIPES, train
from tests.conftest import wait_until

TINY = RECIPES["mlp"].with_(hidden=(32,), epochs=1, batch_size=1024, event_every=2)


@pytest.fixture(scope="module")
def result(fmnist_small):
    """One real run on the 6k/1k subset."""
    return train(TINY, fmnist_small)


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "store", Limits(runs_per_browser=3, snapshot_s=0.2))


def key_at(seconds: float, job_id: int = 1) -> str:
    return new_run_key(job_id, now=seconds)


# --------------------------------------------------------------------------- ids and paths

def test_browser_ids_carry_256_random_bits():
    ids = [new_browser_id() for _ in range(4000)]
    assert len(set(ids)) == len(ids) and all(ID_RE.match(i) for i in ids)
    raw = np.frombuffer(b"".join(base64.urlsafe_b64decode(i + "=") for i in ids), dtype=np.uint8)
    assert raw.size == 4000 * 32  # 32 random bytes each
    bits = np.unpackbits(raw).reshape(4000, 256).mean(0)
    assert np.all(np.abs(bits - 0.5) < 0.04), "some bit position is not a fair coin"
    counts = np.bincount(raw, minlength=256)
    chi2 = ((counts - raw.size / 256) ** 2 / (raw.size / 256)).sum()
    assert chi2 < 400, f"byte values far from uniform (chi2 {chi2:.0f}, 255 degrees of freedom)"


@pytest.mark.parametrize("bad", ["", "..", "../" + "a" * 40, "a" * 42, "a" * 44, "a" * 42 + "/", "a" * 42 + ".",
                                 "a" * 43 + "\n", "a" * 42 + "\x00", "a" * 42 + "é", "/etc/passwd", "a" * 21 + "\\" + "a" * 21,
                                 None, 12345, ["a" * 43]])
def test_anything_but_our_token_is_refused_before_it_names_a_path(store, bad):
    assert not valid_id(bad)
    with pytest.raises(ValueError):
        store.browser_dir(bad)
    with pytest.raises(ValueError):
        store.run_keys(bad)
    with pytest.raises(ValueError):
        store.progress(bad)


def test_run_keys_from_outside_cannot_escape_the_browser_folder(store, result):
    bid = new_browser_id()
    for bad in ("../x", "..", "/tmp/x", "1" * 13 + "-" + BOOT + "-1/../../x", f"{'1' * 13}-{BOOT}-1\n"):
        with pytest.raises(ValueError):
            store.load_run(bid, bad)
        with pytest.raises(ValueError):
            store.save_record(bid, bad, RunRecord.from_result(result, 1))
        store.drop_snapshot(bid, bad)  # ignored, never a path
    assert not store.root.exists() or not any(store.root.rglob("*.json"))


# --------------------------------------------------------------------------- runs written and read back

def test_a_real_run_reads_back_whole(store, result, fmnist_small):
    bid = new_browser_id()
    saved = store.save_result(bid, key_at(time.time()), result)
    assert saved.record.name.startswith("#1 MLP 32") and saved.evicted == []
    back = store.load_run(bid, saved.key)
    assert back.name == saved.record.name and back.run_id == 1 and back.status == result.status
    assert back.config == result.config and back.test_accuracy == pytest.approx(result.test_accuracy)
    np.testing.assert_array_equal(back.probabilities, result.probabilities)  # float32, losslessly compressed
    assert back.history == store_mod.plain_events(result.history) and len(back.history) > 3
    for name, series in history_series(back.history).items():
        np.testing.assert_allclose(series, history_series(saved.record.history)[name], err_msg=name)
    x = fmnist_small.test_images[:50].float().div(255).sub(result.normalization[0]).div(result.normalization[1])
    with torch.no_grad():
        torch.testing.assert_close(back.model(x.unsqueeze(1)), result.model.eval()(x.unsqueeze(1)))
    # The next run gets the next number; a second save of the same key changes nothing.
    assert store.save_result(bid, key_at(time.time() + 1, 2), result).record.run_id == 2
    assert store.save_record(bid, saved.key, saved.record).record is saved.record
    assert len(store.run_keys(bid)) == 2
    # No temporary files are left behind.
    assert not [p for p in store.root.rglob("*") if p.name.startswith(".") or p.suffix == ".part"]


def test_two_browsers_see_only_their_own(store, result):
    a, b = new_browser_id(), new_browser_id()
    ka = store.save_result(a, key_at(time.time()), result).key
    assert store.run_keys(b) == [] and store.run_keys(a) == [ka]
    assert store.load_run(b, ka) is None  # the key alone opens nothing in another browser's folder


# --------------------------------------------------------------------------- caps and expiry

def test_per_browser_cap_evicts_the_oldest_and_says_which(store, result):
    bid, other = new_browser_id(), new_browser_id()
    t0 = time.time()
    store.save_result(other, key_at(t0 - 100, 9), result)
    keys = [store.save_result(bid, key_at(t0 + i, i), result).key for i in range(3)]
    saved = store.save_result(bid, key_at(t0 + 3, 3), result)
    assert [(e.key, e.name[:3], e.why) for e in saved.evicted] == [(keys[0], "#1 ", "per-browser limit")]
    assert store.run_keys(bid) == keys[1:] + [saved.key]
    assert len(store.run_keys(other)) == 1  # another browser's older run is not touched by this cap
    assert saved.record.run_id == 4  # numbers are never reused


def test_total_cap_evicts_the_oldest_of_all_browsers(tmp_path, result):
    probe = Store(tmp_path / "probe")
    k = probe.save_result(new_browser_id(), key_at(time.time()), result).key
    one_run = probe.usage()["bytes"]
    assert 0 < one_run < 3_000_000 and k
    s = Store(tmp_path / "s", Limits(runs_per_browser=10, total_bytes=int(2.5 * one_run)))
    a, b = new_browser_id(), new_browser_id()
    t0 = time.time()
    ka = s.save_result(a, key_at(t0), result).key
    kb = s.save_result(b, key_at(t0 + 1), result).key
    third = s.save_result(b, key_at(t0 + 2, 2), result)
    assert [(e.browser, e.key, e.why) for e in third.evicted] == [(a, ka, "total size limit")]
    assert s.run_keys(a) == [] and s.run_keys(b) == [kb, third.key]
    assert s.usage()["bytes"] <= 2.5 * one_run


def test_runs_progress_and_snapshots_expire(tmp_path, result):
    s = Store(tmp_path / "s", Limits(max_age_s=3600))
    bid = new_browser_id()
    now = time.time()
    old = s.save_result(bid, key_at(now - 1800), result).key
    new = s.save_result(bid, key_at(now, 2), result).key
    s.save_progress(bid, {"lesson1": "done"})
    os.utime(s.browser_dir(bid) / "progress.json", (now - 1800, now - 1800))
    assert s.housekeep(now) == [] and s.progress(bid) == {"lesson1": "done"}
    later = now + 1900  # the first run and the progress are now 3700 s old, the second run 1900 s
    assert [(e.key, e.why) for e in s.housekeep(later)] == [(old, "expired")]
    assert s.run_keys(bid) == [new] and s.progress(bid) == {}
    assert [(e.key, e.why) for e in s.save_result(bid, key_at(now - 4000, 3), result).evicted] == [
        (key_at(now - 4000, 3), "expired")]  # a run stored already expired goes at once, and says so
    s.delete_run(bid, new)
    s.housekeep(now)
    assert s.browser_dir(bid).exists()  # its run counter is recent: the numbers go on
    s.housekeep(now + 7200)
    assert not s.browser_dir(bid).exists(), "an expired browser folder is removed"


# --------------------------------------------------------------------------- corrupt and foreign files

class _Boom:
    def __reduce__(self):  # what a malicious pickle does: run code when loaded
        return (os.system, (f"touch {_Boom.marker}",))


def test_corrupt_and_foreign_files_are_skipped_with_a_reason_and_run_nothing(tmp_path, result, caplog):
    store = Store(tmp_path / "store")
    bid = new_browser_id()
    keys = [store.save_result(bid, key_at(time.time() + i, i), result).key for i in range(6)]
    d = [store.browser_dir(bid) / "runs" / k for k in keys]
    _Boom.marker = tmp_path / "pwned"
    (d[0] / "meta.json").write_bytes((d[0] / "meta.json").read_bytes()[:40])  # truncated JSON
    np.savez(d[1] / "probs.npz", probabilities=np.array([_Boom()], dtype=object))  # pickled objects in the archive
    (d[2] / "probs.npz").write_bytes(pickle.dumps(_Boom()))  # a bare pickle
    torch.save({"meta": _Boom(), "state_dict": {}}, d[3] / "model.pt")  # a "checkpoint" that runs code
    torch.save(torch.zeros(3), d[4] / "model.pt")  # a PyTorch file that is not our checkpoint
    (d[5] / "history.json").write_bytes(pickle.dumps([{"kind": "progress"}]))
    with caplog.at_level(logging.WARNING, logger="fmnist.store"):
        back = [store.load_run(bid, k) for k in keys]
    assert back[0] is None and back[5] is None
    for rec in back[1:3]:
        assert rec.probabilities is None and rec.model is None and len(rec.history) > 3  # the curves survive
    for rec in back[3:5]:
        assert rec.probabilities is not None and rec.model is None  # still in ensembles, not savable
    assert not _Boom.marker.exists(), "a pickle in the store ran code"
    reasons = [r.getMessage() for r in caplog.records]
    assert len(reasons) == 6 and all(k in m for k, m in zip(keys, reasons)), reasons
    assert "not JSON" in reasons[0] and "allow_pickle" in reasons[1] + reasons[2]
    assert "contains code rather than only weights" in reasons[3] and "not a dashboard checkpoint" in reasons[4]
    # Progress that is not a JSON dict, and progress too large to keep.
    (store.browser_dir(bid) / "progress.json").write_bytes(pickle.dumps({"a": 1}))
    assert store.progress(bid) == {}
    with pytest.raises(ValueError):
        store.save_progress(bid, {"x": "y" * 70_000})
    with pytest.raises(ValueError):
        store.save_progress(bid, ["not", "a", "dict"])
    store.save_progress(bid, {"lesson": {"step": 3}})
    assert store.progress(bid) == {"lesson": {"step": 3}}


# --------------------------------------------------------------------------- running jobs

def test_a_journaled_job_is_snapshotted_then_stored_before_it_counts_as_ended(store, fmnist_small):
    bid = new_browser_id()
    cfg = TINY.with_(epochs=3)
    seen_snapshots = []

    def target(job):
        out = train(cfg, fmnist_small, on_event=job.emit, control=job.control)
        seen_snapshots.extend((store.browser_dir(bid) / "active").glob("*.json"))
        return out

    manager = JobManager(max_running=1, heartbeat_timeout=None)
    job = manager.submit(bid, "training", journaled(store, bid, "training_job", cfg, target), key="training_job")
    wait_until(lambda: not job.active, timeout=120, interval=0.005, what="the job ended")
    assert job.stored is not None, "the job counted as ended before its run was stored"
    assert job.state == "done"
    assert seen_snapshots, "no snapshot written while the job ran"
    assert not list((store.browser_dir(bid) / "active").glob("*.json")), "the snapshot outlived the job"
    assert store.run_keys(bid) == [job.stored.key] and job.stored.record.status == "finished"


def _snapshot_from_a_past_server(store, bid, key, events, age_s=60.0, boot="0badb00t"):
    path = store.browser_dir(bid) / "active" / f"{key}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"boot": boot, "page": "training_job", "label": "training", "written": 0,
                                "config": TINY.to_dict(), "events": events}))
    os.utime(path, (time.time() - age_s, time.time() - age_s))
    return path


def test_a_job_left_by_a_past_server_shows_as_interrupted_with_its_curves(store, result):
    bid = new_browser_id()
    events = store_mod.plain_events(result.history)[:-1]  # up to the last epoch, no "done"
    key = key_at(time.time() - 30, 7)
    _snapshot_from_a_past_server(store, bid, key, events)
    fresh = _snapshot_from_a_past_server(store, bid, key_at(time.time(), 8), events, age_s=0.0)  # a live replica's
    ours = store.browser_dir(bid) / "active" / f"{key_at(time.time(), 9)}.json"
    store.snapshot(bid, ours.stem, events, "training_job", "training", TINY.to_dict())
    os.utime(ours, (time.time() - 60, time.time() - 60))  # this process's own job, even if quiet
    assert store.run_keys(bid) == [key]
    rec = store.load_run(bid, key)
    assert rec.status == "interrupted" and rec.message == INTERRUPTED and rec.probabilities is None
    assert rec.epochs == pytest.approx(events[-1]["epoch"]) and rec.name.startswith("#1 MLP 32")
    assert len(history_series(rec.history)["train_loss"]) == sum(e["kind"] == "progress" for e in events)
    assert fresh.exists() and ours.exists()
    assert store.run_keys(bid) == [key]  # converted once
    # A snapshot that does not read back is set aside once, with a reason, and never crashes the page.
    bad = store.browser_dir(bid) / "active" / f"{key_at(time.time() - 40, 10)}.json"
    bad.write_bytes(b'{"boot": "x", "even')
    os.utime(bad, (time.time() - 60, time.time() - 60))
    assert store.run_keys(bid) == [key] and not bad.exists()
