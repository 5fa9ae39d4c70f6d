"""Lessons as TOML files: steps that open a page with given settings, ask a question, set a goal.

One file per lecture section (`lessons/*.toml`, read with the stdlib `tomllib`). Every field is
checked: a step with a bad field, an unknown page, a setting its page's URL schema cannot take, or a
goal on a value its page does not have is reported as `file: step 'id' (n): reason`, and the rest of
the lessons still load. Schemas are handed in (`fmnist_core` knows no pages); goals are `lesson_goals`.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from fmnist_core.lessons import goals as lg

LESSON_KEYS = {"title", "section", "intro", "step"}
STEP_KEYS = {"id", "title", "page", "text", "settings", "show", "hide", "question", "goal", "explanation",
             "solution"}
QUESTION_KEYS = {"text", "choices", "answer", "tolerance", "unit"}
GOAL_KEYS = {"text", "checks"}
SOLUTION_KEYS = {"settings", "train", "drawing", "note"}
MAX_STEPS = 30  # per file: a lesson is a lecture section, not a course


class LessonError(ValueError):
    """One problem in one step (or in the file itself when `step` is None)."""

    def __init__(self, file: str, step: str | None, reason: str):
        self.file, self.step, self.reason = file, step, reason
        super().__init__(f"{file}: {step + ': ' if step else ''}{reason}")


@dataclass(frozen=True)
class Question:
    text: str
    answer: int | float  # the right choice's index, or the number
    choices: tuple[str, ...] = ()  # empty: a number question
    tolerance: float = 0.0
    unit: str = ""

    @property
    def is_choice(self) -> bool:
        return bool(self.choices)

    def is_right(self, given: Any) -> bool:
        """Whether `given` (a choice index or a number) answers the question."""
        if given is None:
            return False
        if self.is_choice:
            return int(given) == int(self.answer)
        return abs(float(given) - float(self.answer)) <= self.tolerance + 1e-9


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    page: str
    text: str = ""
    settings: dict = field(default_factory=dict)  # parsed through the page's schema (typed values)
    raw_settings: dict = field(default_factory=dict)  # as written, for links
    show: tuple[str, ...] = ()  # when set: only these settings' controls stay visible
    hide: tuple[str, ...] = ()
    question: Question | None = None
    goal: lg.Goal | None = None
    explanation: str = ""
    solution: dict = field(default_factory=dict)  # {"settings": {...}, "train": n, "drawing": i}


@dataclass(frozen=True)
class Lesson:
    id: str  # the file's stem, e.g. "02_boundaries"
    title: str
    section: int
    steps: tuple[Step, ...]
    intro: str = ""
    path: str = ""

    def step(self, key: str | int) -> Step | None:
        if isinstance(key, int) or str(key).isdigit():
            i = int(key)
            return self.steps[i] if 0 <= i < len(self.steps) else None
        return next((s for s in self.steps if s.id == key), None)

    def index(self, step_id: str) -> int:
        return next(i for i, s in enumerate(self.steps) if s.id == step_id)


@dataclass(frozen=True)
class PageInfo:
    """What validation needs to know about a page: its URL schema and its goal values."""

    schema: Mapping[str, Any] | None
    error: str = ""  # why the schema could not be read (the page is then unusable in lessons)


def raw_text(value: Any) -> str:
    """A TOML value as the URL would carry it."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (list, tuple)):
        return ",".join(raw_text(v) for v in value)
    return str(value)


def parse_settings(schema: Mapping[str, Any], settings: Mapping[str, Any]) -> tuple[dict, list[str]]:
    """(typed values, reasons) for settings checked by the schema's own parser: an unknown name, a value
    that is not of the field's kind, or one outside its range is a reason (the URL would silently fix it)."""
    values, reasons = {}, []
    for name, v in settings.items():
        fld = schema.get(name)
        if fld is None:
            reasons.append(f"setting '{name}' is not a setting of this page (it has: {', '.join(schema)})")
            continue
        if isinstance(v, dict):
            reasons.append(f"setting '{name}' must be a value, not a table")
            continue
        parsed, note = fld.parse(raw_text(v))
        if note:
            reasons.append(f"setting '{name}' = {v!r} is impossible: {note}")
        else:
            values[name] = parsed
    return values, reasons


def _text(d: Mapping, key: str, where: str, required: bool = False) -> str:
    v = d.get(key, "")
    if not isinstance(v, str):
        raise ValueError(f"{where}'{key}' must be text")
    if required and not v.strip():
        raise ValueError(f"{where}'{key}' is missing")
    return v.strip()


def _unknown(d: Mapping, allowed: set[str], where: str) -> None:
    extra = sorted(set(d) - allowed)
    if extra:
        raise ValueError(f"unknown field{'s' if len(extra) > 1 else ''} {', '.join(map(repr, extra))} in {where}"
                         f" (allowed: {', '.join(sorted(allowed))})")


def parse_question(q: Any) -> Question:
    if not isinstance(q, dict):
        raise ValueError("'question' must be a table ([step.question])")
    _unknown(q, QUESTION_KEYS, "the question")
    text = _text(q, "text", "question ", required=True)
    if "answer" not in q:
        raise ValueError("the question has no 'answer'")
    ans = q["answer"]
    choices = q.get("choices", [])
    if not isinstance(choices, list) or not all(isinstance(c, str) and c.strip() for c in choices):
        raise ValueError("question 'choices' must be a list of texts")
    tol = q.get("tolerance", 0.0)
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or tol < 0:
        raise ValueError("question 'tolerance' must be a number >= 0")
    if choices:
        if len(choices) < 2:
            raise ValueError("a multiple-choice question needs at least 2 choices")
        if isinstance(ans, bool) or not isinstance(ans, int) or not 0 <= ans < len(choices):
            raise ValueError(f"question 'answer' must be the right choice's index, 0..{len(choices) - 1}")
    elif isinstance(ans, bool) or not isinstance(ans, (int, float)):
        raise ValueError("a number question's 'answer' must be a number (or give 'choices')")
    return Question(text, ans, tuple(c.strip() for c in choices), float(tol), _text(q, "unit", "question "))


def parse_step(raw: Any, n: int, pages: Mapping[str, PageInfo], seen: set[str]) -> Step:
    """One [[step]] table, checked against its page; raises ValueError with the reason."""
    if not isinstance(raw, dict):
        raise ValueError("a step must be a table ([[step]])")
    _unknown(raw, STEP_KEYS, "the step")
    sid = _text(raw, "id", "", required=True)
    if not sid.replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"step id {sid!r} may hold only letters, digits, '-' and '_'")
    if sid in seen:
        raise ValueError(f"step id {sid!r} is used twice in this file")
    page = _text(raw, "page", "", required=True)
    if page not in pages:
        raise ValueError(f"unknown page {page!r} (pages: {', '.join(pages)})")
    info = pages[page]
    if info.schema is None:
        raise ValueError(f"page {page!r} cannot be used: {info.error}")
    settings_raw = raw.get("settings", {})
    if not isinstance(settings_raw, dict):
        raise ValueError("'settings' must be a table ([step.settings])")
    settings, reasons = parse_settings(info.schema, settings_raw)
    if reasons:
        raise ValueError("; ".join(reasons))
    lists = {}
    for key in ("show", "hide"):
        v = raw.get(key, [])
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise ValueError(f"'{key}' must be a list of setting names")
        bad = [x for x in v if x not in info.schema]
        if bad:
            raise ValueError(f"'{key}' names {', '.join(map(repr, bad))}, not settings of page {page!r}")
        lists[key] = tuple(v)
    question = parse_question(raw["question"]) if "question" in raw else None
    goal = None
    if "goal" in raw:
        g = raw["goal"]
        if not isinstance(g, dict):
            raise ValueError("'goal' must be a table ([step.goal])")
        _unknown(g, GOAL_KEYS, "the goal")
        checks = g.get("checks")
        if not isinstance(checks, list) or not checks or not all(isinstance(c, str) for c in checks):
            raise ValueError("the goal needs 'checks': a list such as [\"test_accuracy >= 0.95\"]")
        goal = lg.Goal(_text(g, "text", "goal ", required=True),
                       tuple(lg.parse_check(c, page, info.schema) for c in checks))
    solution = raw.get("solution", {})
    if not isinstance(solution, dict):
        raise ValueError("'solution' must be a table ([step.solution])")
    _unknown(solution, SOLUTION_KEYS, "the solution")
    sol_settings, reasons = parse_settings(info.schema, solution.get("settings", {}))
    if reasons:
        raise ValueError("solution: " + "; ".join(reasons))
    drawing = solution.get("drawing")
    if drawing is not None:
        from fmnist_core.fashion.dataset import CLASS_NAMES

        kind, _, cls = str(drawing).partition(":")
        if kind not in ("outline", "photo") or cls.lower() not in [c.lower() for c in CLASS_NAMES]:
            raise ValueError(f"solution 'drawing' {drawing!r} must be 'outline:<class>' or 'photo:<class>' "
                             f"(classes: {', '.join(CLASS_NAMES)})")
    train = solution.get("train", 0)
    if isinstance(train, bool) or not isinstance(train, (int, float)) or train < 0:
        raise ValueError("solution 'train' must be a number >= 0 (epochs, steps or seconds, by page)")
    if goal is not None and not solution:
        raise ValueError("a step with a goal needs a [step.solution]: the settings that reach it (tests run them)")
    return Step(sid, _text(raw, "title", "", required=True), page, _text(raw, "text", ""), settings,
                dict(settings_raw), lists["show"], lists["hide"], question, goal, _text(raw, "explanation", ""),
                {**solution, "settings": sol_settings})


def parse_lesson(text: str, name: str, pages: Mapping[str, PageInfo]) -> tuple[Lesson | None, list[LessonError]]:
    """(the lesson with its good steps, or None if the file itself is unusable; one error per bad step)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        return None, [LessonError(name, None, f"not valid TOML: {e}")]
    extra = sorted(set(doc) - LESSON_KEYS)
    errors = [LessonError(name, None, f"unknown top-level field {k!r} (allowed: {', '.join(sorted(LESSON_KEYS))})")
              for k in extra]
    title, section = doc.get("title"), doc.get("section", 99)
    if not isinstance(title, str) or not title.strip():
        return None, errors + [LessonError(name, None, "the file needs a 'title'")]
    if isinstance(section, bool) or not isinstance(section, int):
        return None, errors + [LessonError(name, None, "'section' must be a whole number")]
    raw_steps = doc.get("step", [])
    if not isinstance(raw_steps, list) or not raw_steps:
        return None, errors + [LessonError(name, None, "no steps: add [[step]] tables")]
    if len(raw_steps) > MAX_STEPS:
        errors.append(LessonError(name, None, f"{len(raw_steps)} steps: only the first {MAX_STEPS} are used"))
    steps, seen = [], set()
    for n, raw in enumerate(raw_steps[:MAX_STEPS], start=1):
        label = f"step {n}" + (f" '{raw['id']}'" if isinstance(raw, dict) and isinstance(raw.get("id"), str) else "")
        try:
            step = parse_step(raw, n, pages, seen)
        except ValueError as e:
            errors.append(LessonError(name, label, str(e)))
            continue
        seen.add(step.id)
        steps.append(step)
    if not steps:
        return None, errors
    stem = Path(name).stem
    return Lesson(stem, title.strip(), section, tuple(steps), str(doc.get("intro", "")).strip(), name), errors


def load_lessons(directory: str | Path, pages: Mapping[str, PageInfo]) -> tuple[list[Lesson], list[LessonError]]:
    """Every `*.toml` in `directory`, in section order; errors never stop the other files."""
    lessons, errors = [], []
    for path in sorted(Path(directory).glob("*.toml")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            errors.append(LessonError(path.name, None, f"cannot be read: {e}"))
            continue
        lesson, errs = parse_lesson(text, path.name, pages)
        errors += errs
        if lesson is not None:
            lessons.append(lesson)
    lessons.sort(key=lambda ls: (ls.section, ls.id))
    return lessons, errors


def step_snippet(page: str, settings: Mapping[str, str], defaults: Mapping[str, str], step_id: str = "my-step") -> str:
    """A [[step]] TOML snippet for a page's current settings (those that differ from the defaults)."""
    lines = ["[[step]]", f'id = "{step_id}"', 'title = "…"', f'page = "{page}"', 'text = "…"', "", "[step.settings]"]
    for name, raw in settings.items():
        if defaults.get(name) != raw:
            lines.append(f"{name} = {_toml_value(raw)}")
    lines += ["", "[step.question]", 'text = "…"', 'choices = ["…", "…"]', "answer = 0", "",
              "[step.goal]", 'text = "…"', 'checks = ["…"]', "", "[step.solution]", "settings = {}"]
    return "\n".join(lines) + "\n"


def _toml_value(raw: str) -> str:
    """A URL value written back as the TOML value a teacher would type."""
    try:
        f = float(raw)
        if raw.strip().lower() not in ("nan", "inf", "-inf", "infinity"):
            return str(int(f)) if f.is_integer() and "." not in raw and "e" not in raw.lower() else raw
    except ValueError:
        pass
    return '"' + raw.replace("\\", "\\\\").replace('"', '\\"') + '"'
