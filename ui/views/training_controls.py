"""The training page's settings: its URL schema, the settings panel, and the TrainConfig they describe.

Menus, labels and parameter ranges come from the registries (activations, initializers, optimizers,
schedules, normalizations); the page only chooses which steps its sliders offer.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from fmnist_core.nn.activations import ACTIVATIONS
from fmnist_core.fashion.dataset import NORMALIZATIONS
from fmnist_core.nn.losses import LOSSES, TRAIN_LOSSES
from fmnist_core.nn.models import CLASSIC_HIDDEN
from fmnist_core.engine.optim import HYPERPARAMS, OPTIMIZERS, SCHEDULES, hyper_stops, labels
from fmnist_core.fashion.lr_finder import STEPS as LRF_STEPS
from fmnist_core.fashion.runs import parse_hidden_sizes
from fmnist_core.fashion.recipe import LONG_BUDGET, RECIPES, TrainConfig, recipe_for
from fmnist_core.engine.url_state import Choice, Float, Int
from fmnist_core.nn.weight_init import INITS

from ui.kit.common import bind_url, show_url_notes, write_url

P = "training"
MODELS = {"classic": "Classic MLP 784-256-128-64-10", "mlp": "MLP with my hidden sizes", "cnn": "Small CNN"}
LRS = (1e-4, 3e-4, 1e-3, 3e-3, 5e-3, 8e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0)
BATCHES = (32, 64, 128, 256, 512, 1024, 2048)
DECAYS = (0.0, 1e-5, 1e-4, 1e-3, 1e-2)
OPTIMIZER_HELP = {  # curriculum 9: what each optimizer does, in the lecture's words (others: the registry's note)
    "sgd": "Plain gradient descent on each batch: w ← w − lr·∂L/∂w. Noisy and slow; needs a larger lr "
           "(≈0.1).",
    "momentum": "Keeps an exponential average of past gradients (0.9), which smooths the zig-zag.",
    "adagrad": "A learning rate per parameter, larger for rarely updated ones; it shrinks over time.",
    "adam": "Momentum + scaling by the average squared gradient + bias correction. Usually slightly ahead.",
}
ACT_LABELS, INIT_LABELS, OPT_LABELS = labels(ACTIVATIONS), labels(INITS), labels(OPTIMIZERS)
SCHEDULE_LABELS, NORM_LABELS = labels(SCHEDULES), labels(NORMALIZATIONS)
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
    "loss": Choice("cross_entropy", TRAIN_LOSSES),
    "seed": Int(0, 0, 9999),
    "lrf_steps": Int(LRF_STEPS, 100, 300),  # the learning-rate finder's mini-batches (training_lr_finder)
    **{p.name: Float(p.default, p.low, p.high) for p in HYPERPARAMS},  # the optimizers' own: momentum, β₁, ...
}


def _snap(key: str, options: tuple) -> None:
    """Put a slider's state on its nearest option (a link may carry any number in range)."""
    v = st.session_state.get(key)
    if v not in options:
        st.session_state[key] = min(options, key=lambda o: abs(np.log10(o + 1e-9) - np.log10(float(v or 0) + 1e-9)))


def _param_values(prefix: str, params) -> tuple[tuple[str, float], ...]:
    """(name, value) of a registry entry's parameters as their widgets hold them, defaults elsewhere."""
    return tuple(sorted((p.name, float(st.session_state.get(f"{prefix}_{p.name}", p.default))) for p in params))


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
    act, init, opt = ss["training_activation"], ss["training_init"], ss["training_optimizer"]
    by_time = ss["training_until"] == "time"
    cfg = TrainConfig(
        model="cnn" if model == "cnn" else "mlp", hidden=hidden, activation=act,
        activation_params=_param_values(f"training_act_{act}", ACTIVATIONS[act].params),
        dropout=float(ss["training_dropout"]), init=init,
        init_params=_param_values(f"training_init_{init}", INITS[init].params), optimizer=opt,
        optimizer_params=_param_values("training", OPTIMIZERS[opt].params), lr=float(ss["training_lr"]), schedule=ss["training_schedule"], batch_size=int(ss["training_batch"]),
        # With a budget the schedule follows the clock; the epoch count is only a ceiling.
        epochs=1000 if by_time else int(ss["training_epochs"]),
        time_budget=float(ss["training_budget"]) if by_time else None,
        normalization=ss["training_norm"], weight_decay=float(ss["training_wd"]), seed=int(ss["training_seed"]),
        loss=ss["training_loss"],
        # A curve point every few steps: several new points per 0.5 s poll whatever the batch size.
        event_every=max(5, min(20, round(4096 / int(ss["training_batch"])))),
    )
    if model == "cnn":  # the demo CNN (recipe_for: wider for long budgets): its architecture, smoothing, mirroring
        r = recipe_for("cnn", cfg.time_budget)
        cfg = cfg.with_(model=r.model, hidden=r.hidden, label_smoothing=r.label_smoothing, flip=r.flip,
                        tta_flip=r.tta_flip)
    return cfg, None


def seed_settings() -> None:
    """Widget state from the link or this session, put on the sliders' steps."""
    show_url_notes(bind_url(P, SCHEMA, link_defaults=_recipe_of_link))
    _snap("training_lr", LRS)
    _snap("training_batch", BATCHES)
    for p in HYPERPARAMS:  # onto the slider's nearest stop
        v = float(st.session_state[f"training_{p.name}"])
        st.session_state[f"training_{p.name}"] = min(hyper_stops(p), key=lambda o: abs(o - v))
    if st.session_state["training_wd"] not in DECAYS:
        st.session_state["training_wd"] = min(DECAYS, key=lambda d: abs(d - st.session_state["training_wd"]))


def _recipe_settings(model: str) -> dict:
    """The batch size, dropout and learning rate of a model choice's recipe (the CLI's), by schema name."""
    r = RECIPES["cnn"] if model == "cnn" else RECIPES["mlp"]
    return {"batch": r.batch_size, "dropout": r.dropout, "lr": r.lr}


def _recipe_of_link(named: dict) -> dict:
    """A link that names the CNN but not its batch size, dropout or learning rate gets the CNN recipe's."""
    return _recipe_settings("cnn") if named.get("model") == "cnn" else {}


def _recipe_of_model() -> None:
    """A new model choice brings its recipe's batch size, dropout and learning rate, which the student may
    then change."""
    for name, value in _recipe_settings(st.session_state["training_model"]).items():
        st.session_state[f"training_{name}"] = value
    _snap("training_lr", LRS)
    _snap("training_batch", BATCHES)


def _network_column() -> None:
    st.markdown("**Network**")
    st.selectbox("Model", list(MODELS), format_func=MODELS.get, key="training_model", on_change=_recipe_of_model,
                 help="Choosing a model sets the batch size, dropout and learning rate of its fastest recipe.")
    if st.session_state["training_model"] == "mlp":
        st.text_input("Hidden layer sizes", key="training_hidden", help="Comma-separated, e.g. 512, 256")
    act = st.selectbox("Activation", list(ACTIVATIONS), key="training_activation", format_func=ACT_LABELS.get)
    spec = ACTIVATIONS[act]
    if spec.params:
        with st.popover("Shape parameters", width="stretch"):
            for p in spec.params:
                st.slider(p.name, float(p.low), float(p.high), float(p.default), key=f"training_act_{act}_{p.name}",
                          help=(p.help + (" (starting value; it is learned)" if p.trainable else "")) or None)
    if not spec.learns_by_gradient:
        st.caption("⚠️ Its gradient is zero almost everywhere: backpropagation cannot teach this network.")
    init = st.selectbox("Initializer", list(INITS), key="training_init", format_func=INIT_LABELS.get)
    if INITS[init].params:
        with st.popover("Initializer parameters", width="stretch"):
            for q in INITS[init].params:
                st.number_input(q.name, float(q.low), float(q.high), float(q.default), format="%g",
                                key=f"training_init_{init}_{q.name}", help="page 4 shows what this does to each layer")


def settings_panel(active: bool) -> None:
    """Every setting of the next run, in four columns; folded away while a run trains."""
    # While a run trains the settings fold away (they apply to the next run), so the live view moves up.
    box = st.expander("⚙️ Settings for the next run", expanded=False) if active else st.container(border=True)
    with box:
        c1, c2, c3, c4 = st.columns(4, gap="medium")
        with c1:
            _network_column()
        with c2:
            st.markdown("**Optimizer**")
            opt = st.selectbox("Optimizer", list(OPTIMIZERS), key="training_optimizer", format_func=OPT_LABELS.get)
            st.caption(OPTIMIZER_HELP.get(opt) or OPTIMIZERS[opt].note.capitalize() + ".")
            for p in OPTIMIZERS[opt].params:  # only the chosen optimizer's own hyperparameters
                st.select_slider(p.title, hyper_stops(p), key=f"training_{p.name}", format_func=lambda v: f"{v:g}",
                                 help=p.help or None)
            st.select_slider("Learning rate (peak)", LRS, key="training_lr", format_func=lambda v: f"{v:g}")
            st.selectbox("Schedule", list(SCHEDULES), key="training_schedule", format_func=SCHEDULE_LABELS.get)
            st.selectbox("Loss", TRAIN_LOSSES, key="training_loss", format_func=lambda n: LOSSES[n].label,
                         help="Cross-entropy, or MSE of the softmax outputs against one-hot targets (page 3).")
        with c3:
            st.markdown("**Data & length**")
            st.select_slider("Batch size", BATCHES, key="training_batch")
            st.selectbox("Input normalization", list(NORMALIZATIONS), key="training_norm", format_func=NORM_LABELS.get)
            st.radio("Stop after", ["time", "epochs"], key="training_until", horizontal=True,
                     format_func={"time": "a time budget", "epochs": "a number of epochs"}.get)
            if st.session_state["training_until"] == "time":
                st.slider("Time budget (s)", 2, 300, key="training_budget",
                          help="The learning-rate schedule follows the clock, so the run ends annealed.")
                if st.session_state["training_model"] == "cnn":
                    short, wide = RECIPES["cnn"].hidden, recipe_for("cnn", LONG_BUDGET).hidden
                    st.caption(f"Small CNN: channels {'-'.join(map(str, short))} below {LONG_BUDGET:g} s; from "
                               f"{LONG_BUDGET:g} s it is twice as wide ({'-'.join(map(str, wide))}), which pays "
                               f"off when there is time for it.")
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
    write_url(P, SCHEMA)
