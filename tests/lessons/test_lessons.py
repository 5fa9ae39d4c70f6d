"""Lesson files: good files parse; each kind of mistake is reported with file, step and reason while the
other steps and files still load; the page schemas come from importable modules, never from running a page."""
from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
import textwrap

import pytest

from fmnist_core.engine import url_state as us
from fmnist_core.lessons.loader import PageInfo, load_lessons, parse_lesson, parse_settings, step_snippet
from fmnist_core.lessons import goals as lg
from tests.conftest import ROOT
from ui.views.page_registry import LESSON_PAGES, PAGES, all_pages, page_info

SCHEMA = {"units": us.Int(2, 1, 8), "act": us.Choice("tanh", ("tanh", "relu", "step")), "lr": us.Choice("0.03", ("0.03", "0.1")),
          "lecture": us.Bool(False), "opts": us.MultiChoice(("sgd",), ("sgd", "adam"))}
PAGES_T = {"boundaries": PageInfo(SCHEMA), "broken": PageInfo(None, "its settings could not be read")}

GOOD = '''
title = "Decision boundaries"
section = 2

[[step]]
id = "xor"
title = "XOR"
page = "boundaries"
show = ["units"]
explanation = "Two lines."

[step.settings]
units = 1
act = "tanh"
lr = "0.1"
lecture = false

[step.question]
text = "Can one line do it?"
choices = ["yes", "no"]
answer = 1

[step.goal]
text = "Reach 95%."
checks = ["test_accuracy >= 0.95", "units <= 2", "act == 'tanh'", "lecture == false"]

[step.solution]
settings = { units = 2 }
train = 300

[[step]]
id = "number"
title = "A number"
page = "boundaries"

[step.question]
text = "How many?"
answer = 2.5
tolerance = 0.5
'''


def one_step(body: str, extra_settings: str = "") -> str:
    return f'title = "T"\n[[step]]\nid = "s"\ntitle = "S"\npage = "boundaries"\n{body}\n{extra_settings}'


def test_a_good_file_parses_into_typed_steps():
    lesson, errors = parse_lesson(GOOD, "02_b.toml", PAGES_T)
    assert errors == []
    assert lesson.id == "02_b" and lesson.section == 2 and [s.id for s in lesson.steps] == ["xor", "number"]
    s = lesson.steps[0]
    assert s.settings == {"units": 1, "act": "tanh", "lr": "0.1", "lecture": False}
    assert s.show == ("units",) and s.question.choices == ("yes", "no") and s.question.is_right(1)
    assert not s.question.is_right(0) and not s.question.is_right(None)
    assert [c.source for c in s.goal.checks][0] == "test_accuracy >= 0.95"
    assert s.solution == {"settings": {"units": 2}, "train": 300}
    q = lesson.steps[1].question
    assert not q.is_choice and q.is_right(2.9) and q.is_right(2.0) and not q.is_right(3.1)
    assert lesson.step("number") is lesson.steps[1] and lesson.step(0) is s and lesson.step("x") is None


@pytest.mark.parametrize("body,reason", [
    ('page2 = "x"', "unknown field 'page2'"),
    ('[step.settings]\nunits = 99', "setting 'units' = 99 is impossible: clamped to 1..8"),
    ('[step.settings]\nunits = "many"', "setting 'units' = 'many' is impossible: not a whole number"),
    ('[step.settings]\nact = "swish"', "setting 'act' = 'swish' is impossible: not one of the choices"),
    ('[step.settings]\nwidth = 3', "setting 'width' is not a setting of this page"),
    ('hide = ["noise"]', "'hide' names 'noise', not settings of page 'boundaries'"),
    ('[step.question]\ntext = "Q"\nchoices = ["a", "b"]\nanswer = 2', "the right choice's index, 0..1"),
    ('[step.question]\ntext = "Q"\nanswer = "two"', "a number question's 'answer' must be a number"),
    ('[step.question]\nanswer = 1', "question 'text' is missing"),
    ('[step.goal]\ntext = "G"\nchecks = ["accuracy >= 0.9"]\n[step.solution]\ntrain = 1', "has no value 'accuracy'"),
    ('[step.goal]\ntext = "G"\nchecks = ["test_accuracy >= high"]\n[step.solution]\ntrain = 1', "not a number"),
    ('[step.goal]\ntext = "G"\nchecks = ["test_accuracy = 0.9"]\n[step.solution]\ntrain = 1', "is not 'name op value'"),
    ('[step.goal]\ntext = "G"\nchecks = ["act == 3"]\n[step.solution]\ntrain = 1', "'act' is a text, so compare it with a text"),
    ('[step.goal]\ntext = "G"\nchecks = ["act == \'swish\'"]\n[step.solution]\ntrain = 1', "'swish' is not one of"),
    ('[step.goal]\ntext = "G"\nchecks = ["lecture > true"]\n[step.solution]\ntrain = 1', "only be compared with == or !="),
    ('[step.goal]\ntext = "G"\nchecks = ["units <= 2"]', "needs a [step.solution]"),
    ('[step.goal]\ntext = "G"\nchecks = ["units <= 2"]\n[step.solution]\nsettings = { units = 0 }', "solution: setting 'units' = 0"),
])
def test_each_mistake_is_reported_with_file_step_and_reason(body, reason):
    text = GOOD + "\n[[step]]\nid = \"bad\"\ntitle = \"Bad\"\npage = \"boundaries\"\n" + body + "\n"
    lesson, errors = parse_lesson(text, "02_b.toml", PAGES_T)
    assert [s.id for s in lesson.steps] == ["xor", "number"]  # the good steps still load
    assert len(errors) == 1, errors
    e = errors[0]
    assert (e.file, e.step) == ("02_b.toml", "step 3 'bad'")
    assert reason in e.reason, e.reason
    assert str(e).startswith("02_b.toml: step 3 'bad': ")


def test_unknown_and_unreadable_pages_are_reported():
    for page, reason in (("nowhere", "unknown page 'nowhere'"), ("broken", "page 'broken' cannot be used")):
        lesson, errors = parse_lesson(GOOD.replace('page = "boundaries"\n\n[step.question]', f'page = "{page}"\n\n[step.question]'),
                                      "x.toml", PAGES_T)
        assert [s.id for s in lesson.steps] == ["xor"] and reason in errors[0].reason and errors[0].step == "step 2 'number'"


@pytest.mark.parametrize("text,reason", [
    ("title = ", "not valid TOML"),
    ('section = 1\n[[step]]\nid = "a"', "needs a 'title'"),
    ('title = "T"', "no steps"),
    ('title = "T"\nsection = "two"\n[[step]]', "'section' must be a whole number"),
])
def test_an_unusable_file_is_reported_and_the_other_files_still_load(tmp_path, text, reason):
    (tmp_path / "01_good.toml").write_text(GOOD)
    (tmp_path / "02_bad.toml").write_text(text)
    lessons, errors = load_lessons(tmp_path, PAGES_T)
    assert [ls.id for ls in lessons] == ["01_good"]
    assert len(errors) == 1 and errors[0].file == "02_bad.toml" and errors[0].step is None
    assert reason in errors[0].reason


def test_duplicate_step_ids_are_refused():
    text = GOOD + '\n[[step]]\nid = "xor"\ntitle = "Again"\npage = "boundaries"\n'
    _, errors = parse_lesson(text, "d.toml", PAGES_T)
    assert "used twice" in errors[0].reason


def test_goal_checks_compare_numbers_bools_and_texts():
    goal = lg.Goal("g", tuple(lg.parse_check(c, "boundaries", SCHEMA) for c in
                              ("test_accuracy >= 0.95", "units <= 2", "act == 'tanh'", "lecture == false")))
    ok = {"test_accuracy": 0.96, "units": 2, "act": "tanh", "lecture": False}
    assert lg.goal_met(goal, ok)
    for change in ({"test_accuracy": 0.9}, {"test_accuracy": None}, {"test_accuracy": float("nan")}, {"units": 3},
                   {"act": "relu"}, {"lecture": True}):
        assert not lg.goal_met(goal, ok | change), change
    res = lg.evaluate(goal, ok | {"test_accuracy": None})
    assert lg.describe(res[0], "boundaries") == "test accuracy ≥ 95% (not measured yet)"
    assert lg.describe(lg.evaluate(goal, ok)[0], "boundaries") == "test accuracy ≥ 95% (now 96%)"


def test_settings_are_checked_by_the_pages_own_url_parser():
    values, reasons = parse_settings(SCHEMA, {"units": 3, "lecture": True, "opts": ["sgd", "adam"]})
    assert values == {"units": 3, "lecture": True, "opts": ("sgd", "adam")} and reasons == []
    _, reasons = parse_settings(SCHEMA, {"opts": ["sgd", "rmsprop"]})
    assert "unknown choices dropped" in reasons[0]


SCHEMA_MODULES = {  # page -> the module that holds its URL schema (a function of the model menu for 7 and 8)
    "activations": "ui.views.activations_url", "boundaries": "ui.views.boundaries_url",
    "learning": "ui.views.learning_url", "initialization": "ui.views.initialization_url",
    "optimizers": "ui.views.optimizers_url", "training": "ui.views.training_controls",
    "layers": "ui.views.layers_url", "sketch": "ui.views.sketch_url", "fragile": "ui.views.fragile_url",
    "overfitting": "ui.views.overfitting_url",
}


def test_every_page_in_the_app_exposes_its_schema_without_running():
    pages = all_pages()
    assert set(pages) == set(LESSON_PAGES) == set(SCHEMA_MODULES)
    for name in pages:
        assert PAGES[name].exists and pages[name].schema, (name, pages[name].error)
    assert set(pages["boundaries"].schema) >= {"dataset", "units", "layers", "act", "lecture", "lr"}
    assert pages["training"].schema["lr"].high >= 1.0
    assert pages["sketch"].schema["model"].default == "cnn" and "mlp" in pages["sketch"].schema["model"].options
    assert page_info("home").schema is None and "has no settings" in page_info("home").error


@pytest.mark.parametrize("name", sorted(SCHEMA_MODULES))
def test_the_page_and_the_registry_share_one_schema(name):
    """The registry's schema is the schema module's, and the page takes it from there (no copy of its own)."""
    module = importlib.import_module(SCHEMA_MODULES[name])
    schema = page_info(name).schema
    if hasattr(module, "SCHEMA"):
        assert schema == module.SCHEMA
    else:  # built from the model menu: the same fields whichever models exist
        assert schema == module.schema(schema["model"].options)
    tree = ast.parse((ROOT / PAGES[name].file).read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert SCHEMA_MODULES[name] in imported, f"{PAGES[name].file} does not use {SCHEMA_MODULES[name]}"
    literal = [n for n in tree.body if isinstance(n, ast.Assign) and isinstance(n.value, ast.Dict)
               and any(isinstance(t, ast.Name) and t.id == "SCHEMA" for t in n.targets)]
    assert not literal, f"{PAGES[name].file} writes its own SCHEMA"


def test_schema_modules_import_without_streamlit():
    """The page's own schema modules are plain Python: importing them all loads no Streamlit."""
    modules = sorted(m for m in SCHEMA_MODULES.values() if m.endswith("_url"))
    code = (f"import importlib, sys\nfor m in {modules!r}: importlib.import_module(m)\n"
            "assert 'streamlit' not in sys.modules, 'imported streamlit'\n")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_the_registry_reads_no_page_source():
    """In a fresh interpreter an audit hook watches every file opened and every source compiled or code
    run: getting every page's schema opens, compiles and runs nothing from pages/ (as `exec` of page source
    once did), and imports no page."""
    code = textwrap.dedent(f"""
        import json, sys
        PAGES_DIR = {str(ROOT / "pages")!r}
        touched = []

        def hook(event, args):
            if event == "open" and args and isinstance(args[0], str):
                where = args[0]
            elif event == "compile" and len(args) > 1:
                where = str(args[1])
            elif event == "exec" and args and hasattr(args[0], "co_filename"):
                where = args[0].co_filename
            else:
                return
            if where.startswith(PAGES_DIR):
                touched.append((event, where))

        sys.addaudithook(hook)
        from ui.views.page_registry import all_pages
        schemas = {{name: sorted(info.schema or ()) for name, info in all_pages().items()}}
        print(json.dumps({{"touched": touched, "schemas": schemas,
                          "pages": [m for m in sys.modules if m == "pages" or m.startswith("pages.")]}}))
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["touched"] == [] and got["pages"] == []
    assert set(got["schemas"]) == set(SCHEMA_MODULES) and all(got["schemas"].values()), got["schemas"]
    # The hook does see what it watches: reading a page file is caught.
    probe = code.replace("from ui.views.page_registry import all_pages",
                         "open(PAGES_DIR + '/home.py').read()\nall_pages = dict")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, check=True, capture_output=True, text=True)
    assert json.loads(out.stdout.strip().splitlines()[-1])["touched"]


def test_copy_as_lesson_step_round_trips():
    raw = us.dump(SCHEMA, {"units": 4, "act": "relu", "lr": "0.1", "lecture": True, "opts": ("sgd", "adam")})
    defaults = us.dump(SCHEMA, {n: f.default for n, f in SCHEMA.items()})
    snippet = step_snippet("boundaries", raw, defaults)
    text = 'title = "T"\n' + snippet.replace('checks = ["…"]', 'checks = ["units <= 4"]').replace("train", "train")
    lesson, errors = parse_lesson(text.replace("settings = {}", "settings = {}\ntrain = 1"), "c.toml", PAGES_T)
    assert errors == [], errors
    assert lesson.steps[0].settings == {"units": 4, "act": "relu", "lr": "0.1", "lecture": True, "opts": ("sgd", "adam")}
