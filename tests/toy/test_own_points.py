"""The student's own points: compact in the link, capped, hostile links clamped."""
import torch

from fmnist_core.toy import own_points as op
from fmnist_core.engine import url_state as us
from fmnist_core.toy.data import make_dataset
from fmnist_core.toy.run import ToyRun


def test_points_round_trip_through_the_link_compactly():
    pts = [(0.5, -1.25, 1), (-2.5, 2.5, 0), (0.0, 0.0, 1)]
    text = op.encode(pts)
    assert len(text) == 3 * len(pts) and all(c in op.ALPHABET for c in text)
    back, note = op.decode(text)
    assert note is None and len(back) == 3
    for (a, b, c), (a2, b2, c2) in zip(pts, back):
        assert abs(a - a2) <= 0.01 and abs(b - b2) <= 0.01 and c == c2  # a 0.02 grid
    assert op.encode(back) == text  # snapped points encode to the same text
    schema = {"pts": op.PointsField()}
    values, notes = us.parse(schema, us.dump(schema, {"pts": text}))
    assert values["pts"] == text and notes == []


def test_hostile_and_oversized_links_are_clamped():
    schema = {"pts": op.PointsField()}
    cap = op.encode([(0.1 * i - 2, 0.0, i % 2) for i in range(op.MAX_POINTS)])
    assert len(cap) <= us.MAX_LEN  # a full set of points fits in one link value
    for raw, words in (("AAA!!<script>", "not points"), ("AAAAB", "cut short"), ("___", "neither red nor blue")):
        values, notes = us.parse(schema, {"pts": raw})
        assert op.decode(values["pts"])[1] is None and any(words in n for n in notes), (raw, notes)
    values, notes = us.parse(schema, {"pts": "A" * 5000})
    assert values["pts"] == "" and "too long" in notes[0]
    assert len(op.decode("AAA" * (op.MAX_POINTS + 5))[0]) == op.MAX_POINTS  # past the cap: ignored


def test_add_remove_and_cap():
    pts, ok = op.add([], 0.3, 0.4, 1)
    assert ok and pts[0][2] == 1
    assert op.add(pts, 9.0, 0.0, 0) == (pts, False)  # off the plane
    full = [(0.0, 0.0, 1)] * op.MAX_POINTS
    assert op.add(full, 0.1, 0.1, 0)[1] is False
    pts, ok = op.add(pts, -1.0, -1.0, 0)
    left, removed = op.remove_near(pts, 0.35, 0.4)
    assert removed and len(left) == 1 and left[0][2] == 0
    assert op.remove_near(left, 1.5, 1.5) == (left, False)


def test_points_join_the_training_set_and_a_run_goes_on_with_them():
    d = make_dataset("xor", n=40, seed=0)
    pts = [(1.5, 1.5, 1), (-1.5, -1.5, 1)]
    both = op.with_points(d, pts)
    assert len(both.x_train) == len(d.x_train) + 2 and torch.equal(both.x_test, d.x_test)
    assert both.y_train[-2:].tolist() == [1.0, 1.0]
    own = op.own_dataset(pts)
    assert len(own.x_train) == 2 and len(own.x_test) == 0
    run = ToyRun.create(op.own_dataset([]), (2,))
    assert run.advance(5) == 0 and run.epoch == 0  # nothing to train on yet
    assert run.frame()["metrics"][0] != run.frame()["metrics"][0]  # NaN: no points
    run.set_data(own)
    assert run.advance(5) == 5 and run.metrics()["train_acc"] == run.metrics()["train_acc"]


def test_a_click_adds_or_removes_a_point_in_the_link():
    text, changed = op.clicked("", 0.3, 0.4, "red")
    assert changed and op.decode(text)[0][0][2] == 1
    text, changed = op.clicked(text, -1.0, -1.0, "blue")
    assert changed and [p[2] for p in op.decode(text)[0]] == [1, 0]
    assert op.clicked(text, 9.0, 0.0, "red") == (text, False)  # off the plane
    left, changed = op.clicked(text, 0.32, 0.41, "remove")
    assert changed and [p[2] for p in op.decode(left)[0]] == [0]
    assert op.clicked(left, 2.0, 2.0, "remove") == (left, False)  # nothing near
    full = op.encode([(0.0, 0.0, 1)] * op.MAX_POINTS)
    assert op.clicked(full, 0.5, 0.5, "red") == (full, False)  # the link holds no more
