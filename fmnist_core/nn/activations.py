"""Activation registry: every activation a model of the project can use.

`ACTIVATIONS[name]` is an `ActivationSpec`; `make_activation(name, num_features, **params)` builds
an `nn.Module` that accepts (N, F) or (N, C, H, W) inputs (per-unit parameters live along dim 1).

Three kinds of custom activations, as the lecture sorts them: simple (SiLU, ISRU), with trainable
per-unit parameters (SoftExponential, SReLU), and with a hand-written backward (BReLU, and the
binary step, whose gradient is written out as the zero it is).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd.function import once_differentiable

from fmnist_core.engine.params import Param


def _no_kinks(params: Mapping[str, float]) -> tuple[float, ...]:
    return ()


def _kink_at_zero(params: Mapping[str, float]) -> tuple[float, ...]:
    return (0.0,)


@dataclass(frozen=True)
class ActivationSpec:
    name: str
    label: str
    formula: str  # LaTeX
    output_range: str
    zero_centred: bool
    saturating: bool
    differentiable_everywhere: bool
    build: Callable[..., nn.Module]  # build(num_features, **params) -> module
    params: tuple[Param, ...] = field(default=())
    kind: str = "classic"  # classic | simple custom | trainable | custom backward
    learns_by_gradient: bool = True
    note: str = ""
    # x where f is not differentiable, for the given parameters (gradient checks sample away from them)
    kinks: Callable[[Mapping[str, float]], tuple[float, ...]] = _no_kinks
    # x -> bool mask of where f is defined (None: everywhere); curves leave the rest blank
    domain: Callable[[torch.Tensor, Mapping[str, float]], torch.Tensor] | None = None
    # units behave differently by index (BReLU): one curve per label, unit i uses label i % len
    unit_labels: tuple[str, ...] = ()

    @property
    def trainable(self) -> bool:
        return any(p.trainable for p in self.params)


class Lambda(nn.Module):
    def __init__(self, fn: Callable[[torch.Tensor], torch.Tensor], name: str):
        super().__init__()
        self.fn, self.name = fn, name

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x)

    def extra_repr(self) -> str:
        return self.name


def _fixed(fn, name):
    return lambda num_features=None, **_: Lambda(fn, name)


def _per_unit(p: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """A (F,) parameter shaped to broadcast along dim 1 of x: (1, F) or (1, F, 1, 1)."""
    if x.dim() < 2:
        return p
    return p.view(1, -1, *([1] * (x.dim() - 2)))


# --------------------------------------------------------------------------- step

class StepFunction(torch.autograd.Function):
    """Heaviside step with its true gradient: 0 (undefined at 0, where we also say 0)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        ctx.x_dtype = x.dtype
        return (x >= 0).to(x.dtype)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out: torch.Tensor) -> torch.Tensor:
        # Written out rather than left to autograd so that f' can be plotted and the zero is explicit.
        return torch.zeros_like(grad_out, dtype=ctx.x_dtype)


def step(x: torch.Tensor) -> torch.Tensor:
    return StepFunction.apply(x)


# --------------------------------------------------------------------------- simple custom

def silu(x: torch.Tensor) -> torch.Tensor:
    return x * torch.sigmoid(x)


def isru(x: torch.Tensor, alpha: float | torch.Tensor) -> torch.Tensor:
    """Inverse square root unit x / sqrt(1 + alpha x^2), range (-1/sqrt(alpha), 1/sqrt(alpha))."""
    return x * torch.rsqrt(1 + alpha * x * x)


class ISRU(nn.Module):
    def __init__(self, alpha: float = 1.0):
        super().__init__()
        if alpha <= 0:
            raise ValueError(f"ISRU needs alpha > 0, got {alpha}")
        self.alpha = float(alpha)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return isru(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha:g}"


# --------------------------------------------------------------------------- trainable

_SOFTEXP_MAX_EXPONENT = 60.0  # e^60 ~ 1e26: finite in float32; only a diverging net gets there
_SOFTEXP_LOG_FLOOR = 1e-3  # alpha < 0: f is held where 1 - alpha (x + alpha) < 1e-3 (undefined at <= 0);
# a smaller floor (1e-6) made 8 s runs blow up: the held values grow as ln(floor) / alpha


def _softexp_pos(x: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    return torch.expm1((a * x).clamp(max=_SOFTEXP_MAX_EXPONENT)) / a + a


def _softexp_neg(x: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    return -torch.log1p((-a * (x + a)).clamp(min=_SOFTEXP_LOG_FLOOR - 1)) / a


def _softexp_zero(x: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    # x at alpha = 0 exactly; the alpha term gives the limit's alpha-derivative (1 + x^2/2), the same
    # from both sides, so a unit that starts at alpha = 0 can still learn its alpha.
    return x + a * (1 + 0.5 * x * x)


def soft_exponential(x: torch.Tensor, alpha: torch.Tensor | float) -> torch.Tensor:
    """Godfrey & Gashler's soft exponential, with one alpha or one alpha per unit (dim 1 of x).

    alpha < 0: -ln(1 - alpha (x + alpha)) / alpha; alpha = 0: x; alpha > 0: (e^(alpha x) - 1) / alpha + alpha.
    """
    dtype = torch.promote_types(x.dtype, torch.float32)
    a = torch.as_tensor(alpha, dtype=dtype, device=x.device)
    x = x.to(dtype)  # bf16 under autocast: mixed-dtype elementwise ops are several times slower
    if a.numel() == 1:
        a = a.reshape(())
        v = a.item()
        return (_softexp_pos if v > 0 else _softexp_neg if v < 0 else _softexp_zero)(x, a)
    if x.dim() < 2 or a.numel() != x.shape[1]:
        raise ValueError(f"one alpha per unit needs x of shape (N, {a.numel()}, ...), got {tuple(x.shape)}")
    a = a.reshape(-1)
    # Each unit follows one branch: compute each branch only on its own units (where() over all
    # three branches was ~2x slower), then put the columns back in order.
    shape = (1, -1) + (1,) * (x.dim() - 2)
    idx, cols = [], []
    for branch, mask in ((_softexp_pos, a > 0), (_softexp_neg, a < 0), (_softexp_zero, a == 0)):
        units = mask.nonzero().view(-1)
        if len(units):
            idx.append(units)
            cols.append(branch(x.index_select(1, units), a[units].view(shape)))
    if len(cols) == 1:
        return cols[0]
    order = torch.cat(idx)
    back = torch.empty_like(order)
    back[order] = torch.arange(len(order), device=order.device)
    return torch.cat(cols, 1).index_select(1, back)


def soft_exponential_domain(x: torch.Tensor, params: Mapping[str, float]) -> torch.Tensor:
    a = float(params.get("alpha", 0.0))
    if a >= 0:
        return torch.ones_like(x, dtype=torch.bool)
    return 1 - a * (x + a) > 0


class SoftExponential(nn.Module):
    """Soft exponential with a trainable alpha per unit (dim 1)."""

    def __init__(self, num_features: int | None = None, alpha: float = 0.0):
        super().__init__()
        self.alpha = nn.Parameter(torch.full((num_features or 1,), float(alpha)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Computed in float32 at least, returned in x's dtype: under bf16 autocast the dropout and
        # Linear after it are ~5x slower on a float32 tensor.
        return soft_exponential(x, self.alpha).to(x.dtype)

    def extra_repr(self) -> str:
        return f"units={self.alpha.numel()}"


def srelu(x: torch.Tensor, t_l, a_l, t_r, a_r) -> torch.Tensor:
    """Jin et al.'s S-shaped ReLU: slope a_r right of t_r, identity between, slope a_l left of t_l.

    Written as x + (a_r - 1) relu(x - t_r) - (a_l - 1) relu(t_l - x), which equals the three pieces
    for t_l <= t_r and runs ~4x faster than nested where() on a CPU. If t_l > t_r the two outer
    pieces overlap and add up.
    """
    if torch.is_tensor(t_l):
        x = x.to(torch.promote_types(x.dtype, t_l.dtype))  # one dtype: mixed bf16/f32 ops are slow
    return x + (a_r - 1) * torch.relu(x - t_r) - (a_l - 1) * torch.relu(t_l - x)


class SReLU(nn.Module):
    """SReLU with trainable t_l, a_l, t_r, a_r per unit (dim 1)."""

    names = ("t_l", "a_l", "t_r", "a_r")

    def __init__(self, num_features: int | None = None, t_l: float = -1.0, a_l: float = 0.1,
                 t_r: float = 1.0, a_r: float = 0.5):
        super().__init__()
        n = num_features or 1
        for name, v in zip(self.names, (t_l, a_l, t_r, a_r)):
            setattr(self, name, nn.Parameter(torch.full((n,), float(v))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return srelu(x, *(_per_unit(getattr(self, n), x) for n in self.names)).to(x.dtype)  # see SoftExponential

    def extra_repr(self) -> str:
        return f"units={self.t_l.numel()}"


# --------------------------------------------------------------------------- custom backward

def _unit_signs(x: torch.Tensor) -> torch.Tensor:
    """+1 for units 0, 2, 4, ... and -1 for odd units, shaped to broadcast along dim 1 of x."""
    if x.dim() < 2:
        return torch.ones((), dtype=x.dtype, device=x.device)
    s = 1 - 2 * (torch.arange(x.shape[1], device=x.device) % 2)
    return s.to(x.dtype).view(1, -1, *([1] * (x.dim() - 2)))


class BReLUFunction(torch.autograd.Function):
    """Eidnes & Nokland's bipolar ReLU: ReLU(x) on even units, -ReLU(-x) on odd units (dim 1)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        s = _unit_signs(x)
        y = s * torch.relu(s * x)  # s = +1: relu(x); s = -1: -relu(-x)
        ctx.save_for_backward(y)
        ctx.x_dtype = x.dtype
        return y

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out: torch.Tensor) -> torch.Tensor:
        (y,) = ctx.saved_tensors
        # Slope 1 where the input passed through (y != 0), 0 where the unit was off. Under autocast
        # grad_out may arrive in another dtype than x had; the gradient must match x.
        return (grad_out * (y != 0)).to(ctx.x_dtype)


def brelu(x: torch.Tensor) -> torch.Tensor:
    return BReLUFunction.apply(x)


# --------------------------------------------------------------------------- registry

def _srelu_kinks(params: Mapping[str, float]) -> tuple[float, ...]:
    return (float(params.get("t_l", -1.0)), float(params.get("t_r", 1.0)))


_SRELU_FORMULA = (r"f(x)=\begin{cases}t_r + a_r\,(x - t_r) & x \ge t_r\\ x & t_l < x < t_r\\"
                  r" t_l + a_l\,(x - t_l) & x \le t_l\end{cases}")
_SOFTEXP_FORMULA = (r"f(\alpha, x)=\begin{cases}-\dfrac{\ln\left(1-\alpha\,(x+\alpha)\right)}{\alpha}"
                    r" & \alpha<0\\ x & \alpha=0\\ \dfrac{e^{\alpha x}-1}{\alpha}+\alpha & \alpha>0\end{cases}")

ACTIVATIONS: dict[str, ActivationSpec] = {
    "step": ActivationSpec(
        "step", "Binary step", r"f(x)=\begin{cases}1 & x\ge 0\\0 & x<0\end{cases}",
        "{0, 1}", False, True, False, lambda num_features=None, **_: Lambda(step, "step"),
        learns_by_gradient=False, kinks=_kink_at_zero,
        note="Its derivative is 0 everywhere except at 0, where it does not exist: "
             "gradient descent receives no signal through it."),
    "linear": ActivationSpec(
        "linear", "Linear (identity)", r"f(x)=x", "(−∞, ∞)", True, False, True,
        lambda num_features=None, **_: nn.Identity(),
        note="No non-linearity: a stack of linear layers collapses to one linear model."),
    "sigmoid": ActivationSpec(
        "sigmoid", "Sigmoid", r"f(x)=\frac{1}{1+e^{-x}}", "(0, 1)", False, True, True,
        _fixed(torch.sigmoid, "sigmoid"),
        note="A probability: used for binary outputs. Its slope is at most 0.25."),
    "tanh": ActivationSpec(
        "tanh", "Tanh", r"f(x)=\tanh(x)=\frac{e^{x}-e^{-x}}{e^{x}+e^{-x}}", "(−1, 1)",
        True, True, True, _fixed(torch.tanh, "tanh"),
        note="A shifted, stretched sigmoid: 2 sigmoid(2x) - 1. Zero-centred, slope 1 at 0."),
    "relu": ActivationSpec(
        "relu", "ReLU", r"f(x)=\max(0, x)", "[0, ∞)", False, False, False,
        lambda num_features=None, **_: nn.ReLU(), kinks=_kink_at_zero,
        note="The cheapest and most used. Slope 1 for x > 0, 0 for x < 0 (units can 'die')."),
    "leaky_relu": ActivationSpec(
        "leaky_relu", "Leaky ReLU", r"f(x)=\begin{cases}x & x\ge 0\\ s\,x & x<0\end{cases}",
        "(−∞, ∞)", False, False, False,
        lambda num_features=None, negative_slope=0.01, **_: nn.LeakyReLU(negative_slope),
        params=(Param("negative_slope", 0.01, 0.0, 0.5, help="slope s for x < 0", symbol="s"),),
        kinks=_kink_at_zero, note="A small slope for x < 0 keeps units from dying."),
    "elu": ActivationSpec(
        "elu", "ELU", r"f(x)=\begin{cases}x & x> 0\\ \alpha\,(e^{x}-1) & x\le 0\end{cases}",
        "(−α, ∞)", False, False, True,
        lambda num_features=None, alpha=1.0, **_: nn.ELU(alpha),
        params=(Param("alpha", 1.0, 0.1, 3.0, help="f approaches −alpha as x → −∞",
                      symbol=r"\alpha"),),
        # Smooth only at alpha = 1; sample away from 0 for any alpha.
        kinks=_kink_at_zero,
        note="Negative outputs pull the mean activation towards 0; smooth at 0 when alpha = 1."),
    "gelu": ActivationSpec(
        "gelu", "GELU", r"f(x)=x\,\Phi(x)=\frac{x}{2}\left(1+\operatorname{erf}\frac{x}{\sqrt{2}}\right)",
        "[−0.17, ∞)", False, False, True, lambda num_features=None, **_: nn.GELU(),
        note="x weighted by the probability that a standard normal is below x (used in transformers)."),
    "softplus": ActivationSpec(
        "softplus", "Softplus", r"f(x)=\frac{1}{\beta}\ln\left(1+e^{\beta x}\right)", "(0, ∞)",
        False, False, True, lambda num_features=None, beta=1.0, **_: nn.Softplus(beta),
        params=(Param("beta", 1.0, 0.25, 5.0, help="sharpness: large beta approaches ReLU",
                      symbol=r"\beta"),),
        note="A smooth ReLU; its derivative is the sigmoid."),
    "silu": ActivationSpec(
        "silu", "SiLU (swish)", r"f(x)=x\,\sigma(x)=\frac{x}{1+e^{-x}}", "[−0.28, ∞)", False, False, True,
        _fixed(silu, "silu"), kind="simple custom",
        note="Simple custom: one line of existing operations, autograd does the rest."),
    "isru": ActivationSpec(
        "isru", "ISRU", r"f(x)=\frac{x}{\sqrt{1+\alpha x^{2}}}", "(−1/√α, 1/√α)",
        True, True, True, lambda num_features=None, alpha=1.0, **_: ISRU(alpha),
        params=(Param("alpha", 1.0, 0.05, 5.0, help="outputs stay within ±1/sqrt(alpha)",
                      symbol=r"\alpha"),),
        kind="simple custom",
        note="Simple custom: a tanh-like S-curve from a square root, cheaper than exponentials."),
    "softexp": ActivationSpec(
        "softexp", "SoftExponential", _SOFTEXP_FORMULA, "depends on α: (α − 1/α, ∞) for α > 0",
        False, False, True,
        lambda num_features=None, alpha=0.0, **_: SoftExponential(num_features, alpha),
        params=(Param("alpha", 0.0, -1.0, 1.0, trainable=True, symbol=r"\alpha",
                      help="per unit: logarithmic (alpha < 0), linear (0), exponential (alpha > 0)"),),
        kind="trainable", domain=soft_exponential_domain,
        note="Trainable: each unit learns alpha, sliding between log (alpha = -1), identity (0) and exp (1). "
             "For alpha < 0 it is only defined where 1 - alpha (x + alpha) > 0."),
    "srelu": ActivationSpec(
        "srelu", "SReLU", _SRELU_FORMULA, "(−∞, ∞)", True, False, False,
        lambda num_features=None, t_l=-1.0, a_l=0.1, t_r=1.0, a_r=0.5, **_: SReLU(num_features, t_l, a_l, t_r, a_r),
        params=(Param("t_l", -1.0, -3.0, 0.0, trainable=True, symbol="t_l", help="left threshold"),
                Param("a_l", 0.1, -0.5, 1.5, trainable=True, symbol="a_l", help="slope left of t_l"),
                Param("t_r", 1.0, 0.0, 3.0, trainable=True, symbol="t_r", help="right threshold"),
                Param("a_r", 0.5, -0.5, 1.5, trainable=True, symbol="a_r", help="slope right of t_r")),
        kind="trainable", kinks=_srelu_kinks,
        note="Trainable: three lines; each unit learns where they meet (t_l, t_r) and their slopes (a_l, a_r)."),
    "brelu": ActivationSpec(
        "brelu", "BReLU (bipolar)",
        r"f(x_i)=\begin{cases}\max(0, x_i) & i \text{ even}\\ -\max(0, -x_i) & i \text{ odd}\end{cases}",
        "[0, ∞) even, (−∞, 0] odd units", True, False, False,
        lambda num_features=None, **_: Lambda(brelu, "brelu"),
        kind="custom backward", kinks=_kink_at_zero, unit_labels=("even units", "odd units"),
        note="Custom backward: a torch.autograd.Function with a hand-written gradient. Half the units "
             "point down, so the layer's mean output stays near 0."),
}


def make_activation(name: str, num_features: int | None = None, **params: float) -> nn.Module:
    """An activation module; unknown parameters are ignored, missing ones take their defaults."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose from {', '.join(ACTIVATIONS)}")
    spec = ACTIVATIONS[name]
    kwargs = {p.name: float(params.get(p.name, p.default)) for p in spec.params}
    return spec.build(num_features, **kwargs)


def default_params(name: str) -> dict[str, float]:
    return {p.name: p.default for p in ACTIVATIONS[name].params}


def trainable_activation_parameters(model: nn.Module) -> dict[int, dict[str, torch.Tensor]]:
    """{hidden layer (1-based, in order): {param name: (F,) tensor}} for trainable activations in `model`."""
    out: dict[int, dict[str, torch.Tensor]] = {}
    layer = 0
    for m in model.modules():
        if isinstance(m, (SoftExponential, SReLU)):
            layer += 1
            out[layer] = {n: p for n, p in m.named_parameters(recurse=False)}
    return out
