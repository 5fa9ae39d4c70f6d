"""A headless Streamlit client: speaks the browser's websocket protocol, without a browser.

One `StClient` is one browser tab. It connects to `/_stcore/stream`, asks for a page the way the
frontend does (a `rerun_script` BackMsg with the page's url path as `page_name`), keeps the
current element tree from the ForwardMsg deltas, reruns `run_every` fragments on their timers (as
the frontend does, so a page's heartbeat keeps beating), and clicks buttons by sending a
`trigger_value` widget state. Used by bench/many_students.py and tests/pages/test_many_students.py.

    c = StClient("http://127.0.0.1:8501", page="training")
    c.connect(); c.wait_run()
    c.click("Start"); time.sleep(10)
    print(c.texts(), c.exceptions, c.dropped)
    c.close()
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

import websocket  # websocket-client
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

FINISHED_OK = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)
# Element fields that hold what a reader sees (the rest is layout and styling).
_TEXT_FIELDS = ("body", "label", "text", "message", "value", "title", "code_text", "caption")


@dataclass
class Node:
    kind: str  # element type ("markdown", "button", ...) or "block"
    proto: object  # the Element or Block message
    run_id: str
    fragment_id: str


@dataclass
class Button:
    id: str
    label: str
    fragment_id: str
    disabled: bool


def element_text(kind: str, el) -> str:
    """What a reader sees in one element, as plain text (best effort, for searching)."""
    if kind == "exception":
        return f"{el.type}: {el.message}"
    parts = []
    for name in _TEXT_FIELDS:
        if name in el.DESCRIPTOR.fields_by_name:
            v = getattr(el, name)
            if isinstance(v, str) and v:
                parts.append(v)
    return " ".join(parts)


@dataclass
class StClient:
    base_url: str  # http://127.0.0.1:PORT
    page: str = ""  # url path of the page ("" for the default page)
    query: str = ""  # query string without "?"
    name: str = "client"
    timeout: float = 60.0
    auto_rerun: bool = True  # rerun run_every fragments as the browser does
    # filled while running
    session_id: str = ""
    page_script_hash: str = ""
    exceptions: list[str] = field(default_factory=list)
    page_not_found: bool = False
    dropped: str = ""  # why the connection ended, when we did not close it
    seen_texts: list[tuple[float, str]] = field(default_factory=list)  # every text ever rendered
    n_messages: int = 0
    n_runs: int = 0  # finished runs (full and fragment)
    n_interrupted: int = 0  # runs cut short by a newer rerun request
    refresh_s: list[float] = field(default_factory=list)  # auto-rerun asked -> that fragment run finished

    def __post_init__(self):
        self._ws: websocket.WebSocket | None = None
        self._lock = threading.RLock()
        self._tree: dict[tuple[int, ...], Node] = {}
        self._finished = threading.Condition(self._lock)
        self._full_runs_done = 0
        self._running_full = False
        self._fragments: dict[str, float] = {}  # fragment id -> run_every interval (s)
        self._next_fire: dict[str, float] = {}
        self._run_id = ""
        self._pending: dict[str, float] = {}  # fragment id -> when its auto-rerun was asked for
        self._closing = threading.Event()
        self._threads: list[threading.Thread] = []

    # ------------------------------------------------------------------ connection
    def connect(self) -> "StClient":
        ws_url = self.base_url.replace("http://", "ws://").replace("https://", "wss://") + "/_stcore/stream"
        self._ws = websocket.create_connection(ws_url, subprotocols=["streamlit"], timeout=self.timeout,
                                               origin=self.base_url, enable_multithread=True)
        self._spawn(self._recv_loop, "recv")
        if self.auto_rerun:
            self._spawn(self._timer_loop, "timer")
        self.rerun()
        return self

    def close(self) -> None:
        """Close the tab: the server sees the websocket go away."""
        self._closing.set()
        if self._ws is not None:
            try:
                self._ws.close(timeout=2)
            except Exception:
                pass
        for t in self._threads:
            t.join(3)

    @property
    def connected(self) -> bool:
        return self._ws is not None and self._ws.connected and not self.dropped

    def _spawn(self, fn, what: str) -> None:
        t = threading.Thread(target=fn, daemon=True, name=f"{self.name}-{what}")
        t.start()
        self._threads.append(t)

    # ------------------------------------------------------------------ sending
    def _send(self, msg: BackMsg) -> None:
        try:
            self._ws.send_binary(msg.SerializeToString())
        except Exception as e:
            if not self._closing.is_set() and not self.dropped:
                self.dropped = f"send failed: {type(e).__name__}: {e}"

    def rerun(self, widgets: list | None = None, fragment_id: str = "", auto: bool = False) -> None:
        """Ask for a script run (full, or one fragment), as the frontend does."""
        msg = BackMsg()
        rs = msg.rerun_script
        rs.query_string = self.query
        rs.page_name = self.page
        if self.page_script_hash:
            rs.page_script_hash = self.page_script_hash
        if fragment_id:
            rs.fragment_id = fragment_id
        rs.is_auto_rerun = auto
        rs.widget_states.widgets.extend(widgets or [])
        if not fragment_id:
            with self._lock:
                self._running_full = True
        self._send(msg)

    def click(self, label: str) -> Button:
        """Click the first enabled button whose label contains `label`."""
        btn = self.button(label)
        if btn is None:
            raise LookupError(f"{self.name}: no button labelled {label!r}; buttons: "
                              f"{[b.label for b in self.buttons()]}")
        if btn.disabled:
            raise LookupError(f"{self.name}: button {btn.label!r} is disabled")
        self.rerun([WidgetState(id=btn.id, trigger_value=True)], fragment_id=btn.fragment_id)
        return btn

    # ------------------------------------------------------------------ receiving
    def _recv_loop(self) -> None:
        while not self._closing.is_set():
            try:
                data = self._ws.recv()
            except websocket.WebSocketTimeoutException:
                continue
            except Exception as e:
                if not self._closing.is_set():
                    self.dropped = f"{type(e).__name__}: {e}"
                with self._lock:
                    self._finished.notify_all()
                return
            if not data:
                if not self._closing.is_set():
                    self.dropped = "server closed the connection"
                with self._lock:
                    self._finished.notify_all()
                return
            fm = ForwardMsg()
            fm.ParseFromString(data)
            self._handle(fm)

    def _handle(self, fm: ForwardMsg) -> None:
        kind = fm.WhichOneof("type")
        with self._lock:
            self.n_messages += 1
            # Only new_session and script_finished name their run; deltas belong to the latest one.
            if kind == "new_session":
                self._run_id = fm.metadata.run.script_run_id
                ns = fm.new_session
                if ns.HasField("initialize"):
                    self.session_id = ns.initialize.session_id
                self.page_script_hash = ns.page_script_hash or self.page_script_hash
                if not fm.metadata.run.fragment_ids:
                    # A full run re-registers its fragments' timers, as the frontend does.
                    self._fragments.clear()
            elif kind == "navigation":
                if fm.navigation.page_script_hash:
                    self.page_script_hash = fm.navigation.page_script_hash
            elif kind == "delta":
                self._apply_delta(fm, self._run_id)
            elif kind == "auto_rerun":
                fid, every = fm.auto_rerun.fragment_id, fm.auto_rerun.interval
                self._fragments[fid] = every
                self._next_fire.setdefault(fid, time.monotonic() + every)
            elif kind == "stop_auto_rerun":
                for fid in fm.stop_auto_rerun.fragment_ids:
                    self._fragments.pop(fid, None)
            elif kind == "page_not_found":
                self.page_not_found = True
            elif kind == "script_finished":
                status = fm.script_finished
                fragment_ids = set(fm.metadata.run.fragment_ids)
                if status == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
                    for fid in fragment_ids:
                        t = self._pending.pop(fid, None)
                        if t is not None:
                            self.refresh_s.append(time.monotonic() - t)
                if status in FINISHED_OK:
                    self._prune(fm.metadata.run.script_run_id or self._run_id, fragment_ids)
                if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    self.n_interrupted += 1
                else:
                    self.n_runs += 1
                    if status != ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
                        self._full_runs_done += 1
                        self._running_full = False
                self._finished.notify_all()

    def _apply_delta(self, fm: ForwardMsg, run_id: str) -> None:
        delta = fm.delta
        path = tuple(fm.metadata.delta_path)
        dk = delta.WhichOneof("type")
        if dk == "new_element":
            el = delta.new_element
            ek = el.WhichOneof("type") or "empty"
            self._tree[path] = Node(ek, el, run_id, delta.fragment_id)
            sub = getattr(el, ek) if ek != "empty" else None
            if ek == "exception":
                self.exceptions.append(element_text(ek, sub))
            if sub is not None:
                text = element_text(ek, sub)
                if text:
                    self.seen_texts.append((time.time(), text))
        elif dk == "add_block":
            self._tree[path] = Node("block", delta.add_block, run_id, delta.fragment_id)

    def _prune(self, run_id: str, fragment_ids: set[str]) -> None:
        """Drop what the finished run did not redraw (the frontend's stale-element cleanup)."""
        for path, node in list(self._tree.items()):
            if node.run_id == run_id:
                continue
            if fragment_ids and node.fragment_id not in fragment_ids:
                continue  # a fragment run only replaces its own elements
            del self._tree[path]

    def _timer_loop(self) -> None:
        while not self._closing.wait(0.05):
            if self.dropped:
                return
            now = time.monotonic()
            due = []
            with self._lock:
                for fid, every in self._fragments.items():
                    if now >= self._next_fire.get(fid, 0):
                        self._next_fire[fid] = now + every
                        due.append(fid)
            for fid in due:
                with self._lock:
                    self._pending.setdefault(fid, time.monotonic())
                self.rerun(fragment_id=fid, auto=True)

    # ------------------------------------------------------------------ reading
    def wait_run(self, timeout: float | None = None) -> bool:
        """Wait until the full run asked for last has finished; False on timeout or drop."""
        deadline = time.monotonic() + (timeout or self.timeout)
        with self._lock:
            while self._running_full and not self.dropped:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._finished.wait(left)
            return not self.dropped

    def wait_for_text(self, needle: str, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.dropped:
                return False
            if any(needle.lower() in t.lower() for t in self.texts()):
                return True
            time.sleep(0.1)
        return False

    def nodes(self) -> list[Node]:
        with self._lock:
            return [self._tree[p] for p in sorted(self._tree)]

    def texts(self) -> list[str]:
        out = []
        for n in self.nodes():
            if n.kind not in ("block", "empty"):
                t = element_text(n.kind, getattr(n.proto, n.kind))
                if t:
                    out.append(t)
        return out

    def buttons(self) -> list[Button]:
        return [Button(n.proto.button.id, n.proto.button.label, n.fragment_id, n.proto.button.disabled)
                for n in self.nodes() if n.kind == "button"]

    def button(self, label: str) -> Button | None:
        matches = [b for b in self.buttons() if label.lower() in b.label.lower()]
        enabled = [b for b in matches if not b.disabled]
        return (enabled or matches or [None])[0]

    def component_data(self, name: str) -> dict | None:
        """The data the custom component `name` (st.components.v2) was last mounted with, or None."""
        found = [n for n in self.nodes()
                 if n.kind == "bidi_component" and n.proto.bidi_component.component_name == name]
        return json.loads(found[-1].proto.bidi_component.json) if found else None

    def ever_saw(self, needle: str) -> bool:
        with self._lock:
            return any(needle.lower() in t.lower() for _, t in self.seen_texts)
