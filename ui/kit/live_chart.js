// Live line charts (ui/live_chart.py): panels of series on one canvas. When an update brings more points,
// the new part of each line is revealed over about the time between updates and the axes ease to their
// new range, so the curves grow at display rate; between animations nothing is drawn but hover.
// prefers-reduced-motion: no reveal and no easing, each update is drawn at once. Keyboard: the canvas is
// focusable; Left/Right move a reading cursor along x (Shift: ten points), Home/End to the ends, Escape
// hides it. A visually hidden live region gives each series' last value (at most every 2 s while the
// chart is live, 10 s unfocused), or the values at the cursor at once after a key.
const CHARTS = new WeakMap();  // parentElement -> chart state, kept across data updates
const SPEAK_MS = 2000, SPEAK_UNFOCUSED_MS = 10000;
const MOTION = window.matchMedia ? window.matchMedia("(prefers-reduced-motion: reduce)") : null;
const reduced = () => !!(MOTION && MOTION.matches);
const KEYS_HELP = "← → (Shift: 10) · Home / End · Esc";  // under the values the reading cursor shows

function f32(s) { const b = atob(s); const u = new Uint8Array(b.length); for (let i = 0; i < b.length; i++) u[i] = b.charCodeAt(i); return new Float32Array(u.buffer, 0, u.length >> 2); }
function el(tag, cls, parent, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text) e.textContent = text; if (parent) parent.appendChild(e); return e; }
const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
const SUP = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };

function niceStep(span, n) {
  const raw = span / Math.max(1, n), p = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / p;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * p;
}
function fmtTick(v, step) {
  const d = clamp(-Math.floor(Math.log10(step) + 1e-9), 0, 6);
  if (Math.abs(v) < step * 1e-6) v = 0;
  return v.toLocaleString("en", { minimumFractionDigits: d, maximumFractionDigits: d });
}
function fmtValue(v) {  // the hover readout: 4 significant digits
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(2);
  return v.toLocaleString("en", { maximumSignificantDigits: 4 });
}
function fmtPow(k) {
  if (k >= -3 && k <= 4) return Math.pow(10, k).toLocaleString("en", { maximumFractionDigits: 3 });
  return "10" + String(k).split("").map(c => SUP[c]).join("");
}

// Ticks of an axis whose range [lo, hi] is in axis space (log10 of the value on a log axis): [[pos, text]].
function ticks(lo, hi, log, px, spacing) {
  const n = Math.max(2, Math.floor(px / spacing)), out = [];
  if (log && hi - lo >= 1) {
    const every = Math.max(1, Math.ceil((hi - lo) / n));
    for (let k = Math.ceil(lo - 1e-9); k <= hi + 1e-9; k++) if (k % every === 0) out.push([k, fmtPow(k)]);
    if (hi - lo <= 2.2) for (let k = Math.floor(lo); k <= hi; k++) for (const m of [2, 5]) {
      const p = k + Math.log10(m); if (p >= lo && p <= hi) out.push([p, fmtValue(m * Math.pow(10, k))]);
    }
    return out;
  }
  const a = log ? Math.pow(10, lo) : lo, b = log ? Math.pow(10, hi) : hi, step = niceStep(b - a, n);
  for (let v = Math.ceil(a / step - 1e-9) * step; v <= b + step * 1e-9; v += step) out.push([log ? Math.log10(v) : v, fmtTick(v, step)]);
  return out;
}

function build(st) {
  const root = st.root; root.innerHTML = "";
  st.legend = el("div", "lc-legend", root); st.legend.dataset.fmnist = "live-chart-legend";
  st.cv = el("canvas", "", root); st.cv.dataset.fmnist = "live-chart"; st.cv.tabIndex = 0;
  st.cv.setAttribute("role", "application"); st.cv.setAttribute("aria-roledescription", "line chart");
  st.say = el("div", "lc-sr", root); st.say.dataset.fmnist = "live-chart-summary";
  st.say.setAttribute("aria-live", "polite"); st.say.setAttribute("aria-atomic", "true");
  st.cv.addEventListener("mousemove", ev => { const r = st.cv.getBoundingClientRect(); st.mouse = [ev.clientX - r.left, ev.clientY - r.top]; kick(st); });
  st.cv.addEventListener("mouseleave", () => { st.mouse = null; kick(st); });
  st.cv.addEventListener("keydown", ev => onKey(st, ev));
  st.cv.addEventListener("focus", () => {  // from the keyboard: the reading starts at the newest values
    st.focused = true;
    if (st.cursor === null && st.xs.length && st.cv.matches(":focus-visible")) { st.cursor = st.xs.length - 1; kick(st); announce(st, true); }
  });
  st.cv.addEventListener("blur", () => { st.focused = false; if (st.cursor !== null) { st.cursor = null; kick(st); } });
  const onMotion = () => { if (!st.root.isConnected) { MOTION.removeEventListener("change", onMotion); return; } motion(st); kick(st); };
  if (MOTION && MOTION.addEventListener) MOTION.addEventListener("change", onMotion);
  if (window.ResizeObserver) new ResizeObserver(() => kick(st)).observe(root);
  motion(st);
}

function motion(st) { st.root.dataset.motion = reduced() ? "reduce" : "full"; }

// ---------------------------------------------------------------- keyboard and the live text

function onKey(st, ev) {
  if (ev.altKey || ev.ctrlKey || ev.metaKey || !st.data || !st.xs.length) return;
  const n = ev.shiftKey ? 10 : 1, last = st.xs.length - 1, at = st.cursor === null ? null : st.cursor;
  const to = { "ArrowLeft": at === null ? last : at - n, "ArrowRight": at === null ? last : at + n,
               "Home": 0, "End": last, "Escape": null }[ev.key];
  if (to === undefined) return;
  ev.preventDefault(); ev.stopPropagation();  // the page does not scroll, Streamlit sees no key
  st.cursor = to === null ? null : Math.max(0, Math.min(last, to));
  kick(st);
  announce(st, true);
}

// Every x of every series, sorted: the positions the reading cursor steps through.
function xsOf(d) {
  const all = new Set();
  for (const p of d.panels) for (const s of p.series) { const x = f32(s.x); for (let i = 0; i < s.n; i++) if (Number.isFinite(x[i])) all.add(x[i]); }
  return [...all].sort((a, b) => a - b);
}

function nearestIndex(xs, v) {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (Math.abs(xs[i] - v) < Math.abs(xs[best] - v)) best = i;
  return best;
}

// A series' value at x: its last point at or before x (null before its first point).
function valueAt(L, x) {
  let j = -1;
  for (let i = 0; i < L.n && L.x[i] <= x; i++) j = i;
  return j < 0 ? null : [L.x[j], L.y[j]];
}

function panelName(p) { return p.title || p.y_title || "chart"; }

// Each panel: its series' values at the cursor, or their last values.
function reading(st) {
  const d = st.data, cx = st.cursor === null ? null : st.xs[st.cursor];
  return d.panels.map((p, i) => {
    const xt = p.x_title || "x", rows = [];
    for (const s of p.series) {
      const L = st.lines.get(i + "/" + s.key); if (!L) continue;
      const at = cx === null ? (L.n ? [L.x[L.n - 1], L.y[L.n - 1]] : null) : valueAt(L, cx);
      const ended = cx !== null && at && cx > L.x[L.n - 1] ? ` (its last, at ${fmtValue(at[0])})` : "";
      if (cx === null && s.end) rows.push([s.label, null, s.end.text]);
      else if (at) rows.push([s.label, at[0], fmtValue(at[1]) + ended]);
    }
    if (!rows.length) return `${panelName(p)}: no points yet.`;
    const xs = new Set(rows.filter(r => r[1] !== null).map(r => fmtValue(r[1])));
    if (cx !== null || xs.size === 1) {
      const x = cx !== null ? fmtValue(cx) : [...xs][0];
      return `${panelName(p)}, at ${xt} ${x}: ` + rows.map(r => `${r[0]} ${r[2]}`).join(", ") + ".";
    }
    return `${panelName(p)}: ` + rows.map(r => r[1] === null ? `${r[0]} ${r[2]}` : `${r[0]} ${r[2]} at ${xt} ${fmtValue(r[1])}`).join("; ") + ".";
  }).join(" ");
}

function announce(st, now) {
  if (!st.data) return;
  clearTimeout(st.sayTimer);
  const focused = document.activeElement === st.cv;
  const wait = now ? 0 : (st.spokeAt || -1e9) + (focused ? SPEAK_MS : SPEAK_UNFOCUSED_MS) - performance.now();
  if (wait > 0) { st.sayTimer = setTimeout(() => announce(st, true), wait); return; }
  const text = reading(st);
  if (st.say.textContent !== text) { st.say.textContent = text; st.spokeAt = performance.now(); }
}

function buildLegend(st, d) {
  const seen = new Map();
  for (const p of d.panels) for (const s of p.series) if (!seen.has(s.name)) seen.set(s.name, s);
  const sig = JSON.stringify([...seen.values()].map(s => [s.name, s.color, s.dash]));
  if (sig === st.legendSig) return;
  st.legendSig = sig; st.legend.innerHTML = "";
  for (const [name, s] of seen) {
    const item = el("span", "lc-item", st.legend); const sw = el("span", "lc-swatch", item);
    sw.style.borderTopColor = s.color; sw.style.borderTopStyle = s.dash === "solid" ? "solid" : s.dash === "dot" ? "dotted" : "dashed";
    el("span", "", item, name);
  }
}

function update(st, d) {
  const now = performance.now(), fresh = d.run !== st.run;
  if (fresh) { st.run = d.run; st.lines = new Map(); st.ranges = []; st.arrived = null; st.interval = 1000 * (d.every || 0.5); st.cursor = null; }
  else if (st.arrived !== null) st.interval = 0.6 * st.interval + 0.4 * clamp(now - st.arrived, 150, 2000);
  const animate = !reduced() && (d.live || !st.first);  // a finished chart opened afresh is drawn at once
  st.arrived = now; st.data = d; st.first = false; st.updates++; motion(st);
  const lines = new Map();
  d.panels.forEach((p, i) => p.series.forEach(s => {
    const key = i + "/" + s.key, old = st.lines.get(key), x = f32(s.x), y = f32(s.y), n = s.n, last = Math.max(0, n - 1);
    let from = last;
    if (animate) from = old && old.n <= n ? Math.min(shown(old, now), last) : 0;
    lines.set(key, { n, x, y, from, to: last, t0: now, dur: from < last ? st.interval : 0 });
  }));
  st.lines = lines;
  const cx = st.cursor === null ? null : st.xs[st.cursor];
  st.xs = xsOf(d);
  st.cursor = cx === null || !st.xs.length ? null : nearestIndex(st.xs, cx);  // the cursor stays at its x
  buildLegend(st, d);
  st.root.classList.toggle("lc-present", !!d.presenter);
  st.cv.setAttribute("aria-label", d.panels.map(panelName).join("; ") + ". Line chart: the left and right arrows "
    + "read the values along the curves, with Shift ten points at a time; Home and End go to the ends; Escape stops.");
  kick(st);
  announce(st, !d.live);
}

function shown(L, now) { return L.dur > 0 ? L.from + (L.to - L.from) * clamp((now - L.t0) / L.dur, 0, 1) : L.to; }

function kick(st) { if (!st.looping) { st.looping = true; requestAnimationFrame(t => frame(st, t)); } }

function frame(st, now) {
  if (!st.root.isConnected || !st.data) { st.looping = false; return; }
  const busy = draw(st, now);
  if (busy) requestAnimationFrame(t => frame(st, t)); else st.looping = false;
}

// The visible part of a line: its points up to the revealed index, the last one interpolated.
function visible(L, k, log) {
  const j = Math.floor(k), f = k - j, pts = [];
  for (let i = 0; i <= j && i < L.n; i++) pts.push([L.x[i], log ? Math.log10(L.y[i]) : L.y[i]]);
  if (f > 0 && j + 1 < L.n) {
    const a = pts[pts.length - 1], bx = L.x[j + 1], by = log ? Math.log10(L.y[j + 1]) : L.y[j + 1];
    pts.push([a[0] + f * (bx - a[0]), a[1] + f * (by - a[1])]);
  }
  return pts.filter(p => Number.isFinite(p[0]) && Number.isFinite(p[1]));
}

function ease(cur, target, dt, still) {
  if (!cur || still) return [target.slice(), false];
  const k = 1 - Math.exp(-dt / 130), span = Math.max(1e-12, target[1] - target[0]);
  const next = [cur[0] + k * (target[0] - cur[0]), cur[1] + k * (target[1] - cur[1])];
  const moving = Math.abs(next[0] - target[0]) > 1e-3 * span || Math.abs(next[1] - target[1]) > 1e-3 * span;
  return moving ? [next, true] : [target.slice(), false];
}

function draw(st, now) {
  const d = st.data, dpr = window.devicePixelRatio || 1, font = d.font || 14, big = font / 14;
  const w = st.cv.clientWidth || 600, h = d.height || 340;
  st.cv.style.height = h + "px";
  if (st.cv.width !== Math.round(w * dpr) || st.cv.height !== Math.round(h * dpr)) { st.cv.width = Math.round(w * dpr); st.cv.height = Math.round(h * dpr); }
  const ctx = st.cv.getContext("2d"); ctx.setTransform(dpr, 0, 0, dpr, 0, 0); ctx.clearRect(0, 0, w, h);
  ctx.fillStyle = "white"; ctx.fillRect(0, 0, w, h);
  const dt = st.lastDraw ? Math.min(100, now - st.lastDraw) : 16; st.lastDraw = now;
  const np = d.panels.length, gap = 28 * big, pw = (w - gap * (np - 1)) / np;
  let busy = false, points = 0, hover = null;
  const still = reduced(), cx = st.cursor === null ? null : st.xs[st.cursor], cursorBoxes = [];
  d.panels.forEach((p, i) => {
    const ox = i * (pw + gap), l = ox + 62 * big, r = ox + pw - 10, t = 30 * big, b = h - 50 * big, W = r - l, H = b - t;
    const lines = p.series.map(s => [s, st.lines.get(i + "/" + s.key)]).filter(([, L]) => L);
    const vis = lines.map(([s, L]) => { const k = shown(L, now); if (k < L.to) busy = true; return [s, L, visible(L, k, p.y_log), k]; });
    // Target ranges: the fixed ones, else the visible data's (the x axis follows the growing tips).
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const [, , pts] of vis) for (const [a, c] of pts) { x0 = Math.min(x0, a); x1 = Math.max(x1, a); y0 = Math.min(y0, c); y1 = Math.max(y1, c); }
    let tx = p.x_range ? p.x_range.slice() : Number.isFinite(x0) ? [p.x_zero ? Math.min(0, x0) : x0, x1] : [0, 1];
    if (!(tx[1] > tx[0])) tx = [tx[0], tx[0] + 1];
    let ty;
    if (p.y_range) ty = p.y_log ? p.y_range.map(Math.log10) : p.y_range.slice();
    else if (Number.isFinite(y0)) { const pad = 0.06 * Math.max(y1 - y0, 1e-9); ty = [p.y_zero && !p.y_log ? Math.min(0, y0) : y0 - pad, y1 + pad]; }
    else ty = p.y_log ? [-1, 1] : [0, 1];
    if (!(ty[1] > ty[0])) ty = [ty[0] - 0.5, ty[0] + 0.5];
    const R = st.ranges[i] || (st.ranges[i] = {});
    let mx, my;
    [R.x, mx] = ease(R.x, tx, dt, still); [R.y, my] = ease(R.y, ty, dt, still);
    if (!p.x_range && R.x[1] < tx[1]) R.x[1] = tx[1];  // a growing tip is never outside the plot
    busy = busy || mx || my;
    const [X0, X1] = R.x, [Y0, Y1] = R.y;
    const P = (a, c) => [l + (a - X0) / (X1 - X0) * W, b - (c - Y0) / (Y1 - Y0) * H];
    // Grid, ticks, titles.
    ctx.font = `${Math.round(13 * big)}px sans-serif`; ctx.lineWidth = 1;
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    for (const [v, txt] of ticks(Y0, Y1, p.y_log, H, 42 * big)) {
      const yy = P(X0, v)[1]; ctx.strokeStyle = "#e6e6e6"; ctx.beginPath(); ctx.moveTo(l, yy); ctx.lineTo(r, yy); ctx.stroke();
      ctx.fillStyle = "#444"; ctx.fillText(txt, l - 6, yy);
    }
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    for (const [v, txt] of ticks(X0, X1, false, W, 95 * big)) {
      const xx = P(v, Y0)[0]; ctx.strokeStyle = "#e6e6e6"; ctx.beginPath(); ctx.moveTo(xx, t); ctx.lineTo(xx, b); ctx.stroke();
      ctx.fillStyle = "#444"; ctx.fillText(txt, xx, b + 5);
    }
    ctx.strokeStyle = "#999"; ctx.strokeRect(l, t, W, H);
    ctx.fillStyle = "#222"; ctx.font = `600 ${Math.round(15 * big)}px sans-serif`; ctx.textBaseline = "bottom";
    ctx.fillText(p.title, ox + pw / 2, t - 7, pw - 4);
    ctx.font = `${Math.round(14 * big)}px sans-serif`; ctx.fillStyle = "#333"; ctx.textBaseline = "bottom";
    if (p.x_title) ctx.fillText(p.x_title, (l + r) / 2, h - 3);
    if (p.y_title) { ctx.save(); ctx.translate(ox + 2, (t + b) / 2); ctx.rotate(-Math.PI / 2); ctx.textBaseline = "top"; ctx.fillText(p.y_title, 0, 0, H + 20); ctx.restore(); }
    // Reference lines (the chance level).
    for (const ref of p.refs) {
      const v = p.y_log ? Math.log10(ref.y) : ref.y; if (!(v >= Y0 && v <= Y1)) continue;
      const yy = P(X0, v)[1]; ctx.strokeStyle = "#888"; ctx.lineWidth = 1.5 * big; ctx.setLineDash([3 * big, 4 * big]);
      ctx.beginPath(); ctx.moveTo(l, yy); ctx.lineTo(r, yy); ctx.stroke(); ctx.setLineDash([]);
      if (ref.label) { ctx.fillStyle = "#666"; ctx.font = `${Math.round(13 * big)}px sans-serif`; ctx.textAlign = "right";
        const below = yy + 22 * big < b; ctx.textBaseline = below ? "top" : "bottom";  // above a line at the bottom edge
        ctx.fillText(ref.label, r - 4, below ? yy + 3 : yy - 5); }
    }
    // The lines, clipped to the plot.
    ctx.save(); ctx.beginPath(); ctx.rect(l, t, W, H); ctx.clip();
    ctx.lineJoin = "round"; ctx.lineCap = "round";
    for (const [s, L, pts, k] of vis) {
      points += pts.length;
      ctx.strokeStyle = s.color; ctx.fillStyle = s.color; ctx.lineWidth = s.width;
      ctx.setLineDash(s.dash === "dot" ? [0.1, 2.2 * s.width + 1] : s.dash === "dash" ? [4 * s.width, 2.5 * s.width] : []);
      ctx.beginPath();
      pts.forEach(([a, c], j) => { const [u, v] = P(a, c); j ? ctx.lineTo(u, v) : ctx.moveTo(u, v); });
      ctx.stroke(); ctx.setLineDash([]);
      if (st.mouse) for (const [a, c] of pts) {
        const [u, v] = P(a, c), dd = (u - st.mouse[0]) ** 2 + (v - st.mouse[1]) ** 2;
        if (u >= l - 2 && u <= r + 2 && (!hover || dd < hover.dd)) hover = { dd, u, v, a, c, s, p };
      }
    }
    ctx.restore();
    // Markers whole, even at the plot's edge.
    for (const [s, , pts, k] of vis) {
      if (!(s.markers > 0)) continue;
      ctx.fillStyle = s.color;
      for (let j = 0; j <= Math.floor(k) && j < pts.length; j++) {
        const [u, v] = P(...pts[j]); if (u < l - 1 || u > r + 1 || v < t - 1 || v > b + 1) continue;
        ctx.beginPath(); ctx.arc(u, v, s.markers / 2, 0, 2 * Math.PI); ctx.fill();
      }
    }
    // The reading cursor: a line at its x, a dot on each series there, a box with their values.
    if (cx !== null && cx >= X0 && cx <= X1) {
      const xx = P(cx, Y0)[0], rows = [`${p.x_title || "x"}: ${fmtValue(cx)}`];
      ctx.strokeStyle = "#333"; ctx.lineWidth = 1.5; ctx.setLineDash([4, 3]);
      ctx.beginPath(); ctx.moveTo(xx, t); ctx.lineTo(xx, b); ctx.stroke(); ctx.setLineDash([]);
      for (const [s, L] of vis) {
        const at = valueAt(L, cx); if (!at) continue;
        const ended = L.n && cx > L.x[L.n - 1] ? ` (its last, at ${fmtValue(at[0])})` : "";
        const yv = p.y_log ? Math.log10(at[1]) : at[1]; if (!Number.isFinite(yv)) continue;
        const [u, v] = P(at[0], clamp(yv, Y0, Y1));
        ctx.beginPath(); ctx.arc(u, v, 5 * big, 0, 2 * Math.PI); ctx.fillStyle = s.color; ctx.fill();
        ctx.lineWidth = 2; ctx.strokeStyle = "white"; ctx.stroke();
        rows.push(`${s.label}: ${fmtValue(at[1])}${ended}`);
      }
      cursorBoxes.push({ xx, rows, l, r, t });
    }
    // A diverged run's ✖ once its line is complete (kept inside the plot when its loss is off the chart).
    ctx.textAlign = "left"; ctx.textBaseline = "top";
    for (const [s, L, , k] of vis) {
      if (!s.end || k < L.to) continue;
      const ev = p.y_log ? Math.log10(Math.max(s.end.y, 1e-300)) : s.end.y;
      const [u0, v0] = P(s.end.x, ev), u = clamp(u0, l + 8, r - 8), v = clamp(v0, t + 8, b - 8), z = 7 * big;
      ctx.strokeStyle = s.color; ctx.lineWidth = 3 * big; ctx.beginPath();
      ctx.moveTo(u - z, v - z); ctx.lineTo(u + z, v + z); ctx.moveTo(u - z, v + z); ctx.lineTo(u + z, v - z); ctx.stroke();
      ctx.font = `700 ${Math.round(14 * big)}px sans-serif`; ctx.fillStyle = s.color;
      const tw = ctx.measureText(s.end.text).width, left = u + z + 4 + tw > r;
      ctx.textAlign = left ? "right" : "left"; ctx.fillText(s.end.text, left ? u - z - 4 : u + z + 4, Math.min(v + z / 2, b - 20 * big));
    }
  });
  for (const { xx, rows, l, r, t } of cursorBoxes) {  // the cursor's values, beside its line inside the plot
    if (st.focused) rows.push(KEYS_HELP);
    const last = rows.length - 1, hint = j => st.focused && j === last;
    const f = j => `${j && !hint(j) ? "" : hint(j) ? "italic " : "600 "}${Math.round((hint(j) ? 12 : 13) * big)}px sans-serif`;
    const bw = Math.max(...rows.map((x, j) => { ctx.font = f(j); return ctx.measureText(x).width; })) + 16;
    const lh = 17 * big, bh = rows.length * lh + 8, bx = xx + 10 + bw > r ? Math.max(l, xx - 10 - bw) : xx + 10, by = t + 6;
    ctx.fillStyle = "rgba(255,255,255,0.94)"; ctx.strokeStyle = "#333"; ctx.lineWidth = 1.5;
    ctx.fillRect(bx, by, bw, bh); ctx.strokeRect(bx, by, bw, bh);
    ctx.textAlign = "left"; ctx.textBaseline = "top";
    rows.forEach((x, j) => { ctx.font = f(j); ctx.fillStyle = hint(j) ? "#12407f" : "#222"; ctx.fillText(x, bx + 8, by + 4 + j * lh); });
  }
  if (cx !== null) st.root.dataset.cursor = String(cx); else delete st.root.dataset.cursor;
  // Hover: the nearest drawn point of the panel under the pointer, and its values.
  if (hover && hover.dd < (60 * big) ** 2) {
    const { u, v, a, c, s, p } = hover, yv = p.y_log ? Math.pow(10, c) : c;
    ctx.beginPath(); ctx.arc(u, v, 5 * big, 0, 2 * Math.PI); ctx.fillStyle = s.color; ctx.fill(); ctx.lineWidth = 2; ctx.strokeStyle = "white"; ctx.stroke();
    const rows = [s.label, `${p.x_title || "x"}: ${fmtValue(a)}`, `${p.y_title || "y"}: ${fmtValue(yv)}`];
    const rowFont = j => `${j ? "" : "600 "}${Math.round(13 * big)}px sans-serif`;
    const bw = Math.max(...rows.map((x, j) => { ctx.font = rowFont(j); return ctx.measureText(x).width; })) + 16;
    const lh = 17 * big, bh = rows.length * lh + 8;
    const bx = u + 12 + bw > w ? u - 12 - bw : u + 12, by = clamp(v - bh / 2, 2, h - bh - 2);
    ctx.fillStyle = "rgba(255,255,255,0.94)"; ctx.strokeStyle = s.color; ctx.lineWidth = 1.5;
    ctx.fillRect(bx, by, bw, bh); ctx.strokeRect(bx, by, bw, bh);
    ctx.fillStyle = "#222"; ctx.textAlign = "left"; ctx.textBaseline = "top";
    rows.forEach((x, j) => { ctx.font = rowFont(j); ctx.fillText(x, bx + 8, by + 4 + j * lh); });
    st.root.dataset.hover = rows.join(" | ");
  } else delete st.root.dataset.hover;
  st.root.dataset.points = String(points); st.root.dataset.drawn = String(++st.drawn); st.root.dataset.updates = String(st.updates);
  st.root.dataset.busy = busy ? "1" : "0";
  return busy;
}

export default function (component) {
  const { data, parentElement } = component;
  let st = CHARTS.get(parentElement);
  if (!st) {
    st = { root: parentElement.querySelector(".lc-root") || parentElement, lines: new Map(), ranges: [], drawn: 0, updates: 0,
           first: true, run: undefined, mouse: null, looping: false, xs: [], cursor: null, focused: false };
    build(st);
    CHARTS.set(parentElement, st);
  }
  if (data) update(st, data);
}
