// The boundary page's frame player (ui/frame_player.py): draws frames computed by the server on canvases.
// Live: frames arrive in batches (one per fragment run) and play at the rate they arrive, one batch behind.
// Replay: every stored frame is here; the slider draws one without a round trip to the server.
// Keyboard (the view is focusable): Space plays or pauses, Left/Right step a frame (Shift or PageUp/PageDown:
// ten), Home/End jump to the first/last. Live, "paused" holds the picture (training goes on) and the arrows
// step through the frames received; replay, Space plays the stored frames. A visually hidden live region
// says the shown epoch and metrics: at once after a key, at most every 2 s while playing (10 s unfocused).
// prefers-reduced-motion: live batches jump to their newest frame instead of playing every frame.
const PLAYERS = new WeakMap();  // parentElement -> player state, kept across data updates
const SPEAK_MS = 2000, SPEAK_UNFOCUSED_MS = 10000;  // the live text while playing: at most this often
const HISTORY = 400;  // live frames kept for stepping back while the picture is held (~10 KB each)
const PLAY_MS = 100, PLAY_REDUCED_MS = 500;  // a replay's frame interval when Space plays it
const MOTION = window.matchMedia ? window.matchMedia("(prefers-reduced-motion: reduce)") : null;
const reduced = () => !!(MOTION && MOTION.matches);
const KEYS_HELP = "Space: play or pause · ← →: one frame (Shift: 10) · Home / End: first / last";
let FOCUSED = null;  // the player whose view had focus when it was last seen: a remounted view takes it back

function bytes(s) { const b = atob(s); const u = new Uint8Array(b.length); for (let i = 0; i < b.length; i++) u[i] = b.charCodeAt(i); return u; }
function f32(s) { const u = bytes(s); return new Float32Array(u.buffer, 0, u.length >> 2); }
function hex(c) { return [1, 3, 5].map(i => parseInt(c.slice(i, i + 2), 16)); }
function fmt(v, d) { return v === null || v === undefined ? "—" : v.toFixed(d); }
function pct(v) { return v === null || v === undefined ? "—" : (100 * v).toFixed(1) + "%"; }
function el(tag, cls, parent, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text) e.textContent = text; if (parent) parent.appendChild(e); return e; }

function lut(stops) {  // 256 RGB entries interpolated between the colour scale's stops
  const out = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = i / 255; let k = 0;
    while (k < stops.length - 2 && t > stops[k + 1][0]) k++;
    const [t0, c0] = stops[k], [t1, c1] = stops[k + 1];
    const a = Math.min(1, Math.max(0, (t - t0) / (t1 - t0))), p = hex(c0), q = hex(c1);
    for (let j = 0; j < 3; j++) out[3 * i + j] = Math.round(p[j] + a * (q[j] - p[j]));
  }
  return out;
}

function build(root, st) {
  root.innerHTML = "";
  // The view (the metrics and the canvases) takes the keyboard; the tools and the slider keep their own keys.
  st.view = el("div", "fp-view", root); st.view.dataset.fmnist = "player-view"; st.view.tabIndex = 0;
  st.view.setAttribute("role", "application"); st.view.setAttribute("aria-roledescription", "training player");
  st.view.setAttribute("aria-label", "The network's decision boundary, epoch by epoch. Space plays or pauses; "
    + "the left and right arrows step one frame, with Shift ten; Home and End go to the first and the last frame.");
  const hint = el("div", "fp-keys", st.view, KEYS_HELP); hint.setAttribute("aria-hidden", "true");
  const head = el("div", "fp-head", st.view);
  st.epochEl = el("span", "fp-epoch", head); st.epochEl.dataset.fmnist = "epoch";
  st.metricsEl = el("span", "fp-metrics", head);
  const grid = el("div", "fp-grid", st.view);
  const panel = (cls, title) => { const f = el("figure", "fp-panel " + cls, grid); const c = el("figcaption", "", f, title); const cv = el("canvas", "", f); return [cv, c]; };
  [st.cv.boundary, st.cap.boundary] = panel("fp-sq", "The boundary: P(red) everywhere");
  [st.cv.units, st.cap.units] = panel("fp-sq", "Each hidden unit's line");
  [st.cv.enc, st.cap.enc] = panel("fp-sq", "The encoding (hidden outputs)");
  [st.cv.loss, st.cap.loss] = panel("fp-wide", "Loss (BCE): train — test ┈");
  [st.cv.hist, st.cap.hist] = panel("fp-low", "Weights");
  st.cv.boundary.dataset.fmnist = "boundary"; st.cv.boundary.classList.add("fp-boundary");
  st.say = el("div", "fp-sr", root); st.say.dataset.fmnist = "player-summary";
  st.say.setAttribute("aria-live", "polite"); st.say.setAttribute("aria-atomic", "true");
  st.view.addEventListener("keydown", ev => { st.seenAt = performance.now(); onKey(st, ev); });
  st.view.addEventListener("focus", () => { st.focused = true; st.seenAt = performance.now(); FOCUSED = st; });
  st.view.addEventListener("blur", () => {  // focus moved elsewhere: forgotten; gone with its view (or the window's): kept
    st.focused = false;
    setTimeout(() => { if (FOCUSED === st && st.view.isConnected && document.activeElement !== st.view) FOCUSED = null; }, 0);
  });
  const onMotion = () => st.root.isConnected ? motion(st) : MOTION.removeEventListener("change", onMotion);
  if (MOTION && MOTION.addEventListener) MOTION.addEventListener("change", onMotion);
  st.tools = el("div", "fp-tools", root);
  el("span", "", st.tools, "Click on the boundary to:");
  for (const [v, t] of [["red", "add a red point"], ["blue", "add a blue point"], ["remove", "remove your point"]]) {
    const lab = el("label", "", st.tools); const r = el("input", "", lab); r.type = "radio"; r.name = "fp-mode-" + st.uid; r.value = v;
    r.checked = v === st.clickMode; r.onchange = () => { st.clickMode = v; }; lab.appendChild(document.createTextNode(" " + t));
  }
  st.scrubBox = el("div", "fp-scrub", root);
  el("span", "", st.scrubBox, "Replay:");
  st.scrub = el("input", "", st.scrubBox); st.scrub.type = "range"; st.scrub.min = 0; st.scrub.step = 1; st.scrub.dataset.fmnist = "scrub";
  st.scrub.setAttribute("aria-label", "Replay: show the network as it was at an earlier epoch");
  st.scrubLabel = el("span", "", st.scrubBox);
  st.scrub.addEventListener("input", () => { stopPlaying(st, false); const f = st.frames[+st.scrub.value]; if (f) { moved(st); show(st, f); } });
  st.scrub.addEventListener("change", () => report(st));
  st.cv.boundary.addEventListener("click", ev => {
    if (!st.data || !st.data.clickable || !st.setTrigger) return;
    const p = st.toPlane(ev); if (!p) return;
    st.pending = { x1: p[0], x2: p[1], mode: st.clickMode };
    if (st.current) show(st, st.current);
    st.setTrigger("click", { x1: p[0], x2: p[1], mode: st.clickMode });
  });
  motion(st);
}

// The page swapped the live player for the replay (paused, diverged, done) while the keyboard was on it: the
// new view takes the focus back, if nothing else took it and the old view had it moments ago.
function takeFocus(st, run, tries = 50) {
  const old = FOCUSED;
  if (!old || old === st || old.runId !== run || !st.view.isConnected) return;
  if (old.view.isConnected) {  // both are on the page until the rerun ends: wait for the old one to go
    if (tries > 0) setTimeout(() => takeFocus(st, run, tries - 1), 100);
    return;
  }
  const idle = !document.activeElement || document.activeElement === document.body;
  if (idle && performance.now() - old.seenAt < 5000) st.view.focus({ preventScroll: true });
}

// The server's detailed views follow the replay once it rests (each report is a rerun there); the report
// names the latest epoch too: once the run has trained on, the replay opens at its end.
function report(st) {
  clearTimeout(st.report);
  st.report = setTimeout(() => {
    const f = st.frames[+st.scrub.value], last = st.frames[st.frames.length - 1];
    if (f && st.setState) { st.reported = performance.now(); st.setState("epoch", [f.epoch, last.epoch]); }
  }, 500);
}

function moved(st) { st.movedAt = performance.now(); }  // the replay was moved here, not by the server

// ---------------------------------------------------------------- keyboard, playing, the live text

function onKey(st, ev) {
  if (ev.target !== st.view || ev.altKey || ev.ctrlKey || ev.metaKey || !st.data) return;
  const k = ev.key, n = ev.shiftKey ? 10 : 1;
  const act = { " ": () => togglePlay(st), "Spacebar": () => togglePlay(st), "ArrowLeft": () => step(st, -n),
                "ArrowRight": () => step(st, n), "PageUp": () => step(st, -10), "PageDown": () => step(st, 10),
                "Home": () => step(st, -Infinity), "End": () => step(st, Infinity) }[k];
  if (!act) return;
  ev.preventDefault(); ev.stopPropagation();  // the page does not scroll, Streamlit sees no key
  act();
  announce(st, true);
}

function live(st) { return st.data.mode === "live"; }

// The frames the keys move through: the stored replay, or (live) the frames received so far.
function timeline(st) { return live(st) ? st.hist : st.frames; }

function position(st) {
  if (!live(st)) return +st.scrub.value;
  if (st.held) return st.pos;
  const i = st.hist.lastIndexOf(st.current);
  return i >= 0 ? i : st.hist.length - 1;
}

function step(st, by) {
  const tl = timeline(st); if (!tl.length) return;
  const i = Math.max(0, Math.min(tl.length - 1, position(st) + (Number.isFinite(by) ? by : by > 0 ? tl.length : -tl.length)));
  if (live(st)) { hold(st, true); st.pos = i; show(st, tl[i]); return; }
  stopPlaying(st, false);
  st.scrub.value = i; moved(st); show(st, tl[i]); report(st);
}

function togglePlay(st) {
  if (live(st)) { hold(st, !st.held); return; }
  if (st.timer) { stopPlaying(st, true); return; }
  if (st.frames.length < 2) return;
  if (+st.scrub.value >= st.frames.length - 1) { st.scrub.value = 0; show(st, st.frames[0]); }
  moved(st);
  st.timer = setInterval(() => {
    const i = +st.scrub.value + 1;
    if (!st.root.isConnected || live(st)) { stopPlaying(st, false); return; }
    if (i >= st.frames.length) { stopPlaying(st, true); announce(st, true); return; }
    st.scrub.value = i; moved(st); show(st, st.frames[i]);
  }, reduced() ? PLAY_REDUCED_MS : PLAY_MS);
  st.root.dataset.playing = "1";
}

function stopPlaying(st, tell) {
  if (!st.timer) return;
  clearInterval(st.timer); st.timer = null; st.root.dataset.playing = "0";
  if (tell) report(st);
  if (st.current) show(st, st.current);
}

// Live: hold the picture (training goes on, frames keep arriving) or go back to the newest frame.
function hold(st, on) {
  if (!!st.held === on) return;
  if (on) st.pos = position(st);  // where the picture is now (asked before it counts as held)
  st.held = on; st.root.dataset.held = on ? "1" : "0";
  if (!on) { st.queue = []; st.nextAt = performance.now(); }
  const f = on ? st.current : st.hist[st.hist.length - 1];
  if (f) show(st, f);
}

function motion(st) {
  st.root.dataset.motion = reduced() ? "reduce" : "full";
  if (reduced() && st.data && live(st) && !st.held && st.queue.length) { show(st, st.queue[st.queue.length - 1]); st.queue = []; }
}

function spoken(v, digits, percent) {
  if (v === null || v === undefined) return null;
  return percent ? (100 * v).toFixed(digits) + " %" : v.toFixed(digits);
}

function summary(st, f) {
  const m = f.m, tl = timeline(st), last = tl.length ? tl[tl.length - 1].epoch : f.epoch, E = v => v.toLocaleString("en");
  let s = "Epoch " + E(f.epoch);
  if (!live(st)) s += ` of ${E(last)}, replay${st.timer ? " playing" : ""}`;
  else if (st.held) s += `, picture paused (training goes on, newest epoch ${E(last)})`;
  else s += ", training";
  const parts = [["train accuracy", spoken(m[1], 1, true)], ["test accuracy", spoken(m[3], 1, true)],
                 ["train loss", spoken(m[0], 3)], ["test loss", spoken(m[2], 3)]].filter(p => p[1] !== null);
  return s + (parts.length ? ": " + parts.map(p => p[0] + " " + p[1]).join(", ") : "") + ".";
}

// The live text: at once when `now` (a key), else at most every SPEAK_MS while the view has focus
// (SPEAK_UNFOCUSED_MS without), the newest state once the gap has passed.
function announce(st, now) {
  if (!st.current) return;
  clearTimeout(st.sayTimer);
  const focused = document.activeElement === st.view;
  const wait = now ? 0 : (st.spokeAt || -1e9) + (focused ? SPEAK_MS : SPEAK_UNFOCUSED_MS) - performance.now();
  if (wait > 0) { st.sayTimer = setTimeout(() => announce(st, true), wait); return; }
  const text = summary(st, st.current);
  if (st.say.textContent !== text) { st.say.textContent = text; st.spokeAt = performance.now(); st.root.dataset.spoken = String(++st.spokes); }
}

function fit(cv) {  // canvas pixels = CSS pixels x devicePixelRatio; returns [ctx, width, height] in CSS px
  const dpr = window.devicePixelRatio || 1, w = cv.clientWidth || 300, h = cv.clientHeight || w;
  if (cv.width !== Math.round(w * dpr) || cv.height !== Math.round(h * dpr)) { cv.width = Math.round(w * dpr); cv.height = Math.round(h * dpr); }
  const ctx = cv.getContext("2d"); ctx.setTransform(dpr, 0, 0, dpr, 0, 0); ctx.clearRect(0, 0, w, h);
  return [ctx, w, h];
}

function planeBox(w, h) { const l = 30, b = 34, s = Math.min(w - l - 8, h - b - 6); return { l, t: 6, s }; }

function planeAxes(ctx, box, ext) {
  ctx.strokeStyle = "#999"; ctx.lineWidth = 1; ctx.strokeRect(box.l, box.t, box.s, box.s);
  ctx.fillStyle = "#444"; ctx.font = "12px sans-serif"; ctx.textAlign = "center"; ctx.textBaseline = "top";
  for (let v = -Math.floor(ext); v <= Math.floor(ext); v++) {
    const px = box.l + (v + ext) / (2 * ext) * box.s, py = box.t + (ext - v) / (2 * ext) * box.s;
    ctx.fillText(String(v), px, box.t + box.s + 3);
    ctx.textAlign = "right"; ctx.textBaseline = "middle"; ctx.fillText(String(v), box.l - 4, py); ctx.textAlign = "center"; ctx.textBaseline = "top";
  }
  ctx.font = "13px sans-serif"; ctx.fillText("x₁", box.l + box.s / 2, box.t + box.s + 18);
  ctx.textAlign = "left"; ctx.textBaseline = "top"; ctx.fillText("x₂", 2, box.t);
}

function drawPoints(ctx, P, xy, y, n, ring, ringW, r, alpha) {
  ctx.globalAlpha = alpha;
  for (let i = 0; i < n; i++) {
    const [px, py] = P(xy[2 * i], xy[2 * i + 1]);
    ctx.beginPath(); ctx.arc(px, py, r, 0, 2 * Math.PI);
    ctx.fillStyle = y[i] ? st_colors.red : st_colors.blue; ctx.fill();
    if (ringW) { ctx.lineWidth = ringW; ctx.strokeStyle = ring; ctx.stroke(); }
  }
  ctx.globalAlpha = 1;
}
let st_colors = { red: "#d62418", blue: "#1d5fb4" };

function drawBoundary(st, f) {
  const d = st.data, [ctx, w, h] = fit(st.cv.boundary), box = planeBox(w, h), ext = d.extent, res = f.res;
  const P = (a, b) => [box.l + (a + ext) / (2 * ext) * box.s, box.t + (ext - b) / (2 * ext) * box.s];
  st.toPlane = ev => {
    const r = st.cv.boundary.getBoundingClientRect(), x = ev.clientX - r.left, y = ev.clientY - r.top;
    if (x < box.l || x > box.l + box.s || y < box.t || y > box.t + box.s) return null;
    return [(x - box.l) / box.s * 2 * ext - ext, ext - (y - box.t) / box.s * 2 * ext];
  };
  if (!st.img || st.img.width !== res) { st.img = document.createElement("canvas"); st.img.width = st.img.height = res; }
  const ictx = st.img.getContext("2d"), im = ictx.createImageData(res, res), p = bytes(f.prob), L = st.lut;
  for (let i = 0; i < res; i++) for (let j = 0; j < res; j++) {  // prob row i is x2 = -ext + ...: flip
    let v = p[i * res + j]; if (d.discrete) v = v >= 128 ? 255 : 0;
    const o = 4 * ((res - 1 - i) * res + j);
    im.data[o] = L[3 * v]; im.data[o + 1] = L[3 * v + 1]; im.data[o + 2] = L[3 * v + 2]; im.data[o + 3] = 255;
  }
  ictx.putImageData(im, 0, 0);
  ctx.imageSmoothingEnabled = !d.discrete; ctx.imageSmoothingQuality = "high";
  const half = box.s / res / 2;  // cell centres sit at the grid points
  ctx.save(); ctx.beginPath(); ctx.rect(box.l, box.t, box.s, box.s); ctx.clip();
  ctx.drawImage(st.img, box.l - half, box.t - half, box.s + 2 * half, box.s + 2 * half); ctx.restore();
  planeAxes(ctx, box, ext);
  ctx.save(); ctx.beginPath(); ctx.rect(box.l, box.t, box.s, box.s); ctx.clip();  // points beyond the square: cut
  drawPoints(ctx, P, st.train.xy, st.train.y, st.train.n, "white", 1, 4, 1);
  if (st.test && d.show_test) drawPoints(ctx, P, st.test.xy, st.test.y, st.test.n, "black", 1.3, 4, 1);
  ctx.restore();
  for (const [a, b, c] of d.own) {  // the student's own points: larger, with a thick dark ring
    const [px, py] = P(a, b); ctx.beginPath(); ctx.arc(px, py, 6.5, 0, 2 * Math.PI);
    ctx.fillStyle = c ? st_colors.red : st_colors.blue; ctx.fill(); ctx.lineWidth = 2.5; ctx.strokeStyle = "#111"; ctx.stroke();
  }
  if (st.pending) { const [px, py] = P(st.pending.x1, st.pending.x2); ctx.beginPath(); ctx.arc(px, py, 7, 0, 2 * Math.PI); ctx.lineWidth = 2; ctx.strokeStyle = "#000"; ctx.setLineDash([3, 2]); ctx.stroke(); ctx.setLineDash([]); }
}

function drawUnits(st, f) {
  const d = st.data, [ctx, w, h] = fit(st.cv.units), box = planeBox(w, h), ext = d.extent;
  const P = (a, b) => [box.l + (a + ext) / (2 * ext) * box.s, box.t + (ext - b) / (2 * ext) * box.s];
  ctx.fillStyle = "white"; ctx.fillRect(box.l, box.t, box.s, box.s);
  ctx.save(); ctx.beginPath(); ctx.rect(box.l, box.t, box.s, box.s); ctx.clip();
  drawPoints(ctx, P, st.train.xy, st.train.y, st.train.n, null, 0, 3, 0.3);
  ctx.restore();
  planeAxes(ctx, box, ext);
  if (!f.lines) {
    ctx.fillStyle = "rgba(255,255,255,0.85)"; ctx.fillRect(box.l + 4, box.t + box.s / 2 - 34, box.s - 8, 68);
    ctx.fillStyle = "#333"; ctx.font = "14px sans-serif"; ctx.textAlign = "center"; ctx.textBaseline = "middle";
    const msg = (d.notes.curved || "With these inputs a unit is zero\nalong a curve, not a line: see\neach unit's square in section 2.").split("\n");
    msg.forEach((m, i) => ctx.fillText(m, box.l + box.s / 2, box.t + box.s / 2 + (i - (msg.length - 1) / 2) * 18));
    return;
  }
  const many = f.lines.length > 8, C = d.colors.lines;
  ctx.save(); ctx.beginPath(); ctx.rect(box.l, box.t, box.s, box.s); ctx.clip();
  for (const [u, sx, sy, ex, ey, bx, by, tx, ty] of f.lines) {
    const col = C[u % C.length], [a1, a2] = P(sx, sy), [b1, b2] = P(ex, ey), [c1, c2] = P(bx, by), [d1, d2] = P(tx, ty);
    ctx.strokeStyle = col; ctx.fillStyle = col; ctx.globalAlpha = many ? 0.8 : 1; ctx.lineWidth = many ? 1.5 : 3;
    ctx.beginPath(); ctx.moveTo(a1, a2); ctx.lineTo(b1, b2); ctx.stroke();
    ctx.lineWidth = many ? 1.5 : 2.5; ctx.beginPath(); ctx.moveTo(c1, c2); ctx.lineTo(d1, d2); ctx.stroke();
    const ang = Math.atan2(d2 - c2, d1 - c1), hl = many ? 6 : 10;
    ctx.beginPath(); ctx.moveTo(d1, d2); ctx.lineTo(d1 - hl * Math.cos(ang - 0.45), d2 - hl * Math.sin(ang - 0.45));
    ctx.lineTo(d1 - hl * Math.cos(ang + 0.45), d2 - hl * Math.sin(ang + 0.45)); ctx.closePath(); ctx.fill();
    if (f.lines.length <= 16) { ctx.globalAlpha = 1; ctx.font = "bold 14px sans-serif"; ctx.textAlign = "center"; ctx.textBaseline = "bottom"; ctx.fillText("h" + (u + 1), d1, d2 - 4); }
  }
  ctx.restore(); ctx.globalAlpha = 1;
}

function smoothRange(st, name, lo, hi) {  // grows at once, shrinks slowly: the axes do not jitter
  const r = st.ranges[name];
  if (!r || st.ranges._run !== st.runId) { st.ranges[name] = [lo, hi]; st.ranges._run = st.runId; return [lo, hi]; }
  r[0] = lo < r[0] ? lo : r[0] + 0.1 * (lo - r[0]); r[1] = hi > r[1] ? hi : r[1] + 0.1 * (hi - r[1]);
  return r;
}

function drawEncoding(st, f) {
  const d = st.data, [ctx, w, h] = fit(st.cv.enc), e = f.enc, pts = f32(e.pts), y = st.encY, n = e.n;
  const l = 34, b = 30, t = 6, s = Math.min(w - l - 6, h - b - t);
  ctx.fillStyle = "white"; ctx.fillRect(l, t, s, s); ctx.strokeStyle = "#999"; ctx.strokeRect(l, t, s, s);
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < n; i++) { x0 = Math.min(x0, pts[2 * i]); x1 = Math.max(x1, pts[2 * i]); y0 = Math.min(y0, pts[2 * i + 1]); y1 = Math.max(y1, pts[2 * i + 1]); }
  if (!(x1 > x0)) { x0 -= 1; x1 += 1; } if (!(y1 > y0)) { y0 -= 1; y1 += 1; }
  const px = 0.12 * (x1 - x0), py = 0.12 * (y1 - y0);
  const strip = e.kind === "strip";
  const [X0, X1] = smoothRange(st, "ex" + e.kind, x0 - px, x1 + px), [Y0, Y1] = strip ? [-0.6, 1.6] : smoothRange(st, "ey" + e.kind, y0 - py, y1 + py);
  const P = (a, c) => [l + (a - X0) / (X1 - X0) * s, t + (Y1 - c) / (Y1 - Y0) * s];
  ctx.save(); ctx.beginPath(); ctx.rect(l, t, s, s); ctx.clip();
  for (let i = 0; i < n; i++) {
    const jitter = strip ? (y[i] ? 1 : 0) + (((i * 2654435761) % 1000) / 1000 - 0.5) * 0.3 : pts[2 * i + 1];
    const [a, c] = P(pts[2 * i], jitter); ctx.beginPath(); ctx.arc(a, c, 3.5, 0, 2 * Math.PI);
    ctx.fillStyle = y[i] ? st_colors.red : st_colors.blue; ctx.fill(); ctx.lineWidth = 0.8; ctx.strokeStyle = "white"; ctx.stroke();
  }
  ctx.strokeStyle = "black"; ctx.lineWidth = 2.5; ctx.setLineDash([7, 5]);
  if (e.out && e.kind === "plane" && e.out[0] !== null) {
    const [v0, v1, c] = e.out;
    ctx.beginPath();
    if (Math.abs(v1) > 1e-9) { const A = P(X0, -(v0 * X0 + c) / v1), B = P(X1, -(v0 * X1 + c) / v1); ctx.moveTo(...A); ctx.lineTo(...B); }
    else if (Math.abs(v0) > 1e-9) { const A = P(-c / v0, Y0), B = P(-c / v0, Y1); ctx.moveTo(...A); ctx.lineTo(...B); }
    ctx.stroke();
  } else if (e.out && strip && Math.abs(e.out[0]) > 1e-9) {
    const xt = -e.out[2] / e.out[0]; ctx.beginPath(); ctx.moveTo(P(xt, Y0)[0], t); ctx.lineTo(P(xt, Y0)[0], t + s); ctx.stroke();
  }
  ctx.restore(); ctx.setLineDash([]);
  ctx.fillStyle = "#444"; ctx.font = "12px sans-serif"; ctx.textAlign = "center"; ctx.textBaseline = "top";
  const xl = e.kind === "pca" ? `1st direction (${Math.round(100 * e.share[0])}%)` : "a₁";
  const yl = e.kind === "pca" ? `2nd (${Math.round(100 * e.share[1])}%)` : strip ? "blue · red" : "a₂";
  ctx.fillText(xl, l + s / 2, t + s + 4);
  ctx.fillText(fmt(X0, 1), l + 10, t + s + 4); ctx.fillText(fmt(X1, 1), l + s - 12, t + s + 4);
  ctx.save(); ctx.translate(12, t + s / 2); ctx.rotate(-Math.PI / 2); ctx.fillText(yl, 0, -6); ctx.restore();
}

function drawLoss(st, f) {
  const d = st.data, [ctx, w, h] = fit(st.cv.loss), l = 44, r = 24, t = 8, b = 24, W = w - l - r, H = h - t - b;
  const curve = st.curve, live = d.mode === "live";
  let xmax = Math.max(10, curve.length ? curve[curve.length - 1][0] : 0, f.epoch), ymax = 0;
  for (const c of curve) ymax = Math.max(ymax, c[1] || 0, c[2] || 0);
  ymax = Math.max(ymax, f.m[0] || 0, f.m[2] || 0, 0.1) * 1.08;
  const P = (e, v) => [l + e / xmax * W, t + H - v / ymax * H];
  ctx.strokeStyle = "#ddd"; ctx.lineWidth = 1; ctx.fillStyle = "#444"; ctx.font = "12px sans-serif";
  for (let k = 0; k <= 4; k++) { const v = ymax * k / 4, yy = P(0, v)[1]; ctx.beginPath(); ctx.moveTo(l, yy); ctx.lineTo(l + W, yy); ctx.stroke(); ctx.textAlign = "right"; ctx.textBaseline = "middle"; ctx.fillText(v.toFixed(2), l - 4, yy); }
  ctx.textAlign = "center"; ctx.textBaseline = "top";
  for (let k = 0; k <= 4; k++) { const e = Math.round(xmax * k / 4); ctx.fillText(e.toLocaleString("en"), P(e, 0)[0], t + H + 4); }
  for (const [idx, col, dash] of [[1, "#333", []], [2, "#e67e00", [5, 4]]]) {
    ctx.strokeStyle = col; ctx.lineWidth = 2.5; ctx.setLineDash(dash); ctx.beginPath(); let started = false;
    for (const c of curve) {
      if (live && c[0] > f.epoch) break;
      if (c[idx] === null) continue;
      const [a, v] = P(c[0], c[idx]); if (!started) { ctx.moveTo(a, v); started = true; } else ctx.lineTo(a, v);
    }
    if (live && f.m[idx === 1 ? 0 : 2] !== null) { const [a, v] = P(f.epoch, f.m[idx === 1 ? 0 : 2]); started ? ctx.lineTo(a, v) : ctx.moveTo(a, v); }
    ctx.stroke();
  }
  ctx.setLineDash([2, 3]); ctx.strokeStyle = "#888"; ctx.lineWidth = 1.5;
  const xm = P(f.epoch, 0)[0]; ctx.beginPath(); ctx.moveTo(xm, t); ctx.lineTo(xm, t + H); ctx.stroke(); ctx.setLineDash([]);
}

function drawHist(st, f) {
  const [ctx, w, h] = fit(st.cv.hist), hs = f.hist, l = 8, r = 8, t = 22, b = 22, W = w - l - r, H = h - t - b;
  const n = hs.counts.length, top = Math.max(1, ...hs.counts), bw = W / n;
  ctx.fillStyle = "#7f7f7f";
  hs.counts.forEach((c, i) => { const bh = c / top * H; ctx.fillRect(l + i * bw + 0.5, t + H - bh, Math.max(1, bw - 1), bh); });
  if (hs.zeros) { const i = (n - 1) / 2, bh = hs.zeros / top * H; ctx.fillStyle = st_colors.red; ctx.fillRect(l + i * bw + 0.5, t + H - bh, Math.max(1, bw - 1), bh); }
  ctx.fillStyle = "#444"; ctx.font = "12px sans-serif"; ctx.textBaseline = "top";
  ctx.textAlign = "left"; ctx.fillText("−" + hs.range, l, t + H + 4); ctx.textAlign = "right"; ctx.fillText(String(hs.range), l + W, t + H + 4);
  ctx.textAlign = "center"; ctx.fillText("0", l + W / 2, t + H + 4);
  ctx.font = "bold 13px sans-serif"; ctx.fillStyle = hs.zeros ? st_colors.red : "#444";
  ctx.fillText(`${hs.zeros} of ${hs.n} weights exactly 0`, l + W / 2, 2);
}

function show(st, f) {
  st.current = f;
  const m = f.m, replay = st.data.mode === "replay", last = st.frames.length ? st.frames[st.frames.length - 1].epoch : f.epoch;
  st.epochEl.textContent = "Epoch " + f.epoch.toLocaleString("en")
    + (replay && f.epoch !== last ? " (replay)" : !replay && st.held ? " (paused)" : "");
  st.metricsEl.innerHTML = "";
  for (const [name, v] of [["train acc", pct(m[1])], ["test acc", pct(m[3])], ["train loss", fmt(m[0], 3)], ["test loss", fmt(m[2], 3)]]) {
    const s = el("span", "fp-metric", st.metricsEl); s.appendChild(document.createTextNode(name + " ")); el("b", "", s, v);
  }
  drawBoundary(st, f); drawUnits(st, f); drawEncoding(st, f); drawLoss(st, f); drawHist(st, f);
  st.root.dataset.epoch = String(f.epoch); st.root.dataset.drawn = String(++st.drawn);
  if (replay) { st.scrubLabel.textContent = `epoch ${f.epoch.toLocaleString("en")} of ${last.toLocaleString("en")}`; }
  announce(st, false);
}

function tick(st) {
  if (!st.root.isConnected) { st.playing = false; return; }
  const now = performance.now();
  if (document.activeElement === st.view) { st.seenAt = now; FOCUSED = st; }
  if (st.root.dataset.motion !== (reduced() ? "reduce" : "full")) motion(st);  // the change event may come late
  if (st.data.mode === "live" && !st.held && st.queue.length && now >= st.nextAt) {
    show(st, st.queue.shift());
    st.nextAt = Math.max(st.nextAt + st.frameDt, now + 0.5 * st.frameDt);
  }
  if (st.data.mode === "live") requestAnimationFrame(() => tick(st)); else st.playing = false;
}

function remember(st, frames) {  // live frames, for stepping back while the picture is held
  st.hist.push(...frames);
  const extra = st.hist.length - HISTORY;
  if (extra > 0) { st.hist.splice(0, extra); st.pos = Math.max(0, st.pos - extra); }
}

function update(st, d) {
  const newRun = d.run !== st.runId, wasLive = st.data && st.data.mode === "live";
  if (!st.data) takeFocus(st, d.run);
  st.root.dataset.motion = reduced() ? "reduce" : "full";
  if (document.activeElement === st.view) { st.seenAt = performance.now(); FOCUSED = st; }  // each poll while it has it
  st.data = d; st_colors = d.colors; st.lut = st.lut || lut(d.colors.prob);
  st.train = { n: d.train.n, xy: f32(d.train.xy), y: bytes(d.train.y) };
  st.test = d.test ? { n: d.test.n, xy: f32(d.test.xy), y: bytes(d.test.y) } : null;
  st.encY = bytes(d.enc_y); st.curve = d.curve; st.pending = null;
  st.tools.classList.toggle("fp-hidden", !d.clickable); st.cv.boundary.classList.toggle("fp-click", !!d.clickable);
  if (newRun) {
    st.runId = d.run; st.queue = []; st.frames = []; st.hist = []; st.lastEpoch = -1; st.seq = null; st.ranges = {};
    st.framesSig = null; stopPlaying(st, false);
  }
  if (newRun || d.mode !== "live") { st.held = false; st.root.dataset.held = "0"; }
  if (d.mode === "live") {
    stopPlaying(st, false);
    st.scrubBox.classList.add("fp-hidden");
    if (d.seq !== st.seq) {
      const now = performance.now();
      if (st.arrived) st.interval = 0.7 * st.interval + 0.3 * Math.min(3000, Math.max(100, now - st.arrived));
      st.arrived = now; st.seq = d.seq;
      const fresh = d.frames.filter(f => f.epoch > st.lastEpoch);
      if (fresh.length) st.lastEpoch = fresh[fresh.length - 1].epoch;
      remember(st, fresh);
      st.received += fresh.length; st.batches++;
      st.root.dataset.received = String(st.received); st.root.dataset.batches = String(st.batches);
      if (st.held) { if (st.current) show(st, st.current); }  // the picture stays; "newest epoch" moves on
      else if (reduced()) { st.queue = []; if (fresh.length) show(st, fresh[fresh.length - 1]); }  // no playing between frames
      else {
        st.queue.push(...fresh);
        const batch = Math.max(1, fresh.length);
        if (st.queue.length > 2 * batch + 1) st.queue.splice(0, st.queue.length - batch - 1);  // fell behind: skip ahead
        st.frameDt = st.interval / batch;
        if (!st.current && st.queue.length) show(st, st.queue.shift());
      }
    } else if (st.current) show(st, st.current);
    st.frames = [];
    if (!st.playing) { st.playing = true; st.nextAt = performance.now(); requestAnimationFrame(() => tick(st)); }
  } else {
    st.queue = []; st.hist = []; st.frames = d.frames; st.scrubBox.classList.toggle("fp-hidden", d.frames.length < 2);
    st.scrub.max = Math.max(0, d.frames.length - 1);
    const sig = d.frames.length + ":" + (d.frames.length ? d.frames[d.frames.length - 1].epoch : -1);
    let i = d.frames.length - 1;
    if (d.scrub !== null && d.scrub !== undefined) { const j = d.frames.findIndex(f => f.epoch >= d.scrub); if (j >= 0) i = j; }
    // The same frames, moved here since the last report (keys, the slider, playing): the rerun that report
    // made must not pull the replay back to where it was then.
    if (!wasLive && sig === st.framesSig && st.movedAt > (st.reported || 0)) i = Math.min(+st.scrub.value, d.frames.length - 1);
    else stopPlaying(st, false);
    st.framesSig = sig; st.seq = d.seq; st.scrub.value = i;
    if (d.frames[i]) show(st, d.frames[i]);
  }
}

export default function (component) {
  const { data, parentElement, setStateValue, setTriggerValue } = component;
  let st = PLAYERS.get(parentElement);
  if (!st) {
    st = { cv: {}, cap: {}, queue: [], frames: [], hist: [], pos: 0, ranges: {}, interval: 500, frameDt: 50, drawn: 0,
           seq: null, clickMode: "red", uid: Math.random().toString(36).slice(2), received: 0, batches: 0, spokes: 0,
           held: false, timer: null, focused: false, movedAt: 0, seenAt: -1e9 };
    st.root = parentElement.querySelector(".fp-root") || parentElement;
    build(st.root, st);
    PLAYERS.set(parentElement, st);
  }
  st.setState = setStateValue; st.setTrigger = setTriggerValue;
  if (data) update(st, data);
}
