"""One page registry: every title the app shows for a page is the registry's, in the navigation, on the
home and Lessons pages, in the lesson panel, and wherever a page's text names another page."""
from __future__ import annotations

import re
import tomllib

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from ui.views.page_registry import LECTURE, PAGES

TITLES = {e.title: e for e in PAGES.values()}
# "6 · Train on Fashion-MNIST", or "5 · Train on Fashion-MNIST" (a wrong number): any number before a page's name
NUMBERED = re.compile(r"(\d+) · (" + "|".join(re.escape(e.name) for e in LECTURE) + ")")
PAGE_NUMBERS = re.compile(r"\bpages? (\d+(?:(?:, | and | or |-|–)\d+)*)")  # "page 6", "pages 7 and 8"


def test_the_registry_numbers_the_lecture_in_order():
    assert [e.title for e in PAGES.values()] == [
        "Start here", "1 · Neurons & activations", "2 · Decision boundaries", "3 · How a network learns",
        "4 · Weight initialization", "5 · Optimizers", "6 · Train on Fashion-MNIST", "7 · What each layer learns",
        "8 · Draw a garment", "9 · Fool, dream, break", "10 · Overfitting & its cures", "Lessons"]
    assert [e.number for e in LECTURE] == list(range(1, 11))
    assert all(e.exists for e in PAGES.values()) and [e.key for e in PAGES.values() if e.default] == ["home"]


@pytest.fixture(scope="module")
def home() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_router_shows_the_registry_titles_and_icons(home):
    shown = [(p["page_name"], p["icon"], p["script_path"], p["url_pathname"]) for p in home._registered_pages.values()]
    assert shown == [(e.title, e.icon, str(ROOT / e.file), e.url_path) for e in PAGES.values()]


def test_the_home_page_lists_the_lecture_from_the_registry(home):
    cards = [m.value for m in home.markdown if m.value.startswith("### ")]
    assert cards == [f"### {e.icon}\n**{e.title}**" for e in LECTURE]
    assert [p.proto.page for p in home.get("page_link")] == [e.key for e in LECTURE] + ["lessons"]


def test_the_lessons_page_and_panel_name_pages_by_their_registry_title(home):
    at = home.switch_page(PAGES["lessons"].file).run()
    assert not at.exception
    links = at.get("page_link")
    assert len(links) >= 14
    for link in links:
        entry = PAGES[link.proto.page]
        assert link.proto.label.endswith(f" — *{entry.title}*"), link.proto.label
    # A lesson step open while the student is on another page (here the home page): the panel names its page.
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["lesson_active"] = ("06_training", "too-large-lr")
    at.run()
    info = " ".join(i.value for i in at.info)
    assert f"is on page *{PAGES['training'].title}*" in info, info


def _texts() -> list[tuple[str, str]]:
    """(file, text) of every page, view and kit module, the lesson files and the README."""
    files = [*sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").rglob("*.py")),
             *sorted((ROOT / "lessons").glob("*.toml")), ROOT / "README.md", ROOT / "app.py"]
    return [(str(f.relative_to(ROOT)), f.read_text(encoding="utf-8")) for f in files if f.is_file()]


def test_cross_references_in_page_text_use_the_registry_numbers():
    by_name = {e.name: e for e in LECTURE}
    wrong, out_of_range = [], []
    for file, text in _texts():
        for m in NUMBERED.finditer(text):
            if int(m.group(1)) != by_name[m.group(2)].number:
                wrong.append(f"{file}: {m.group(0)!r} (it is {by_name[m.group(2)].title!r})")
        for m in PAGE_NUMBERS.finditer(text):
            numbers = [int(n) for n in re.findall(r"\d+", m.group(1))]
            if not all(1 <= n <= len(LECTURE) for n in numbers):
                out_of_range.append(f"{file}: {m.group(0)!r}")
    assert not wrong, wrong
    assert not out_of_range, out_of_range
    assert NUMBERED.search("as page 5 · Train on Fashion-MNIST shows").group(1) == "5"  # the check sees one


def test_each_lesson_is_numbered_as_the_page_it_opens():
    for path in sorted((ROOT / "lessons").glob("*.toml")):
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        pages = {s["page"] for s in doc["step"]}
        if len(pages) == 1:
            assert doc["section"] == PAGES[pages.pop()].number, path.name
