import math

from fmnist_core.engine import url_state as u

SCHEMA = {
    "units": u.Int(8, 1, 64), "lr": u.Float(0.03, 1e-4, 1.0), "data": u.Choice("xor", ("xor", "spiral")),
    "test": u.Bool(True), "acts": u.MultiChoice(("relu",), ("relu", "tanh", "step"), 1, 3),
    "hidden": u.IntList((4,), 1, 64, 3),
}


def test_defaults_when_absent():
    values, notes = u.parse(SCHEMA, {})
    assert values == {k: f.default for k, f in SCHEMA.items()} and notes == []


def test_good_values_round_trip():
    vals = {"units": 32, "lr": 0.1, "data": "spiral", "test": False, "acts": ("tanh", "step"), "hidden": (8, 8)}
    again, notes = u.parse(SCHEMA, u.dump(SCHEMA, vals))
    assert again == vals and notes == []


def test_hostile_values_are_clamped_or_refused():
    q = {"units": "99999", "lr": "nan", "data": "<script>alert(1)</script>", "test": "maybe",
         "acts": ",,,evil,relu", "hidden": "1,2,x"}
    values, notes = u.parse(SCHEMA, q)
    assert values["units"] == 64 and values["lr"] == 0.03 and values["data"] == "xor"
    assert values["test"] is True and values["acts"] == ("relu",) and values["hidden"] == (4,)
    assert len(notes) == 6 and all("in the link" in n for n in notes)


def test_extremes():
    values, _ = u.parse(SCHEMA, {"lr": "-1e309", "units": "1e400", "hidden": "0,500,3,3,3", "acts": "x" * 5000})
    assert values["lr"] == 0.03  # -inf is not finite
    assert values["units"] == 8  # overflow -> default
    assert values["hidden"] == (1, 64, 3) and values["acts"] == ("relu",)
    assert all(math.isfinite(v) for v in [values["lr"]])
