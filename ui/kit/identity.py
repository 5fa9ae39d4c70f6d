"""Who this browser is: an unguessable id kept in a cookie, read on every visit.

The id (`fmnist_core.store.keys.new_browser_id`, 256 random bits) names the browser's folder in the store
and owns its training job, so that a reload, or a second tab of the same browser, finds its runs and
its running job again. It lives only in a cookie (SameSite=Strict), never in the URL: sharing a link
to an experiment never shares a student's runs.

A visit reads the cookie from `st.context.cookies` (sent with the websocket's handshake). On a first
visit there is none: the server makes an id and a tiny component (the JavaScript below, the only
code it runs) writes it into the cookie. Should the browser have got one meanwhile (two tabs opened
at once), the component sends that one back and the session adopts it. Without cookies the id lasts
as long as the session, as a session id would.
"""
from __future__ import annotations

import streamlit as st

from fmnist_core.engine.jobs import get_manager
from fmnist_core.store.keys import ID_RE, new_browser_id, valid_id
from fmnist_core.store.per_browser import Limits

COOKIE = "fmnist_browser"
_KEY = "_identity_browser_id"

# Data comes in as arguments and is checked against the id pattern before it reaches the cookie.
_JS = """
export default function(component) {
  const { data, setStateValue } = component;
  const valid = new RegExp(data.pattern);
  let have = null;
  for (const part of document.cookie.split(";")) {
    const i = part.indexOf("=");
    const name = part.slice(0, i).trim(), value = part.slice(i + 1).trim();
    if (name === data.name && valid.test(value)) have = value;
  }
  const id = have || (valid.test(data.proposal) ? data.proposal : null);
  if (!id) return;
  const secure = location.protocol === "https:" ? "; Secure" : "";
  document.cookie = `${data.name}=${id}; Path=/; Max-Age=${data.max_age}; SameSite=Strict${secure}`;
  if (id !== data.proposal) setStateValue("id", id);
}
"""
_cookie_keeper = st.components.v2.component("fmnist_identity", js=_JS)


def _from_cookie() -> str | None:
    try:
        value = st.context.cookies.get(COOKIE)
    except Exception:  # no browser behind this run (AppTest, bare mode)
        return None
    return value if valid_id(value) else None


def browser_id() -> str:
    """This browser's id: from its cookie, else a new one for this session (and, soon, the cookie)."""
    ss = st.session_state
    bid = ss.get(_KEY)
    if not valid_id(bid):
        bid = ss[_KEY] = _from_cookie() or new_browser_id()
    return bid


def keep_cookie() -> None:
    """Write the id into the browser's cookie, refreshing its lifetime; adopt the browser's own if it has one.

    Called once per run by the router (app.py), before the page: an adopted id applies to that page.
    """
    bid = browser_id()
    with st.sidebar:
        result = _cookie_keeper(key="identity_cookie", on_id_change=lambda: None, height=0,
                                data={"proposal": bid, "name": COOKIE, "pattern": ID_RE.pattern.replace("\\Z", "$"),
                                      "max_age": int(Limits.from_env().max_age_s)})
    theirs = (result or {}).get("id")
    if valid_id(theirs) and theirs != bid and not get_manager().jobs_of(bid):
        st.session_state[_KEY] = theirs
