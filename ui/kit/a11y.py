"""What every page needs to meet WCAG 2.1 AA where Streamlit's defaults fall short (issue 27), installed once
per run by the router (app.py). Checked in a real browser by tests/browser/test_accessibility_browser.py.

- Captions: Streamlit draws them at opacity 0.6 (#828180 on white, 3.9:1); at 0.75 they read 6.1:1 and
  still look secondary.
- Selected pills and segmented controls: Streamlit writes their label in the primary colour on its own 10%
  tint (#c53948 on #f9ebed, 4.47:1); a shade darker reads 5.5:1. (Setting a darker primaryColor in the
  theme would do it too, but any custom theme also turns inline code green and changes borders.)
- A disabled widget's label: Streamlit greys it to 40% (#acabaa, 2.3:1). WCAG exempts inactive controls, but
  axe cannot tell this label's control is disabled, and a reader still needs to read what it is: at 72% it
  reads 5.6:1 and still looks paler than a live label (#2f2d2b).
- A display equation that does not fit its column scrolls sideways (`.katex-display` has overflow-x auto),
  and a mouse can scroll it but a keyboard cannot reach it. A tiny script gives each one that overflows a
  tab stop (and takes it away when the column grows again), so the arrow keys scroll it.
"""
from __future__ import annotations

import streamlit as st

CSS = """<style>
[data-testid="stCaptionContainer"] { opacity: 0.75; }
[data-testid="stButtonGroup"] button[data-selected="true"],
[data-testid="stButtonGroup"] button[data-selected="true"] p { color: #b02e3c; }
[data-testid="stWidgetLabel"][disabled], [data-testid="stWidgetLabel"][disabled] p { color: rgba(47, 45, 43, 0.72); }
.st-key-a11y_scroll_focus { display: none; }
</style>"""

# Only this module's own code runs; nothing from a page goes in. One observer per browser tab: the app is a
# single page, so it outlives page switches, and a later mount finds it installed.
_JS = """
export default function() {
  if (window.__fmnistScrollFocus) return;
  window.__fmnistScrollFocus = true;
  const SELECTOR = ".katex-display";
  const scrollable = (v) => v === "auto" || v === "scroll";
  const mark = () => {
    for (const el of document.querySelectorAll(SELECTOR)) {
      const cs = getComputedStyle(el);
      const scrolls = (scrollable(cs.overflowX) && el.scrollWidth > el.clientWidth)
        || (scrollable(cs.overflowY) && el.scrollHeight > el.clientHeight);
      if (scrolls && !el.hasAttribute("tabindex")) {
        el.setAttribute("tabindex", "0");
        el.dataset.fmnistFocus = "1";
      } else if (!scrolls && el.dataset.fmnistFocus) {
        el.removeAttribute("tabindex");
        delete el.dataset.fmnistFocus;
      }
    }
  };
  let pending = null;
  const later = () => { if (!pending) pending = setTimeout(() => { pending = null; mark(); }, 150); };
  new MutationObserver(later).observe(document.body, { childList: true, subtree: true });
  window.addEventListener("resize", later);
  mark();
}
"""
_focus_keeper = st.components.v2.component("fmnist_scroll_focus", js=_JS)


def install() -> None:
    """The CSS and the script above, for this run's page. Call once per run, from the router."""
    st.html(CSS)
    with st.sidebar:  # hidden by the CSS above: it draws nothing, and its script still runs
        _focus_keeper(key="a11y_scroll_focus", height=0)
