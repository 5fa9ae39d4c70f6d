"""Shareable settings in the URL: parse untrusted query parameters into clamped, typed values.

A schema maps a name to a field (Int, Float, Choice, Bool, IntList). `parse` never raises: garbage
falls back to the default, out-of-range values are clamped, and each correction is reported.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

MAX_LEN = 200  # longer values are refused outright


@dataclass(frozen=True)
class Int:
    default: int
    low: int
    high: int

    def parse(self, raw: str) -> tuple[Any, str | None]:
        try:
            v = int(float(raw))
        except (ValueError, OverflowError):
            return self.default, "not a whole number"
        c = min(max(v, self.low), self.high)
        return c, None if c == v else f"clamped to {self.low}..{self.high}"

    def dump(self, v) -> str:
        return str(int(v))


@dataclass(frozen=True)
class Float:
    default: float
    low: float
    high: float

    def parse(self, raw: str) -> tuple[Any, str | None]:
        try:
            v = float(raw)
        except ValueError:
            return self.default, "not a number"
        if not math.isfinite(v):
            return self.default, "not a finite number"
        c = min(max(v, self.low), self.high)
        return c, None if c == v else f"clamped to {self.low:g}..{self.high:g}"

    def dump(self, v) -> str:
        return f"{float(v):.6g}"


@dataclass(frozen=True)
class Choice:
    default: str
    options: tuple[str, ...]

    def parse(self, raw: str) -> tuple[Any, str | None]:
        if raw in self.options:
            return raw, None
        return self.default, "not one of the choices"

    def dump(self, v) -> str:
        return str(v)


@dataclass(frozen=True)
class Bool:
    default: bool

    def parse(self, raw: str) -> tuple[Any, str | None]:
        low = raw.strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True, None
        if low in ("0", "false", "no", "off"):
            return False, None
        return self.default, "not true/false"

    def dump(self, v) -> str:
        return "1" if v else "0"


@dataclass(frozen=True)
class MultiChoice:
    default: tuple[str, ...]
    options: tuple[str, ...]
    min_items: int = 0
    max_items: int = 100

    def parse(self, raw: str) -> tuple[Any, str | None]:
        items = [s for s in raw.split(",") if s]
        kept = list(dict.fromkeys(s for s in items if s in self.options))[: self.max_items]
        if len(kept) < self.min_items:
            return self.default, f"needs at least {self.min_items} valid choices"
        return tuple(kept), None if len(kept) == len(items) else "unknown choices dropped"

    def dump(self, v) -> str:
        return ",".join(v)


@dataclass(frozen=True)
class IntList:
    default: tuple[int, ...]
    low: int
    high: int
    max_items: int = 10

    def parse(self, raw: str) -> tuple[Any, str | None]:
        try:
            vals = [int(s) for s in raw.split(",") if s.strip()]
        except ValueError:
            return self.default, "not a list of whole numbers"
        if not vals:
            return self.default, "empty list"
        note = None
        if len(vals) > self.max_items:
            vals, note = vals[: self.max_items], f"at most {self.max_items} items"
        clamped = [min(max(v, self.low), self.high) for v in vals]
        if clamped != vals:
            note = f"clamped to {self.low}..{self.high}"
        return tuple(clamped), note

    def dump(self, v) -> str:
        return ",".join(str(int(x)) for x in v)


def parse(schema: Mapping[str, Any], query: Mapping[str, str | Sequence[str]]) -> tuple[dict, list[str]]:
    """(values for every schema key, human notes on what was corrected)."""
    values, notes = {}, []
    for key, fld in schema.items():
        raw = query.get(key)
        if isinstance(raw, (list, tuple)):
            raw = raw[-1] if raw else None
        if raw is None:
            values[key] = fld.default
            continue
        raw = str(raw)
        if len(raw) > MAX_LEN:
            values[key], note = fld.default, "too long"
        else:
            values[key], note = fld.parse(raw)
        if note:
            notes.append(f"'{key}' in the link was {note}; using {fld.dump(values[key])}.")
    return values, notes


def dump(schema: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, str]:
    """Query parameters for `values` (only schema keys)."""
    return {k: fld.dump(values[k]) for k, fld in schema.items() if k in values}
