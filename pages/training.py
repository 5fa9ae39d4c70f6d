"""4 · Train on Fashion-MNIST: live curves, confusion matrix, mistakes, run comparison and ensembles."""
from __future__ import annotations

import time

import numpy as np
import streamlit as st

from fmnist_core import metrics
from fmnist_core.activations import ACTIVATIONS
from fmnist_core.fashion import CLASS_NAMES, NORMALIZATIONS
from fmnist_core.models import CLASSIC_HIDDEN
from fmnist_core.runs import (LiveRun, RunRecord, default_name, describe_model, history_csv, history_series,
                              list_saved_runs, parse_hidden_sizes, runs_dir, save_run)
from fmnist_core.train import OPTIMIZERS, RECIPES, SCHEDULES, TrainConfig, train
from fmnist_core.url_state import Choice, Float, Int
from fmnist_core.weight_init import INITS

try:
    from fmnist_core.weight_init import INIT_PARAMS
except ImportError:  # an older registry without parameters
    INIT_PARAMS = {}
from ui import live
from ui import time_to_accuracy_figure as tta_fig
from ui import training_figures as figs
from ui.common import bind_url, dataset, device, ensure_router, require_dataset, show_url_notes, write_url

JOB_KEY = "training_job"
RUNS_KEY = "training_runs"
LIVE_KEY = "training_live"
MAX_RUNS = 8  # each kept run holds its model and 10,000 x 10 probabilities
POLL_S = 0.5  # 2 Hz: fast enough to watch, light enough to leave the training thread its core
EVAL_POLL_S = 2.0  # evaluations come once per epoch (1-2 s for the MLP); each redraw costs the browser CPU

MODELS = {"classic": "Classic MLP 784-256-128-64-10", "mlp": "MLP with my hidden sizes", "cnn": "Small CNN"}
LRS = (1e-4, 3e-4, 1e-3, 3e-3, 5e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0)
BATCHES = (32, 64, 128, 256, 512, 1024, 2048)
DECAYS = (0.0, 1e-5, 1e-4, 1e-3, 1e-2)
OPTIMIZER_HELP = {
    "sgd": "Plain gradient descent on each batch: w ← w − lr·∂L/∂w. Noisy and slow; needs a larger lr "
           "(≈0.1).",
    "momentum": "Keeps an exponential average of past gradients (0.9), which smooths the zig-zag.",
    "adagrad": "A learning rate per parameter, larger for rarely updated ones; it shrinks over time.",
    "adam": "Momentum + scaling by the average squared gradient + bias correction. Usually slightly ahead.",
}
SHORT = [n.replace("T-shirt/top", "T-shirt") for n in CLASS_NAMES]  # fits under a 28-pixel tile
_recipe = RECIPES["mlp"]


class HiddenSizes:
    """URL field for the hidden sizes text box ('256,128,64')."""

    default = ",".join(str(h) for h in CLASSIC_HIDDEN)

    def parse(self, raw: str):
        try:
            return ",".join(str(h) for h in parse_hidden_sizes(raw)), None
        except ValueError:
            return self.default, "not a list of layer sizes"

    def dump(self, v) -> str:
        return str(v)


SCHEMA = {
    "model": Choice("classic", tuple(MODELS)),
    "hidden": HiddenSizes(),
    "activation": Choice(_recipe.activation, tuple(ACTIVATIONS)),
    "init": Choice(_recipe.init, tuple(INITS)),
    "optimizer": Choice(_recipe.optimizer, tuple(OPTIMIZERS)),
    "lr": Float(_recipe.lr, LRS[0], LRS[-1]),
    "schedule": Choice(_recipe.schedule, tuple(SCHEDULES)),
    "batch": Int(_recipe.batch_size, BATCHES[0], BATCHES[-1]),
    "until": Choice("time", ("time", "epochs")),
    "budget": Int(30, 2, 300),
    "epochs": Int(10, 1, 50),
    "dropout": Float(_recipe.dropout, 0.0, 0.8),
    "wd": Float(0.0, DECAYS[0], DECAYS[-1]),
    "norm": Choice(_recipe.normalization, tuple(NORMALIZATIONS)),
    "seed": Int(0, 0, 9999),
}


def _snap(key: str, options: tuple) -> None:
    """Put a slider's state on its nearest option (a link may carry any number in range)."""
    v = st.session_state.get(key)
    if v not in options:
        st.session_state[key] = min(options, key=lambda o: abs(np.log10(o + 1e-9) - np.log10(float(v or 0) + 1e-9)))


def _label(registry: dict, name: str) -> str:
    v = registry.get(name, name)
    return getattr(v, "label", v if isinstance(v, str) else name)


@st.cache_resource(show_spinner=False)
def _test_arrays(device_name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    data = dataset()
    labels = data.test_labels.cpu().numpy()
    rng = np.random.default_rng(0)
    # Two test images of each class, the same ones in every run, so the class sees them change.
    sample = np.concatenate([rng.choice(np.flatnonzero(labels == c), 2, replace=False) for c in range(10)])
    return data.test_images.cpu().numpy(), labels, sample


def test_arrays() -> tuple[np.ndarray, np.ndarray]:
    """Test images (10000, 28, 28) uint8 and labels (10000,) as numpy, for drawing."""
    images, labels, _ = _test_arrays(str(device()))
    return images, labels


def sample_indices() -> np.ndarray:
    return _test_arrays(str(device()))[2]


# --------------------------------------------------------------------------- settings

def config_from_state() -> tuple[TrainConfig | None, str | None]:
    """The TrainConfig the widgets describe, or (None, why not)."""
    ss = st.session_state
    model = ss["training_model"]
    hidden = CLASSIC_HIDDEN
    if model == "mlp":
        try:
            hidden = parse_hidden_sizes(ss["training_hidden"])
        except ValueError as e:
            return None, str(e)
    act = ss["training_activation"]
    params = tuple(sorted((p.name, float(ss.get(f"training_act_{act}_{p.name}", p.default)))
                          for p in getattr(ACTIVATIONS.get(act), "params", ())))
    init = ss["training_init"]
    init_params = tuple(sorted((q.name, float(ss.get(f"training_init_{init}_{q.name}", q.default)))
                               for q in INIT_PARAMS.get(init, ())))
    by_time = ss["training_until"] == "time"
    cfg = TrainConfig(
        model="cnn" if model == "cnn" else "mlp", hidden=hidden, activation=act, activation_params=params,
        dropout=float(ss["training_dropout"]), init=init, init_params=init_params, optimizer=ss["training_optimizer"],
        lr=float(ss["training_lr"]), schedule=ss["training_schedule"], batch_size=int(ss["training_batch"]),
        # With a budget the schedule follows the clock; the epoch count is only a ceiling.
        epochs=1000 if by_time else int(ss["training_epochs"]),
        time_budget=float(ss["training_budget"]) if by_time else None,
        normalization=ss["training_norm"], weight_decay=float(ss["training_wd"]), seed=int(ss["training_seed"]),
        # A curve point every few steps: several new points per 0.5 s poll whatever the batch size.
        event_every=max(5, min(20, round(4096 / int(ss["training_batch"])))),
    )
    if model == "cnn":  # the demo CNN of RECIPES["cnn"]: its architecture, label smoothing and mirroring
        r = RECIPES["cnn"]
        cfg = cfg.with_(model=r.model, hidden=r.hidden, label_smoothing=r.label_smoothing, flip=r.flip,
                        tta_flip=r.tta_flip)
    return cfg, None


def seed_settings() -> None:
    """Widget state from the link or this session, put on the sliders' steps."""
    show_url_notes(bind_url("training", SCHEMA))
    _snap("training_lr", LRS)
    _snap("training_batch", BATCHES)
    if st.session_state["training_wd"] not in DECAYS:
        st.session_state["training_wd"] = min(DECAYS, key=lambda d: abs(d - st.session_state["training_wd"]))


def settings_panel(active: bool) -> None:
    # While a run trains the settings fold away (they apply to the next run), so the live view moves up.
    box = st.expander("⚙️ Settings for the next run", expanded=False) if active else st.container(border=True)
    with box:
        c1, c2, c3, c4 = st.columns(4, gap="medium")
        with c1:
            st.markdown("**Network**")
            st.selectbox("Model", list(MODELS), format_func=MODELS.get, key="training_model")
            if st.session_state["training_model"] == "mlp":
                st.text_input("Hidden layer sizes", key="training_hidden", help="Comma-separated, e.g. 512, 256")
            act = st.selectbox("Activation", list(ACTIVATIONS), key="training_activation",
                               format_func=lambda n: _label(ACTIVATIONS, n))
            spec = ACTIVATIONS.get(act)
            if spec is not None and spec.params:
                with st.popover("Shape parameters", width="stretch"):
                    for p in spec.params:
                        st.slider(p.name, float(p.low), float(p.high), float(p.default),
                                  key=f"training_act_{act}_{p.name}",
                                  help=(p.help + (" (starting value; it is learned)" if p.trainable else "")) or None)
            if spec is not None and not getattr(spec, "learns_by_gradient", True):
                st.caption("⚠️ Its gradient is zero almost everywhere: backpropagation cannot teach this network.")
            init = st.selectbox("Initializer", list(INITS), key="training_init", format_func=lambda n: _label(INITS, n))
            init_params = INIT_PARAMS.get(init, ())
            if init_params:
                with st.popover("Initializer parameters", width="stretch"):
                    for q in init_params:
                        st.number_input(q.name, float(q.low), float(q.high), float(q.default),
                                        format="%g", key=f"training_init_{init}_{q.name}",
                                        help="page 3 shows what this does to each layer")
        with c2:
            st.markdown("**Optimizer**")
            opt = st.selectbox("Optimizer", list(OPTIMIZERS), key="training_optimizer",
                               format_func=lambda n: _label(OPTIMIZERS, n))
            st.caption(OPTIMIZER_HELP.get(opt, ""))  # curriculum 9: what each optimizer does
            st.select_slider("Learning rate (peak)", LRS, key="training_lr", format_func=lambda v: f"{v:g}")
            st.selectbox("Schedule", list(SCHEDULES), key="training_schedule",
                         format_func=lambda n: _label(SCHEDULES, n))
        with c3:
            st.markdown("**Data & length**")
            st.select_slider("Batch size", BATCHES, key="training_batch")
            st.selectbox("Input normalization", list(NORMALIZATIONS), key="training_norm",
                         format_func=lambda n: _label(NORMALIZATIONS, n))
            st.radio("Stop after", ["time", "epochs"], key="training_until", horizontal=True,
                     format_func={"time": "a time budget", "epochs": "a number of epochs"}.get)
            if st.session_state["training_until"] == "time":
                st.slider("Time budget (s)", 2, 300, key="training_budget",
                          help="The learning-rate schedule follows the clock, so the run ends annealed.")
            else:
                st.slider("Epochs", 1, 50, key="training_epochs")
        with c4:
            st.markdown("**Regularization**")
            st.slider("Dropout", 0.0, 0.8, step=0.05, key="training_dropout",
                      help="During training each hidden unit is switched off with this probability.")
            st.select_slider("Weight decay", DECAYS, key="training_wd", format_func=lambda v: f"{v:g}")
            st.number_input("Seed", 0, 9999, step=1, key="training_seed")
        cfg, error = config_from_state()
        if error:
            st.error(error)
        elif cfg.model == "cnn" and device().type == "cpu" and cfg.time_budget and cfg.time_budget < 90:
            st.caption("ℹ️ On a CPU the CNN needs about 2 minutes to pass 91%: try a 120 s budget.")
    write_url("training", SCHEMA)


# --------------------------------------------------------------------------- job control (button callbacks)

def _start(data) -> None:
    record_if_ended(live.current(JOB_KEY))  # keep the previous run before its job is replaced
    cfg, error = config_from_state()
    if cfg is None:
        return
    job = live.start(JOB_KEY, "training", lambda job: train(cfg, data, on_event=job.emit, control=job.control))
    if job is not None:
        st.session_state[LIVE_KEY] = LiveRun(job.id)
        st.session_state["training_job_cfg"] = cfg
        st.session_state.pop("training_cell_clicked", None)
        st.session_state.pop("training_stop_clicked", None)


def _stop() -> None:
    job = live.current(JOB_KEY)
    if job is not None and job.active:
        st.session_state["training_stop_clicked"] = time.time()
        job.stop()


def _reset() -> None:
    _stop()
    for k in (JOB_KEY, LIVE_KEY, "training_job_cfg", "training_cell_clicked", "training_figures"):
        st.session_state.pop(k, None)


def record_if_ended(job) -> RunRecord | None:
    """Keep an ended job's result as a run of this session (once)."""
    if job is None or job.active or job.result is None:
        return None
    runs: list[RunRecord] = st.session_state.setdefault(RUNS_KEY, [])
    if any(r.run_id == job.id for r in runs):
        return None
    number = len(runs) + 1 + st.session_state.get("training_dropped", 0)
    rec = RunRecord.from_result(job.result, run_id=job.id, name=default_name(number, job.result.config))
    runs.append(rec)
    if len(runs) > MAX_RUNS:
        old = runs.pop(0)
        st.session_state["training_dropped"] = st.session_state.get("training_dropped", 0) + 1
        st.toast(f"Kept the last {MAX_RUNS} runs; forgot {old.name}.")
    return rec


# --------------------------------------------------------------------------- live view

def _progress_line(lv: LiveRun, cfg: TrainConfig | None, job) -> None:
    ev = lv.done or lv.last_progress or lv.last_epoch
    if ev is None:
        if job.state == "running":
            st.progress(0.0, text="Starting: building the network…")
        return
    p = float(ev.get("progress", 0.0))
    elapsed = float(ev.get("elapsed", 0.0))
    if lv.done:
        text = f"Ended after {elapsed:.1f} s, epoch {ev['epoch']:.1f}"
        p = 1.0 if lv.done.get("status") in ("finished", "budget") else p
    else:
        paused = job.control.paused
        if cfg is not None and cfg.time_budget:
            if not paused and lv.last_seen is not None:  # the clock runs on between two events
                elapsed = min(elapsed + time.monotonic() - lv.last_seen, cfg.time_budget)
            p = max(p, elapsed / cfg.time_budget)
            left = cfg.time_budget - elapsed
        else:
            left = elapsed * (1 - p) / p if p > 0 else float("nan")
        ips = (lv.last_progress or {}).get("images_per_sec")
        text = (f"{'⏸ Paused · ' if paused else ''}Epoch {ev['epoch']:.1f} · {elapsed:.1f} s"
                f" · {left:.0f} s left" + (f" · {ips:,.0f} images/s" if ips else "") + f" · lr {ev['lr']:.2g}")
    st.progress(min(max(p, 0.0), 1.0), text=text)


def _stats_line(lv: LiveRun) -> None:
    """The latest numbers in one line (one element: cheaper to redraw twice a second than four tiles)."""
    tp = lv.test_points
    lp = lv.last_progress or lv.last_epoch or {}
    parts = []
    if "train_loss" in lp:
        parts.append(f"loss {lp['train_loss']:.3f}")
        parts.append(f"train {lp['train_accuracy']:.1%}")
    if tp:
        d = (tp[-1]["test_accuracy"] - tp[-2]["test_accuracy"]) * 100 if len(tp) > 1 else 0.0
        parts.append(f"test {tp[-1]['test_accuracy']:.1%}" + (f" ({d:+.1f} pt)" if abs(d) >= 0.05 else ""))
        best = max(tp, key=lambda e: e["test_accuracy"])
        parts.append(f"best {best['test_accuracy']:.1%} at {best['elapsed']:.0f} s")
    st.subheader(" · ".join(parts) if parts else "waiting for the first steps…", anchor=False,
                 help="Loss and accuracy on this epoch's training batches so far (dropout on), and on the 10,000 "
                      "test images after each epoch.")


def curve_controls() -> tuple[float, str]:
    """Smoothing and x axis of the live curves (outside the polled view: moving them redraws the page once)."""
    o1, o2, _ = st.columns([2, 1, 2])
    smoothing = o1.slider("Smoothing (like TensorBoard's)", 0.0, 0.99, 0.6, 0.01, key="training_smoothing",
                          help="An exponential moving average of the noisy train curve; 0 shows it raw.")
    x = o2.radio("x axis", ["epoch", "elapsed"], key="training_x", horizontal=True,
                 format_func={"epoch": "epochs", "elapsed": "seconds"}.get)
    return smoothing, x


def _curves(lv: LiveRun, job_id: int) -> None:
    smoothing = st.session_state.get("training_smoothing", 0.6)
    x = st.session_state.get("training_x", "epoch")
    key = (job_id, lv.n, smoothing, x)
    s = _cached("series", (job_id, lv.n), lv.series)
    c1, c2 = st.columns(2)
    c1.vega_lite_chart(_cached("loss", key, lambda: figs.curves_chart([("this run", s)], "loss", smoothing, x,
                                                                      title="Loss")),
                       key="training_loss_chart", width="stretch")
    c2.vega_lite_chart(_cached("acc", key, lambda: figs.curves_chart([("this run", s)], "accuracy", smoothing, x,
                                                                     title="Accuracy")),
                       key="training_acc_chart", width="stretch")


def _confusion_section(preds: np.ndarray, labels: np.ndarray, where: str, version) -> None:
    cm = _cached("cm", version, lambda: metrics.confusion_matrix(labels, preds))
    st.markdown(f"##### Confusion matrix {where} — accuracy {metrics.accuracy(labels, preds):.1%}")
    view = st.radio("Show", ["counts", "row %"], key="training_cm_view", horizontal=True,
                    format_func={"counts": "counts", "row %": "share of each true class (row-normalized)"}.get)
    ss = st.session_state
    ss.setdefault("training_cell_true", 6)  # Shirt taken for a T-shirt: the classic confusion
    ss.setdefault("training_cell_pred", 0)
    t, p = ss["training_cell_true"], ss["training_cell_pred"]
    c1, c2 = st.columns([3, 2])
    with c1:
        spec = _cached("cm_spec", (version, view, t, p),
                       lambda: figs.confusion_chart(cm, CLASS_NAMES, normalized=view == "row %", selected=(t, p)))
        event = st.vega_lite_chart(spec, key="training_cm_chart", on_select="rerun", selection_mode=["cell"],
                                   width="stretch")
    picked = (event.selection.get("cell") if event else None) or []
    if picked:
        cell = (int(picked[0]["t"]), int(picked[0]["p"]))
        if cell != ss.get("training_cell_clicked"):  # only a new click moves the choice
            ss["training_cell_clicked"] = cell
            ss["training_cell_true"], ss["training_cell_pred"] = cell
            _rerun_here()
    with c2:
        st.vega_lite_chart(_cached("pr", version, lambda: figs.precision_recall_chart(
            *metrics.precision_recall(cm), CLASS_NAMES, title="Per class")), key="training_pr_chart", width="stretch")
    st.caption("Row = the true class, column = what the network said: the diagonal is right, everything else a "
               "mistake. Shirt, T-shirt/top, Pullover and Coat confuse every model. **Precision**: of the images "
               "*called* a class, the share that are. **Recall**: of the images *of* a class, the share found. "
               "**Click a cell** (or pick it below) to see its images.")
    s1, s2, _ = st.columns([1, 1, 2])
    s1.selectbox("True class", range(10), key="training_cell_true", format_func=lambda i: CLASS_NAMES[i])
    s2.selectbox("Predicted class", range(10), key="training_cell_pred", format_func=lambda i: CLASS_NAMES[i])
    images, _ = test_arrays()
    idx = metrics.cell_indices(labels, preds, t, p)
    shown = idx[:30]
    st.markdown(f"**True {CLASS_NAMES[t]}, predicted {CLASS_NAMES[p]}: {len(idx)} images**"
                + (f" (the first {len(shown)})" if len(idx) > len(shown) else ""))
    if len(shown):
        st.image(_cached("cell", (version, t, p),
                         lambda: _png(figs.image_grid(images[shown], [f"#{i}" for i in shown]))))


def _rerun_here() -> None:
    """Redraw just this fragment (a click arrives as a fragment run); the whole page otherwise."""
    try:
        st.rerun(scope="fragment")
    except st.errors.StreamlitAPIException:
        st.rerun()


def _predictions_section(preds: np.ndarray, probs: np.ndarray | None, labels: np.ndarray, version) -> None:
    images, _ = test_arrays()
    sample = sample_indices()
    ok = preds[sample] == labels[sample]
    st.markdown(f"##### What it says about 20 test images: {ok.sum()} of 20 right")
    st.image(_cached("sample", version, lambda: _png(figs.image_grid(
        images[sample], [SHORT[i] for i in preds[sample]], ok=ok,
        subtitles=["right" if o else f"true: {SHORT[labels[i]]}" for o, i in zip(ok, sample)]))))
    if probs is None:
        st.caption("The most confident mistakes appear when the run ends (they need the probabilities).")
        return

    def mistakes_grid():
        worst = metrics.most_confident_mistakes(probs, labels, k=20)
        pred = probs.argmax(1)
        return figs.image_grid(images[worst], [SHORT[pred[i]] for i in worst], ok=[False] * len(worst),
                               subtitles=[f"{probs[i].max():.0%} sure\ntrue: {SHORT[labels[i]]}" for i in worst])

    st.markdown("##### Its most confident mistakes: what it said, how sure, and the truth")
    st.image(_cached("mistakes", version, lambda: _png(mistakes_grid())))
    st.caption("The wrong answers it was surest of: often garments a person would hesitate over too, "
               "sometimes a mislabelled image.")


def _job_and_live():
    """This session's job (beating its heartbeat) and its events folded so far."""
    job = live.current(JOB_KEY)
    if job is None:
        return None, None
    job.beat()  # a closed tab stops beating, and its job ends
    lv: LiveRun = st.session_state.get(LIVE_KEY)
    if lv is None or lv.job_id != job.id:
        lv = st.session_state[LIVE_KEY] = LiveRun(job.id)
    lv.update(job.events(lv.n))
    return job, lv


def _cached(name: str, key, build):
    """A figure rebuilt only when `key` changes (the views poll faster than new evaluations arrive)."""
    cache = st.session_state.setdefault("training_figures", {})
    if name not in cache or cache[name][0] != key:
        cache[name] = (key, build())
    return cache[name][1]


def _png(picture: np.ndarray) -> bytes:
    """PNG bytes of an RGB picture; st.image then only hashes them on each poll instead of encoding again."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(picture).save(buf, format="PNG")
    return buf.getvalue()


def run_header() -> None:
    """What this run is and how it ended (drawn by full runs: it changes only at the start and the end)."""
    job, lv = _job_and_live()
    if job is None:
        return
    cfg = st.session_state.get("training_job_cfg")
    if job.state == "failed":
        st.error(f"The run failed: {job.error}")
    if lv.done:
        status = lv.done.get("status")
        if status == "diverged":
            st.error(f"💥 **The run diverged** — {lv.done.get('message')}. The steps were so large that the "
                     "weights blew up (loss → ∞ or NaN). Lower the learning rate, or use a normalization of the "
                     "inputs.")
        elif status == "stopped":
            clicked, ended = st.session_state.get("training_stop_clicked"), job.finished
            after = f" (the job ended {ended - clicked:.2f} s after the click)" if clicked and ended else ""
            st.warning(f"⏹ Stopped — {lv.done.get('message')}{after}. Test accuracy of the final network: "
                       f"{lv.done['test_accuracy']:.2%}.")
        else:
            st.success(f"✅ {lv.done.get('message', '').capitalize()}. Final test accuracy: "
                       f"**{lv.done['test_accuracy']:.2%}** in {lv.done['train_seconds']:.1f} s. "
                       "The run is kept in the **Runs** tab.")
    if cfg is not None:
        st.caption(f"This run: {describe_model(cfg)} · {cfg.activation} · {cfg.init} init · "
                   f"{cfg.optimizer} lr {cfg.lr:g} ({cfg.schedule}) · batch {cfg.batch_size} · "
                   f"dropout {cfg.dropout:g} · {cfg.normalization} inputs · seed {cfg.seed} · on {device()}")
    curve_controls()


def live_view() -> None:
    """Progress, the latest numbers and the curves: polled at 2 Hz while a job is active."""
    job, lv = _job_and_live()
    if job is None:
        return
    if not job.active and st.session_state.get("training_polling"):
        record_if_ended(job)
        st.rerun()  # a full run: stops the polling, says how the run ended, shows it in the Runs tab
    live.queue_notice(job)
    _progress_line(lv, st.session_state.get("training_job_cfg"), job)
    _stats_line(lv)
    _curves(lv, job.id)


def eval_view() -> None:
    """Confusion matrix, precision/recall and the network's answers: they change at each evaluation."""
    job, lv = _job_and_live()
    if job is None:
        idle_view()
        return
    if lv.predictions is None:
        if job.active:
            st.info("The confusion matrix and the network's answers appear after the first epoch's test.")
        return
    _, labels = test_arrays()
    probs = lv.probabilities
    if probs is None and not job.active and job.result is not None:
        probs = job.result.probabilities
    where = f"after epoch {lv.eval_epoch:.0f}" if not lv.done else "of the final network"
    _confusion_section(lv.predictions, labels, where, (job.id, lv.n_evals))
    _predictions_section(lv.predictions, probs, labels, (job.id, lv.n_evals, probs is not None))
    if lv.done and job.result is not None:  # this run against the benchmark's curve of the same model
        st.vega_lite_chart(tta_fig.run_chart(lv.series(), job.result.config, RECIPES), key="training_tta_chart",
                           width="stretch")
        st.caption("Grey: the same model on the benchmark machine (`bench/time_to_accuracy.py`, test time not "
                   "counted). Here each test evaluation counts in the seconds, and the web server shares the CPU.")


def idle_view() -> None:
    images, labels = test_arrays()
    sample = sample_indices()
    st.info("Press **▶ Start training**. The curves, the confusion matrix and the network's answers appear here "
            "and update while it learns; the settings above stay usable.")
    st.markdown("##### 20 of the 10,000 test images, with their true class")
    st.image(_cached("idle", 0, lambda: _png(figs.image_grid(images[sample], [SHORT[i] for i in labels[sample]]))))


# --------------------------------------------------------------------------- runs, comparison, ensembles

def runs_view() -> None:
    runs: list[RunRecord] = st.session_state.get(RUNS_KEY, [])
    if not runs:
        st.info("Every run that ends is kept here for this session, with its settings: train a few with different "
                "optimizers, learning rates or normalizations and compare their curves.")
        saved_list()
        return
    import pandas as pd

    st.dataframe(pd.DataFrame([r.summary_row() for r in runs]), hide_index=True, width="stretch")
    names = [r.name for r in runs]
    by_name = {r.name: r for r in runs}
    # New runs join the comparison by themselves; forgotten ones leave every selection.
    ss = st.session_state
    known = ss.get("training_cmp_known", [])
    picked = [n for n in ss.get("training_cmp_runs", names[-6:]) if n in names]
    ss["training_cmp_runs"] = (picked + [n for n in names if n not in known and n not in picked])[-8:]
    ss["training_cmp_known"] = names
    if ss.get("training_keep_run") not in names:
        ss.pop("training_keep_run", None)
    chosen = st.multiselect("Compare", names, key="training_cmp_runs")
    c0, c1, _ = st.columns([2, 1, 2])
    smoothing = c0.slider("Smoothing", 0.0, 0.99, 0.6, 0.01, key="training_cmp_smoothing")
    x = c1.radio("x axis", ["epoch", "elapsed"], key="training_cmp_x", horizontal=True,
                 format_func={"epoch": "epochs", "elapsed": "seconds"}.get)
    series = [(n, history_series(by_name[n].history)) for n in chosen]
    if series:
        a, b = st.columns(2)
        a.vega_lite_chart(figs.curves_chart(series, "loss", smoothing, x, title="Loss", compare=True),
                          key="training_cmp_loss", width="stretch")
        b.vega_lite_chart(figs.curves_chart(series, "accuracy", smoothing, x, title="Accuracy", compare=True),
                          key="training_cmp_acc", width="stretch")
        st.caption("Solid: train (smoothed); dashed with points: test. Compare at equal time (seconds) as well as "
                   "at equal epochs: a bigger batch does fewer, cheaper steps per second.")

    st.markdown("##### Keep a run")
    k1, k2, k3 = st.columns([2, 1, 1])
    name = k1.selectbox("Run", names[::-1], key="training_keep_run")
    rec = by_name[name]
    k2.button("💾 Save as checkpoint", key="training_save", width="stretch", disabled=not rec.can_ensemble,
              on_click=_save, args=(rec.run_id,),
              help="For the 'Draw a garment' page, which lists the saved checkpoints")
    k3.download_button("⬇ History as CSV", history_csv(rec.history), file_name=f"run-{rec.run_id}-history.csv",
                       mime="text/csv", key="training_csv", width="stretch")
    note = st.session_state.pop("training_save_note", None)
    if note:
        (st.error if note.startswith("Could not") else st.success)(note)
    elif rec.saved_path:
        st.caption(f"Saved as `{rec.saved_path}`.")

    ensemble_view(runs)
    saved_list()


def _save(run_id: int) -> None:
    rec = next((r for r in st.session_state.get(RUNS_KEY, []) if r.run_id == run_id), None)
    if rec is None:
        return
    try:
        path = save_run(rec)
        st.session_state["training_save_note"] = f"Saved to `{path}`: the **Draw a garment** page can load it."
    except (OSError, ValueError) as e:
        st.session_state["training_save_note"] = f"Could not save: {e}"


def ensemble_view(runs: list[RunRecord]) -> None:
    st.markdown("##### Ensemble: average the networks' probabilities")
    usable = [r for r in runs if r.can_ensemble]
    if len(usable) < 2:
        st.caption("Two or more ended runs (not diverged) can be averaged into an ensemble: train another one.")
        return
    names = [r.name for r in usable]
    ss = st.session_state
    # New runs join the ensemble by themselves (up to 5 members); forgotten ones leave it.
    known = ss.get("training_ens_known", [])
    picked = [n for n in ss.get("training_ens_members", names[-3:]) if n in names]
    picked += [n for n in names if n not in known and n not in picked]
    ss["training_ens_members"] = picked[-5:] if len(picked) >= 2 else names[-3:]
    ss["training_ens_known"] = names
    members = st.multiselect("Members", names, key="training_ens_members")
    if len(members) < 2:
        st.caption("Pick at least two members.")
        return
    by_name = {r.name: r for r in usable}
    _, labels = test_arrays()
    ens = metrics.ensemble([by_name[n].probabilities for n in members], labels)
    best_i = int(np.argmax(ens["member_accuracies"]))
    best = ens["member_accuracies"][best_i]
    st.markdown(f"The ensemble of {len(members)} networks gets **{ens['accuracy']:.2%}** on the test set; its best "
                f"member {best:.2%} ({(ens['accuracy'] - best) * 100:+.2f} points).")
    st.vega_lite_chart(figs.ensemble_chart(members, ens["member_accuracies"], ens["accuracy"],
                                           title="Test accuracy: members and their ensemble"),
                       key="training_ens_bars", width="stretch")
    view = st.radio("Show", ["counts", "row %"], key="training_ens_view", horizontal=True,
                    format_func={"counts": "counts", "row %": "row-normalized"}.get)
    if ss.get("training_ens_member") not in members or ss.get("training_ens_for") != members:
        ss["training_ens_member"] = members[best_i]  # the best member: the one to beat
    ss["training_ens_for"] = list(members)
    member = st.selectbox("Compare with member", members, key="training_ens_member")
    a, b = st.columns(2)
    a.vega_lite_chart(figs.confusion_chart(ens["confusion"], CLASS_NAMES, view == "row %", height=380,
                                           title=f"Ensemble · {ens['accuracy']:.2%}"),
                      key="training_ens_cm", width="stretch")
    m = by_name[member]
    a_m = metrics.accuracy(labels, m.predictions)
    b.vega_lite_chart(figs.confusion_chart(metrics.confusion_matrix(labels, m.predictions), CLASS_NAMES,
                                           view == "row %", height=380,
                                           title=f"Member {member.split(' ')[0]} · {a_m:.2%}"),
                      key="training_ens_member_cm", width="stretch")
    st.caption("Networks trained from different seeds or settings make partly different mistakes; averaging their "
               "probabilities cancels some of them, so the ensemble is usually right more often than any member.")


def saved_list() -> None:
    saved = list_saved_runs()
    with st.expander(f"Saved checkpoints in `{runs_dir()}` ({len(saved)})"):
        if not saved:
            st.caption("None yet.")
        for row in saved:
            if "error" in row:
                st.caption(f"⚠️ `{row['file']}`: {row['error']}")
            else:
                acc = row.get("test_accuracy")
                st.caption(f"`{row['file']}` — {row['architecture'].upper()} {row['activation']}"
                           + (f", test accuracy {acc:.2%}" if isinstance(acc, (int, float)) else ""))


# --------------------------------------------------------------------------- page

ensure_router()
st.title("👕 Train on Fashion-MNIST")
st.markdown(
    "Press **Start** and watch a network learn ten kinds of garments. Each step takes a batch of training images, "
    "computes the **cross-entropy loss** of the softmax outputs against the one-hot labels, **backpropagates** and "
    "steps $w \\leftarrow w - \\text{lr}\\cdot\\partial L/\\partial w$. After each epoch (one pass over the 60,000 "
    "training images) it is tested on 10,000 test images it never trains on. The classic recipe "
    "(784-256-128-64-10, ReLU, dropout, Adam) reaches about 88–89%."
)
data = require_dataset()
seed_settings()
cfg, cfg_error = config_from_state()

job = live.current(JOB_KEY)
other = live.active_elsewhere(JOB_KEY)
active = bool(job and job.active)
b1, b2, b3, b4 = st.columns(4)
b1.button("▶ Start training", key="training_btn_start", type="primary", width="stretch", on_click=_start,
          args=(data,),
          disabled=active or other is not None or cfg is None)
if active and job.control.paused:
    b2.button("▶ Resume", key="training_btn_resume", width="stretch", on_click=lambda: job.resume())
else:
    b2.button("⏸ Pause", key="training_btn_pause", width="stretch", disabled=not active or job.state != "running",
              on_click=lambda: job.pause())
b3.button("⏹ Stop", key="training_btn_stop", width="stretch", disabled=not active, on_click=_stop)
b4.button("↺ Reset", key="training_btn_reset", width="stretch", disabled=job is None, on_click=_reset,
          help="Stop and clear the live view; ended runs stay in the Runs tab.")
if other is not None:
    st.warning(f"This browser session is already training on another page ({other.label}); stop it there first.")
settings_panel(active)
record_if_ended(job)
st.session_state["training_polling"] = active

n_runs = len(st.session_state.get(RUNS_KEY, []))
tab_live, tab_runs = st.tabs(["📈 Live training", f"🗂️ Runs, comparison & ensembles ({n_runs})"])
with tab_live:
    run_header()
    st.fragment(live_view, run_every=POLL_S if active else None)()
    if job is not None:
        st.caption("The **train** curve is measured on the batches the network is learning from (with dropout on); "
                   "the **test** points on 10,000 images it never sees. Train keeps improving while test stalls or "
                   "gets worse: the network is starting to **overfit** (memorize instead of generalize).")
    st.fragment(eval_view, run_every=EVAL_POLL_S if active else None)()
with tab_runs:
    runs_view()
