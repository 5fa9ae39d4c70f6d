"""A class at once: N students open the training page of ONE server and all press Start.

Each student is a headless websocket client speaking Streamlit's own protocol (bench/st_client.py):
it opens the page, clicks the Start button, keeps its session alive (its live view polls, so
its job's heartbeat beats) for `--hold` seconds, then closes the tab. Meanwhile this script
measures, on loopback only:

- `/_stcore/health` latency p50/p95/max every 0.25 s (target p95 < 1 s),
- crashed sessions: an exception element on the page or a dropped websocket (target 0),
- that jobs beyond FMNIST_MAX_JOBS queue and say so ("#N in the queue") and never more train at once,
- that no student sees another's run (each one starts with its own seed and must only ever see that seed),
- the server's RSS and thread count (from /proc/<pid>/status) before, during and after,
- that every job ends after its student leaves: the thread count comes back to the baseline
  and the server's CPU use falls to idle (the page heartbeat times out after 8 s),
- on the decision-boundary page, how many epochs each student's network trained (the largest epoch
  its frame player was sent).

    .venv/bin/python bench/many_students.py            # 20 students, 2 training slots
    .venv/bin/python bench/many_students.py --n 30 --max-jobs 4 --hold 40 --json out.json
    .venv/bin/python bench/many_students.py --page boundaries --query "seed={seed}&speed=10" --n 10 --hold 20
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.st_client import StClient
from bench.st_server import ROOT, StreamlitServer, health

QUEUE_RE = re.compile(r"#(\d+)\*{0,2} in the queue.*?(\d+) jobs? training on this server, limit (\d+)", re.S)


# --------------------------------------------------------------------------- the server process

def start_server(max_jobs: int, script: str = "app.py", root: Path = ROOT, max_toy: int = 0) -> StreamlitServer:
    """`streamlit run app.py` on a free loopback port, with job limits (`max_toy` 0: the server's default
    for toy jobs) and one training thread per job."""
    env = {"FMNIST_MAX_JOBS": str(max_jobs), "FMNIST_THREADS": "1"}
    if max_toy:
        env["FMNIST_MAX_TOY_JOBS"] = str(max_toy)
    return StreamlitServer(script=script, env=env, name="many-students", root=root)


def proc_status(pid: int) -> dict:
    """VmRSS (MB) and Threads of a process, from /proc (no psutil here)."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            k, _, v = line.partition(":")
            if k == "VmRSS":
                out["rss_mb"] = int(v.split()[0]) / 1024
            elif k == "Threads":
                out["threads"] = int(v)
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        out["cpu_s"] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    except (OSError, IndexError, ValueError):
        pass
    return out


def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of each thread of a process (tid -> utime + stime), from /proc/<pid>/task."""
    out = {}
    tick = os.sysconf("SC_CLK_TCK")
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return out
    for d in tasks:
        try:
            f = (d / "stat").read_text().rsplit(")", 1)[1].split()
            out[int(d.name)] = (int(f[11]) + int(f[12])) / tick
        except (OSError, ValueError, IndexError):
            pass
    return out


# --------------------------------------------------------------------------- one student

@dataclass
class Student:
    i: int
    seed: int
    connected_s: float = 0.0  # until the page's first run finished
    started: bool = False  # the Start button turned disabled: this session has a job
    queued: bool = False  # saw "#N in the queue"
    best_position: int = 0
    max_running_seen: int = 0  # "N jobs training on this server" in its queue notice
    limit_seen: int = 0
    trained: bool = False  # saw its own run's progress ("This run: ... seed <own>")
    foreign_seeds: list[int] = field(default_factory=list)  # another student's run on this page
    exceptions: list[str] = field(default_factory=list)
    dropped: str = ""
    page_not_found: bool = False
    error: str = ""
    runs: int = 0
    interrupted: int = 0
    refresh_s: list[float] = field(default_factory=list)
    epochs: int = 0  # the decision-boundary page: the largest epoch its frame player was sent

    @property
    def crashed(self) -> bool:
        return bool(self.exceptions or self.dropped or self.page_not_found or self.error)


def student(url: str, st: Student, page: str, button: str, query: str, hold: float, marker: re.Pattern,
            barrier: threading.Event) -> None:
    c = StClient(url, page=page, query=query.format(i=st.i, seed=st.seed), name=f"s{st.i}", timeout=120)
    t0 = time.monotonic()
    waiting = True
    try:
        c.connect()
        if not c.wait_run(120):
            raise TimeoutError("the page's first run did not finish in 120 s")
        st.connected_s = time.monotonic() - t0
        waiting = False
        barrier.wait(120)  # everyone presses Start at about the same moment
        c.click(button)
        t_click = time.monotonic()
        while time.monotonic() - t_click < hold and not c.dropped:
            time.sleep(0.25)
            texts = c.texts()
            b = c.button(button)
            if b is not None and b.disabled:
                st.started = True
            blob = "\n".join(texts)
            for m in QUEUE_RE.finditer(blob):
                st.queued = True
                pos, running, limit = int(m.group(1)), int(m.group(2)), int(m.group(3))
                st.best_position = pos if not st.best_position else min(st.best_position, pos)
                st.max_running_seen = max(st.max_running_seen, running)
                st.limit_seen = limit
            for m in marker.finditer(blob):
                s = int(m.group(1))
                if s == st.seed:
                    st.trained = True
                elif s not in st.foreign_seeds:
                    st.foreign_seeds.append(s)
            player = c.component_data("fmnist_frame_player")
            if player and player.get("frames"):
                st.epochs = max(st.epochs, max(f["epoch"] for f in player["frames"]))
    except Exception as e:  # recorded, reported as a crashed session
        st.error = f"{type(e).__name__}: {e}"
        if waiting:
            barrier.set()  # do not keep the others waiting for this one
    finally:
        st.exceptions, st.dropped, st.page_not_found, st.runs = list(c.exceptions), c.dropped, c.page_not_found, c.n_runs
        st.refresh_s, st.interrupted = list(c.refresh_s), c.n_interrupted
        c.close()


# --------------------------------------------------------------------------- the measurement

def percentile(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def run(n: int = 20, max_jobs: int = 2, hold: float = 25.0, ramp: float = 4.0, page: str = "training",
        button: str = "Start", query: str = "seed={seed}&until=time&budget=120",
        marker: str = r"\bseed (\d+)\b", settle: float = 40.0, script: str = "app.py", root: Path = ROOT,
        max_toy: int = 0, log=print) -> dict:
    t_begin = time.monotonic()
    server = start_server(max_jobs, script=script, root=root, max_toy=max_toy)
    samples: list[dict] = []  # {t, phase, rss_mb, threads, cpu_s}
    pings: list[dict] = []  # {t, phase, ok, s}
    phase = {"name": "warmup"}
    stop = threading.Event()

    tid_cpu: dict[int, float] = {}  # every server thread seen while the students were on -> its CPU seconds

    def sampler():
        while not stop.wait(0.5):
            samples.append({"t": time.monotonic() - t_begin, "phase": phase["name"], **proc_status(server.pid)})
            if phase["name"] == "students":
                tid_cpu.update(thread_cpu(server.pid))

    def pinger():
        while not stop.wait(0.25):
            ok, s = health(server.url, 5.0)
            pings.append({"t": time.monotonic() - t_begin, "phase": phase["name"], "ok": ok, "s": s})

    try:
        log(f"server {server.url} pid {server.pid} (FMNIST_MAX_JOBS={max_jobs}), log {server.log}")
        # Warm-up: one visit loads torch, the dataset and the page's caches, as the teacher's first visit does.
        w = StClient(server.url, page=page, name="warmup", timeout=120).connect()
        if not w.wait_run(120) or w.exceptions:
            raise RuntimeError(f"the {page!r} page does not load: {w.exceptions or w.dropped or 'timeout'}")
        if w.button(button) is None:
            raise RuntimeError(f"no {button!r} button on the {page!r} page: {[b.label for b in w.buttons()]}")
        w.close()
        time.sleep(2.0)
        before = proc_status(server.pid)
        base_tids = set(thread_cpu(server.pid))
        log(f"baseline after warm-up: RSS {before['rss_mb']:.0f} MB, {before['threads']} threads")

        threads = [threading.Thread(target=sampler, daemon=True), threading.Thread(target=pinger, daemon=True)]
        for t in threads:
            t.start()
        time.sleep(2.0)  # a few idle pings for comparison
        phase["name"] = "students"
        students = [Student(i=i, seed=1000 + i) for i in range(n)]
        barrier = _CountBarrier(n)
        workers = []
        t_students = time.monotonic()
        for st in students:
            t = threading.Thread(target=student, daemon=True,
                                 args=(server.url, st, page, button, query, hold, re.compile(marker), barrier))
            t.start()
            workers.append(t)
            time.sleep(ramp / max(n, 1))
        for t in workers:
            t.join(hold + 300)
        t_closed = time.monotonic()
        log(f"{n} students done in {t_closed - t_students:.1f} s; waiting for their jobs to end")

        # Every job must end once its page stops beating. The threads that worked hard while the
        # students were on (the training jobs, and the script runs that drew their pages) must be
        # gone, and the server's CPU idle. Queued jobs have no thread: had one not been dropped, it
        # would start training now and show up as a busy thread.
        phase["name"] = "after"
        hot = {tid for tid, cpu in tid_cpu.items() if tid != server.pid and tid not in base_tids and cpu >= 1.0}
        ended_after, hot_alive = None, sorted(hot)
        while time.monotonic() - t_closed < settle:
            time.sleep(0.5)
            now = thread_cpu(server.pid)
            hot_alive = sorted(hot & set(now))
            cpu_rate = _cpu_rate(samples, window=2.0)
            if not hot_alive and cpu_rate is not None and cpu_rate < 0.2:
                ended_after = time.monotonic() - t_closed
                break
        time.sleep(1.0)
        after = proc_status(server.pid)
        end_tids = thread_cpu(server.pid)
        hot_alive = sorted(hot & set(end_tids))
        lingering = {tid: round(cpu, 2) for tid, cpu in end_tids.items() if tid not in base_tids}
        stop.set()
        for t in threads:
            t.join(6)
        server_alive = server.proc.poll() is None
    finally:
        stop.set()
        server.stop()

    during = [s for s in samples if s["phase"] == "students"]
    lat = [p["s"] for p in pings if p["phase"] == "students"]
    idle_lat = [p["s"] for p in pings if p["phase"] == "warmup"]
    refresh = [x for s in students for x in s.refresh_s]
    epochs = sorted(s.epochs for s in students)
    report = {
        "students": n, "max_jobs": max_jobs, "hold_s": hold, "page": page,
        "health": {"n": len(lat), "failures": sum(not p["ok"] for p in pings if p["phase"] == "students"),
                   "p50_s": percentile(lat, 0.5), "p95_s": percentile(lat, 0.95), "max_s": max(lat, default=float("nan")),
                   "idle_p50_s": percentile(idle_lat, 0.5)},
        "crashed_sessions": sum(s.crashed for s in students),
        "started": sum(s.started for s in students),
        "queued": sum(s.queued for s in students),
        "trained": sum(s.trained for s in students),
        "queue_positions": sorted(s.best_position for s in students if s.queued),
        "max_running_seen": max((s.max_running_seen for s in students), default=0),
        "limit_seen": max((s.limit_seen for s in students), default=0),
        "foreign_runs_seen": sum(len(s.foreign_seeds) for s in students),
        "live_refresh_s": {"n": len(refresh), "p50": percentile(refresh, 0.5), "p95": percentile(refresh, 0.95)},
        "server_cpu_per_s": _cpu_between(during),
        "epochs_per_student": {"min": epochs[0] if epochs else 0, "median": percentile(epochs, 0.5) if epochs else 0,
                               "max": epochs[-1] if epochs else 0},
        "connect_s": {"p50": percentile([s.connected_s for s in students if s.connected_s], 0.5),
                      "max": max((s.connected_s for s in students), default=0.0)},
        "rss_mb": {"before": before.get("rss_mb"), "peak": max((s.get("rss_mb", 0) for s in during), default=None),
                   "after": after.get("rss_mb")},
        "threads": {"before": before.get("threads"), "peak": max((s.get("threads", 0) for s in during), default=None),
                    "after": after.get("threads")},
        "jobs_ended_s_after_last_close": ended_after,
        "busy_threads_seen": len(hot),
        "busy_threads_alive_after": hot_alive,
        "new_threads_alive_after": lingering,  # tid -> CPU seconds: threads the server kept (pools)
        "server_alive": server_alive,
        "server_log_tracebacks": server.log_tracebacks(),
        "server_log_disconnect_tracebacks": server.log_tracebacks("WebSocketDisconnected"),
        "wall_s": time.monotonic() - t_begin,
        "series": {"health": [(round(p["t"], 2), round(p["s"], 3)) for p in pings],
                   "proc": [(round(s["t"], 1), s["phase"], round(s.get("rss_mb", 0)), s.get("threads"),
                             round(s.get("cpu_s", 0), 2)) for s in samples]},
        "per_student": [{"i": s.i, "runs": s.runs, "interrupted": s.interrupted, "refreshes": len(s.refresh_s),
                         "queued": s.queued, "started": s.started} for s in students],
        "problems": [asdict(s) for s in students if s.crashed or s.foreign_seeds],
    }
    return report


def _cpu_between(samples: list[dict]) -> float | None:
    pts = [s for s in samples if "cpu_s" in s]
    if len(pts) < 2 or pts[-1]["t"] <= pts[0]["t"]:
        return None
    return (pts[-1]["cpu_s"] - pts[0]["cpu_s"]) / (pts[-1]["t"] - pts[0]["t"])


def _cpu_rate(samples: list[dict], window: float) -> float | None:
    """The server's CPU seconds per second over the last `window` seconds of samples."""
    pts = [s for s in samples if "cpu_s" in s]
    if len(pts) < 2:
        return None
    last = pts[-1]
    first = next((s for s in pts if s["t"] >= last["t"] - window), pts[0])
    if last["t"] - first["t"] < window / 2:
        return None
    return (last["cpu_s"] - first["cpu_s"]) / (last["t"] - first["t"])


class _CountBarrier:
    """Released when all `n` students have loaded the page (or one gave up)."""

    def __init__(self, n: int):
        self.n, self.count, self.cond = n, 0, threading.Condition()

    def wait(self, timeout: float) -> None:
        with self.cond:
            self.count += 1
            self.cond.notify_all()
            self.cond.wait_for(lambda: self.count >= self.n, timeout)

    def set(self) -> None:  # a student that failed before the barrier must not hold the others
        with self.cond:
            self.count += 1
            self.cond.notify_all()


def _ranges(xs: list[int]) -> str:
    """[1, 2, 3, 5] -> '#1-3, #5'."""
    out, start = [], None
    for i, x in enumerate(xs):
        if start is None:
            start = x
        if i + 1 == len(xs) or xs[i + 1] != x + 1:
            out.append(f"#{start}" if start == x else f"#{start}-{x}")
            start = None
    return ", ".join(out) or "none"


def format_report(r: dict) -> str:
    h, rss, th = r["health"], r["rss_mb"], r["threads"]
    ended = r["jobs_ended_s_after_last_close"]
    return "\n".join([
        f"{r['students']} students on '{r['page']}', {r['max_jobs']} training slots, each held {r['hold_s']:.0f} s",
        f"health: p50 {h['p50_s'] * 1000:.0f} ms, p95 {h['p95_s'] * 1000:.0f} ms, max {h['max_s'] * 1000:.0f} ms, "
        f"{h['failures']} failed of {h['n']} (idle p50 {h['idle_p50_s'] * 1000:.0f} ms)",
        f"sessions: {r['crashed_sessions']} crashed, {r['started']} started a job, {r['queued']} saw the queue notice, "
        f"{r['trained']} saw their own run; queue places shown {_ranges(r['queue_positions'])}; most jobs training at once seen: {r['max_running_seen']} "
        f"(limit shown {r['limit_seen']}); other students' runs seen: {r['foreign_runs_seen']}",
        f"live view refresh (fragment rerun asked -> drawn): p50 {r['live_refresh_s']['p50']:.2f} s, "
        f"p95 {r['live_refresh_s']['p95']:.2f} s over {r['live_refresh_s']['n']} refreshes; "
        f"server CPU {r['server_cpu_per_s'] or 0:.2f} core-s/s while the students were on",
        f"page load under load: p50 {r['connect_s']['p50']:.1f} s, max {r['connect_s']['max']:.1f} s",
        *([f"epochs trained per student (decision boundaries) in {r['hold_s']:.0f} s: min {e['min']}, median "
           f"{e['median']:.0f}, max {e['max']}"] if (e := r["epochs_per_student"])["max"] else []),
        f"server RSS: {rss['before']:.0f} MB before, {rss['peak']:.0f} MB peak, {rss['after']:.0f} MB after "
        f"(+{rss['peak'] - rss['before']:.0f} MB); threads {th['before']} before, {th['peak']} peak, {th['after']} after",
        "jobs ended: " + (f"{ended:.1f} s after the last student left" if ended is not None
                          else "NOT all within the wait (a busy thread alive or the CPU busy)")
        + f"; {r['busy_threads_seen']} busy threads seen, {len(r['busy_threads_alive_after'])} alive after, "
          f"{len(r['new_threads_alive_after'])} new idle threads kept",
        f"server alive: {r['server_alive']}, tracebacks in its log: {r['server_log_tracebacks']} "
        f"({r['server_log_disconnect_tracebacks']} of them Streamlit's own websocket-disconnect noise), "
        f"wall {r['wall_s']:.0f} s",
    ])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=20, help="students (websocket sessions)")
    ap.add_argument("--max-jobs", type=int, default=2, help="FMNIST_MAX_JOBS for the server")
    ap.add_argument("--hold", type=float, default=25.0, help="seconds each student stays after pressing Start")
    ap.add_argument("--ramp", type=float, default=4.0, help="seconds over which the students arrive")
    ap.add_argument("--page", default="training")
    ap.add_argument("--button", default="Start")
    ap.add_argument("--query", default="seed={seed}&until=time&budget=120",
                    help="query string per student; {i} and {seed} are filled in")
    ap.add_argument("--script", default="app.py", help="the Streamlit script the server runs")
    ap.add_argument("--max-toy-jobs", type=int, default=0,
                    help="FMNIST_MAX_TOY_JOBS for the server (the decision-boundary page); 0: its default")
    ap.add_argument("--root", type=Path, default=ROOT, help="the checkout whose app is measured (a before/after)")
    ap.add_argument("--json", type=Path, help="also write the report here")
    a = ap.parse_args(argv)
    r = run(n=a.n, max_jobs=a.max_jobs, hold=a.hold, ramp=a.ramp, page=a.page, button=a.button, query=a.query,
            script=a.script, root=a.root, max_toy=a.max_toy_jobs)
    print(format_report(r))
    if r["problems"]:
        print("problems:", json.dumps(r["problems"], indent=1)[:4000])
    if a.json:
        a.json.write_text(json.dumps(r, indent=1))
    ok = (r["crashed_sessions"] == 0 and r["health"]["p95_s"] < 1.0 and r["foreign_runs_seen"] == 0
          and r["jobs_ended_s_after_last_close"] is not None)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
