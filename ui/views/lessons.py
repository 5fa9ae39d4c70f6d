"""The lesson panel on every page: the step, its question (answered before the run), its goal checked
live from the page's state, then the explanation; previous/next; 'copy as lesson step' in the sidebar.

Progress is kept for this browser in the store (fmnist_core.store.per_browser, progress.json), read once
per session and written as it changes; the Lessons page says what the store keeps and clears it.
"""
from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlencode

import streamlit as st

from fmnist_core.lessons import goals as lg
from fmnist_core.engine import url_state
from fmnist_core.lessons.loader import Lesson, LessonError, Step, load_lessons, step_snippet

from ui.kit import persist, presenter
from ui.views.page_registry import PAGES, ROOT, all_pages, page_info
from ui.views.lesson_values import settings as page_settings
from ui.views.lesson_values import values as page_values

LESSONS_DIR = ROOT / "lessons"
ACTIVE, PROGRESS = "lesson_active", "lesson_progress"
SESSION_KEYS = (ACTIVE, PROGRESS)  # this session's copy of the browser's lesson state
GOAL_POLL_S = 1.0  # the goal follows a live page about once a second
log = logging.getLogger(__name__)


@st.cache_resource(show_spinner=False, max_entries=4)
def _load(signature: tuple) -> tuple[list[Lesson], list[LessonError]]:
    return load_lessons(LESSONS_DIR, all_pages())


def lessons() -> tuple[list[Lesson], list[LessonError]]:
    """All lessons and the problems found; reloaded when a lesson file changes."""
    sig = tuple((p.name, p.stat().st_mtime) for p in sorted(Path(LESSONS_DIR).glob("*.toml")))
    return _load(sig)


def find(lesson_id: str, step_id: str) -> tuple[Lesson, Step] | None:
    lesson = next((ls for ls in lessons()[0] if ls.id == lesson_id), None)
    step = lesson.step(step_id) if lesson else None
    return (lesson, step) if step else None


def _all_progress() -> dict:
    """This browser's progress, {"lesson/step": {"answer", "right", "goal", "reveal"}}, read once a session."""
    if PROGRESS not in st.session_state:
        try:
            st.session_state[PROGRESS] = _stored()
        except (OSError, ValueError) as e:  # an unreadable store: progress for this session only
            log.warning("lesson progress not read: %s", e)
            st.session_state[PROGRESS] = {}
    return st.session_state[PROGRESS]


def _stored() -> dict:
    return {k: v for k, v in persist.progress().items() if isinstance(v, dict)}  # a foreign entry is skipped


def progress(lesson_id: str, step_id: str) -> dict:
    return _all_progress().setdefault(f"{lesson_id}/{step_id}", {})


def save_progress() -> None:
    """Keep this session's progress for the browser, merged with what another tab of it stored meanwhile."""
    mine = {k: v for k, v in _all_progress().items() if v}
    try:
        stored = _stored()
        persist.save_progress(stored | {k: {**stored.get(k, {}), **v} for k, v in mine.items()})
    except (OSError, ValueError) as e:  # a full disk or an over-long file: kept in this session still
        log.warning("lesson progress not stored: %s", e)


def done(step: Step, p: dict) -> bool:
    answered = step.question is None or "answer" in p
    return answered and (p.get("goal", False) if step.goal else True)


def step_query(lesson: Lesson, step: Step) -> dict[str, str]:
    """The link parameters of a step: every setting of its page (defaults, then the step's), and where it is."""
    schema = page_info(step.page).schema or {}
    values = {name: fld.default for name, fld in schema.items()} | step.settings
    q = url_state.dump(schema, values) | {"lesson": lesson.id, "step": step.id}
    if presenter.active():
        q[presenter.PARAM] = "1"
    return q


def step_link(lesson: Lesson, step: Step) -> str:
    """A relative link that opens the step (its page, settings and panel)."""
    return f"{PAGES[step.page].url_path}?{urlencode(step_query(lesson, step))}"


def go(lesson: Lesson, step: Step) -> None:
    st.session_state[ACTIVE] = (lesson.id, step.id)
    st.switch_page(PAGES[step.page].file, query_params=step_query(lesson, step))


def _read_link() -> None:
    """`lesson=...&step=...` in the link opens that step."""
    lid, sid = st.query_params.get("lesson"), st.query_params.get("step")
    if lid and sid and find(lid, sid) and st.session_state.get("_lesson_link") != (lid, sid):
        st.session_state["_lesson_link"] = (lid, sid)
        st.session_state[ACTIVE] = (lid, sid)


def _hide_css(step: Step, answered: bool) -> str:
    entry = PAGES[step.page]
    schema = page_info(step.page).schema or {}
    hidden = set(step.hide) | ({n for n in schema if n not in step.show} if step.show else set())
    keys = [f"{entry.prefix}_{n}" for n in hidden] + [f"{entry.prefix}_w_{n}" for n in hidden]
    if not answered:
        keys += list(entry.run_keys)
    if not keys:
        return ""
    return "<style>" + ", ".join(f".st-key-{k}" for k in sorted(keys)) + " { display: none !important; }</style>"


def panel(current_page: str) -> None:
    """The lesson panel for the page about to run (`current_page`: its URL path)."""
    _read_link()
    active = st.session_state.get(ACTIVE)
    if not active:
        return
    found = find(*active)
    if found is None:
        st.session_state.pop(ACTIVE, None)
        return
    lesson, step = found
    i = lesson.index(step.id)
    if PAGES[step.page].url_path != current_page:
        c1, c2, c3 = st.columns([5, 2, 1], vertical_alignment="center")
        c1.info(f"**Lesson {lesson.section} · step {i + 1}** ({step.title}) is on page *{PAGES[step.page].title}*.",
                icon="📘")
        if c2.button("Back to the step", key="lesson_back_to_step", width="stretch"):
            go(lesson, step)
        if c3.button("✕", key="lesson_leave_far", help="Leave the lesson"):
            st.session_state.pop(ACTIVE, None)
            st.rerun()
        return
    st.query_params["lesson"], st.query_params["step"] = lesson.id, step.id
    p = progress(lesson.id, step.id)
    answered = step.question is None or "answer" in p
    css = _hide_css(step, answered)
    if css:
        st.html(css)
    with st.container(border=True, key="lesson_panel"):
        head, nav = st.columns([5, 3], vertical_alignment="center")
        head.markdown(f"**📘 {lesson.title} · step {i + 1} of {len(lesson.steps)}: {step.title}**")
        b1, b2, b3 = nav.columns([1, 1, 0.5])
        if b1.button("◀ Previous", key="lesson_prev", disabled=i == 0, width="stretch"):
            go(lesson, lesson.steps[i - 1])
        if b2.button("Next ▶", key="lesson_next", disabled=i == len(lesson.steps) - 1, width="stretch",
                     type="primary" if done(step, p) else "secondary"):
            go(lesson, lesson.steps[i + 1])
        if b3.button("✕", key="lesson_leave", help="Leave the lesson (your progress is kept)"):
            st.session_state.pop(ACTIVE, None)
            st.query_params.pop("lesson", None)
            st.query_params.pop("step", None)
            st.rerun()
        if step.text:
            st.markdown(step.text)
        left, right = st.columns(2) if step.question and step.goal else (st.container(), st.container())
        with left:
            if step.question:
                _question(lesson, step, p)
        with right:
            if step.goal and answered:
                (_goal_live if not p.get("goal") else _goal_static)(lesson.id, step.id)
            elif step.goal:
                st.markdown(f"🎯 **Goal:** {step.goal.text}")
                st.caption("Answer the question first: the page's run buttons appear once you have predicted.")
        if answered and (p.get("goal") or not step.goal or p.get("reveal")):
            _explanation(step, p)
        elif answered and step.goal:
            if st.button("Show the explanation without reaching the goal", key="lesson_reveal", type="tertiary"):
                p["reveal"] = True
                save_progress()
                st.rerun()


def _question(lesson: Lesson, step: Step, p: dict) -> None:
    q = step.question
    st.markdown(f"❓ **Predict first:** {q.text}")
    if "answer" in p:
        try:
            given = q.choices[p["answer"]] if q.is_choice else f"{p['answer']:g}{(' ' + q.unit) if q.unit else ''}"
        except (IndexError, TypeError, ValueError):  # stored for an older version of this lesson file
            given = str(p["answer"])
        st.markdown(f"Your prediction: **{given}**")
        return
    key = f"lesson_q_{lesson.id}_{step.id}"
    if q.is_choice:
        pick = st.radio("Your answer", range(len(q.choices)), format_func=lambda j: q.choices[j], index=None,
                        key=key, label_visibility="collapsed")
    else:
        pick = st.number_input(f"Your answer{(' (' + q.unit + ')') if q.unit else ''}", value=None, key=key,
                               format="%g")
    if st.button("Lock in my prediction", key="lesson_answer", disabled=pick is None, type="primary"):
        p["answer"] = int(pick) if q.is_choice else float(pick)
        p["right"] = q.is_right(p["answer"])
        save_progress()
        st.rerun()


def _goal_body(lesson_id: str, step_id: str) -> None:
    found = find(lesson_id, step_id)
    if found is None:
        return
    lesson, step = found
    p = progress(lesson_id, step_id)
    results = lg.evaluate(step.goal, page_values(step.page))
    met = all(r.met for r in results)
    with st.container(key="lesson_goal"):
        st.markdown(f"🎯 **Goal:** {step.goal.text}" + ("  \n✅ **Goal reached!**" if met or p.get("goal") else ""))
        st.markdown("\n".join(f"- {'✅' if r.met else '⬜'} {lg.describe(r, step.page)}" for r in results))
    if met and not p.get("goal"):
        p["goal"] = True
        save_progress()
        st.rerun(scope="app")  # the explanation and Next appear; the polling stops


_goal_live = st.fragment(run_every=GOAL_POLL_S)(_goal_body)
_goal_static = st.fragment(_goal_body)


def _explanation(step: Step, p: dict) -> None:
    q = step.question
    if q is not None:
        right = q.choices[int(q.answer)] if q.is_choice else f"{q.answer:g}{(' ' + q.unit) if q.unit else ''}"
        if p.get("right"):
            st.success(f"Your prediction was right: **{right}**.", icon="✅")
        else:
            st.warning(f"The answer is **{right}**.", icon="💡")
    if step.explanation:
        st.markdown(f"💡 {step.explanation}")


def copy_as_step(current_page: str) -> None:
    """Sidebar: the current page's settings as a [[step]] snippet and a link (for teachers)."""
    page = next((name for name, e in PAGES.items() if e.url_path == current_page), None)
    if page is None or page_info(page).schema is None:
        return
    schema = page_info(page).schema
    values = page_settings(page)
    try:
        raw = url_state.dump(schema, values)
    except (TypeError, ValueError):
        return
    defaults = url_state.dump(schema, {n: f.default for n, f in schema.items()})
    with st.sidebar.expander("📋 Copy as lesson step"):
        st.caption("This page's settings (those you changed) as a step for a `lessons/*.toml` file, and a link "
                   "that opens the page like this.")
        st.code(step_snippet(page, raw, defaults), language="toml")
        st.code(f"{PAGES[page].url_path}?{urlencode(raw)}", language=None, wrap_lines=True)
