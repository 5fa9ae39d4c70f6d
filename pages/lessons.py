"""Lessons: guided steps through the lecture, each with a prediction to make and a goal the app checks."""
import streamlit as st

from ui.views import kept_data
from ui.views import lessons as L
from ui.kit.common import ensure_router
from ui.views.page_registry import PAGES

ensure_router()

st.title("📘 Lessons")
st.markdown(
    "Each step opens a page with the right settings, asks you to **predict** what will happen, sets a **goal** "
    "the app checks as you work, then explains. Your progress is kept for this browser on this server: "
    "[what is kept, and how to clear it](#what-this-server-keeps-about-you).")

all_lessons, errors = L.lessons()
total = sum(len(ls.steps) for ls in all_lessons)
finished = sum(L.done(s, L.progress(ls.id, s.id)) for ls in all_lessons for s in ls.steps)
if total:
    st.progress(finished / total, text=f"**{finished} of {total} steps done**")

for lesson in all_lessons:
    n_done = sum(L.done(s, L.progress(lesson.id, s.id)) for s in lesson.steps)
    with st.container(border=True, key=f"lessons_card_{lesson.id}"):
        head, go = st.columns([5, 1], vertical_alignment="center")
        head.subheader(f"{lesson.section} · {lesson.title}")
        head.caption(f"{n_done} of {len(lesson.steps)} steps done" + (f" · {lesson.intro}" if lesson.intro else ""))
        first = next((s for s in lesson.steps if not L.done(s, L.progress(lesson.id, s.id))), lesson.steps[0])
        if go.button("Start" if n_done == 0 else "Continue", key=f"lessons_start_{lesson.id}", type="primary",
                     width="stretch"):
            L.go(lesson, first)
        for i, step in enumerate(lesson.steps, start=1):
            mark = "✅" if L.done(step, L.progress(lesson.id, step.id)) else "⬜"
            st.page_link(PAGES[step.page].file, label=f"{mark} {i}. {step.title} — *{PAGES[step.page].title}*",
                         query_params=L.step_query(lesson, step))

if errors:
    st.subheader("Problems in the lesson files")
    st.caption("These steps were left out; the rest of the lessons work.")
    for e in errors:
        st.error(f"**{e.file}**" + (f", {e.step}" if e.step else "") + f": {e.reason}")
if not all_lessons:
    st.info("No lessons found in `lessons/*.toml`.")

st.divider()
kept_data.section(session_keys=L.SESSION_KEYS)
