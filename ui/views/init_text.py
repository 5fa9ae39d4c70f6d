"""The initialization page's sentences about measured numbers (the core names, the page words)."""
from __future__ import annotations

from fmnist_core.initialization.stats import TINY, GradientVerdict, layer_names
from fmnist_core.nn.weight_init import INITS


def init_label(name: str, params: dict) -> str:
    """An initializer with the scale it is set to: 'N(0, 0.01²)', 'Xavier/Glorot normal (gain 1.67)'."""
    if name == "normal":
        return f"N(0, {params['std']:.3g}²)"
    if name == "uniform":
        return f"U(-{params['a']:.3g}, {params['a']:.3g})"
    if name == "constant":
        return f"constant {params['value']:g}"
    if name.startswith("xavier") and params["gain"] != 1:
        return f"{INITS[name].label} (gain {params['gain']:.3g})"
    return INITS[name].label


def layer_ranges(names: list[str]) -> str:
    """'layer 1', 'layer 2', 'layer 3' -> 'layers 1-3'."""
    nums = [int(n.split()[1]) for n in names if n.startswith("layer ")]
    rest = [n for n in names if not n.startswith("layer ")]
    parts, i = [], 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        parts.append(f"{nums[i]}" if i == j else f"{nums[i]}-{nums[j]}")
        i = j + 1
    out = []
    if parts:
        out.append(("layer " if len(nums) == 1 else "layers ") + ", ".join(parts))
    return " and ".join(out + rest)


def gradient_sentence(v: GradientVerdict) -> str:
    """One sentence naming where the gradients vanish or explode, for the learner."""
    names = layer_names(len(v.labels) - 1)
    ratio, threshold = v.ratio, v.threshold

    def which(label: str) -> str:
        idx = [i for i, lab in enumerate(v.labels) if lab == label]
        return layer_ranges([names[i] for i in idx]) if idx else ""

    if v.kind == "healthy":
        return (f"Healthy: every layer's gradient is within {threshold:g}x of the output layer's "
                f"(first/last = {ratio:.3g}).")
    if v.kind == "zero":
        return f"Zero: no gradient at all reaches {which('zero')}: those weights cannot change."
    if v.kind == "exploding":
        if ratio > threshold:
            return (f"Exploding gradients in {which('exploding')}: the first layer's gradient is "
                    f"{ratio:.3g}x the output layer's.")
        return (f"Exploding gradients in {which('exploding')}: norms up to {v.max_norm:.3g} "
                f"(the activations have blown up, and the gradients with them).")
    if v.kind == "vanishing":
        if all(lab in ("vanishing", "zero") for lab in v.labels):
            return f"Vanishing everywhere: every gradient is below {TINY:g}, so the weights barely move."
        if ratio > 0:
            return (f"Vanishing gradients in {which('vanishing')}: the first layer's gradient is "
                    f"{ratio:.3g}x the output layer's (1/{1 / ratio:.3g}).")
        return f"Vanishing gradients in {which('vanishing')}."
    return f"Vanishing in {which('vanishing') or '-'}, exploding in {which('exploding') or '-'}."
