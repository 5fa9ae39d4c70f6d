// Keys and live text for a plotly animation with a step slider (ui/kit/animation_keys.py). The chart is the
// plotly chart whose element key is data.chart; its frames are named by step (data.steps). Space plays or
// pauses, Left/Right step a frame (Shift or PageUp/PageDown: ten), Home/End go to the ends. The live text
// says the step and each series' value: at once after a key, at most every 2 s while playing (10 s unfocused).
// prefers-reduced-motion: Space plays at 4 frames a second at most.
const STATES = new WeakMap();  // parentElement -> state
const SPEAK_MS = 2000, SPEAK_UNFOCUSED_MS = 10000, REDUCED_FRAME_MS = 250;
const MOTION = window.matchMedia ? window.matchMedia("(prefers-reduced-motion: reduce)") : null;
const reduced = () => !!(MOTION && MOTION.matches);
const QUICK = { frame: { duration: 0, redraw: false }, mode: "immediate", transition: { duration: 0 } };

function el(tag, cls, parent, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text) e.textContent = text; if (parent) parent.appendChild(e); return e; }
function fmt(v) {
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 1e5 || a < 1e-3 ? v.toExponential(2) : v.toLocaleString("en", { maximumSignificantDigits: 3 });
}

function build(st) {
  st.root.innerHTML = "";
  st.hint = el("div", "ak-keys", st.root);
  st.say = el("div", "ak-sr", st.root); st.say.dataset.fmnist = "animation-summary";
  st.say.setAttribute("aria-live", "polite"); st.say.setAttribute("aria-atomic", "true");
}

function chartBox(st) {
  const c = document.querySelector(`.st-key-${CSS.escape(st.data.chart)}`);
  return c ? c.querySelector("[data-testid='stPlotlyChart']") : null;
}
function plot(st) { return st.box ? st.box.querySelector(".js-plotly-plot") : null; }

// Finds the chart (it may draw after this component) and gives it focus, keys and the frame events once.
function attach(st) {
  clearTimeout(st.retry);
  if (!st.root.isConnected) return;
  const box = chartBox(st), gd = box && box.querySelector(".js-plotly-plot");
  if (!box || !gd || !gd._fullLayout || !window.Plotly) { st.retry = setTimeout(() => attach(st), 300); return; }
  st.box = box; box.__fmnistKeys = st;
  if (!box.classList.contains("fmnist-ak-chart")) {
    box.classList.add("fmnist-ak-chart"); box.tabIndex = 0;
    box.addEventListener("keydown", ev => onKey(box.__fmnistKeys, ev));
    box.addEventListener("focus", () => { const s = box.__fmnistKeys; s.focused = true; s.root.classList.add("ak-on"); });
    box.addEventListener("blur", () => { const s = box.__fmnistKeys; s.focused = false; s.root.classList.remove("ak-on"); });
  }
  box.dataset.fmnist = "animation";
  box.setAttribute("role", "application"); box.setAttribute("aria-roledescription", "animated chart");
  box.setAttribute("aria-label", `${st.data.what}, step by step. Space plays or pauses; the left and right arrows `
    + "step one frame, with Shift ten; Home and End go to the start and the end.");
  if (!gd.__fmnistKeysOn) {  // once per plot (a new figure for the same chart keeps them; each reads box's state)
    gd.__fmnistKeysOn = true;
    gd.on("plotly_animatingframe", e => { const s = box.__fmnistKeys, i = s.data.steps.indexOf(+e.name); if (i >= 0) { s.index = i; announce(s, false); } });
    gd.on("plotly_animated", () => { const s = box.__fmnistKeys; s.playing = false; announce(s, false); });
    gd.on("plotly_animationinterrupted", () => { box.__fmnistKeys.playing = false; });
  }
  const sl = gd._fullLayout.sliders && gd._fullLayout.sliders[0];
  st.index = sl && Number.isInteger(sl.active) ? sl.active : st.data.steps.length - 1;
  announce(st, true);
}

function playing(st, gd) { return !!(st.playing || (gd._transitionData && gd._transitionData._animationRaf)); }

function onKey(st, ev) {
  if (ev.target !== st.box || ev.altKey || ev.ctrlKey || ev.metaKey) return;
  const gd = plot(st), n = st.data.steps.length, k = ev.shiftKey ? 10 : 1;
  if (!gd || !n || !window.Plotly) return;
  const go = { "ArrowLeft": st.index - k, "ArrowRight": st.index + k, "PageUp": st.index - 10, "PageDown": st.index + 10,
               "Home": 0, "End": n - 1 }[ev.key];
  const space = ev.key === " " || ev.key === "Spacebar";
  if (go === undefined && !space) return;
  ev.preventDefault(); ev.stopPropagation();  // the page does not scroll, Streamlit sees no key
  const names = st.data.steps.map(String);
  if (space && playing(st, gd)) {
    st.playing = false;
    window.Plotly.animate(gd, [null], QUICK).catch(() => {});  // the interrupted play rejects
  } else if (space) {
    const from = st.index >= n - 1 ? 0 : st.index + 1, ms = Math.max(st.data.frame_ms, reduced() ? REDUCED_FRAME_MS : 0);
    st.playing = true;
    window.Plotly.animate(gd, names.slice(from), { frame: { duration: ms, redraw: false }, mode: "immediate", transition: { duration: 0 } }).catch(() => {});
  } else {
    st.playing = false;
    st.index = Math.max(0, Math.min(n - 1, go));
    window.Plotly.animate(gd, [names[st.index]], QUICK).catch(() => {});
  }
  announce(st, true);
}

function summary(st) {
  const d = st.data, j = Math.max(0, Math.min(d.steps.length - 1, st.index)), step = d.steps[j];
  const parts = d.series.map(s => {
    const v = s.values[j];
    if (v === null || v === undefined) return s.stop !== null && step > s.stop && s.note ? `${s.label} ${s.note}` : `${s.label} no value`;
    return `${s.label} ${d.quantity} ${fmt(v)}`;
  });
  return `Step ${step.toLocaleString("en")} of ${d.of.toLocaleString("en")}${st.playing ? ", playing" : ""}: ${parts.join(", ")}.`;
}

function announce(st, now) {
  clearTimeout(st.sayTimer);
  const focused = !!st.box && document.activeElement === st.box;
  const wait = now ? 0 : (st.spokeAt || -1e9) + (focused ? SPEAK_MS : SPEAK_UNFOCUSED_MS) - performance.now();
  if (wait > 0) { st.sayTimer = setTimeout(() => announce(st, true), wait); return; }
  const text = summary(st);
  if (st.say.textContent !== text) { st.say.textContent = text; st.spokeAt = performance.now(); }
  st.root.dataset.index = String(st.index);
}

export default function (component) {
  const { data, parentElement } = component;
  let st = STATES.get(parentElement);
  if (!st) {
    st = { root: parentElement.querySelector(".ak-root") || parentElement, index: 0, playing: false, focused: false };
    build(st);
    STATES.set(parentElement, st);
  }
  if (!data) return;
  st.data = data;
  st.hint.textContent = "⌨ Chart focused (Tab): Space play / pause · ← → one frame (Shift: 10) · Home / End";
  st.root.dataset.motion = reduced() ? "reduce" : "full";
  attach(st);
}
