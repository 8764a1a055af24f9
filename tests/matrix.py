"""The answer matrix, computed from copier.yml so that a new question joins it by itself.

Every question with `choices` or `type: bool` that is not hidden (`when: false`) is a matrix
dimension. `all_combinations()` is the full product (the fast tier renders all of it while it
stays small); `pairwise()` is a covering array in which every value of every question meets
every value of every other question at least once (the full tier runs each of those
projects' own checks). The defaults are always the first row.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
# Beyond this many combinations the fast tier renders a 3-wise covering array instead.
MAX_FULL_PRODUCT = 256


@dataclass(frozen=True)
class Dimension:
    name: str
    values: tuple[Any, ...]
    default: Any


def _choice_values(spec: dict[str, Any]) -> tuple[Any, ...]:
    choices = spec["choices"]
    if isinstance(choices, dict):
        return tuple(choices.values())
    return tuple(choice if not isinstance(choice, list) else choice[1] for choice in choices)


@cache
def questions() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load((ROOT / "copier.yml").read_text())
    return {key: value for key, value in data.items() if not key.startswith("_") and isinstance(value, dict)}


@cache
def dimensions() -> tuple[Dimension, ...]:
    found = []
    for name, spec in questions().items():
        if spec.get("when") is False:
            continue
        if "choices" in spec:
            found.append(Dimension(name, _choice_values(spec), spec.get("default")))
        elif spec.get("type") == "bool":
            found.append(Dimension(name, (True, False), bool(spec.get("default", False))))
    return tuple(found)


def defaults() -> dict[str, Any]:
    return {dimension.name: dimension.default for dimension in dimensions()}


def all_combinations() -> list[dict[str, Any]]:
    names = [dimension.name for dimension in dimensions()]
    rows = [dict(zip(names, values, strict=True)) for values in itertools.product(*(d.values for d in dimensions()))]
    rows.sort(key=lambda row: row != defaults())
    return rows


def covering_array(strength: int) -> list[dict[str, Any]]:
    """A greedy t-wise covering array: each `strength`-tuple of values appears in some row."""
    dims = dimensions()
    names = [dimension.name for dimension in dims]
    if len(dims) <= strength:
        return all_combinations()
    uncovered: set[tuple[tuple[str, Any], ...]] = set()
    for group in itertools.combinations(dims, strength):
        for values in itertools.product(*(d.values for d in group)):
            uncovered.add(tuple(zip((d.name for d in group), values, strict=True)))
    candidates = all_combinations()

    def covered_by(row: dict[str, Any]) -> set[tuple[tuple[str, Any], ...]]:
        return {
            tuple((name, row[name]) for name in group)
            for group in itertools.combinations(names, strength)
        }

    chosen = [defaults()]
    uncovered -= covered_by(chosen[0])
    while uncovered:
        best = max(candidates, key=lambda row: len(covered_by(row) & uncovered))
        chosen.append(best)
        uncovered -= covered_by(best)
    return chosen


def pairwise() -> list[dict[str, Any]]:
    return covering_array(2)


def fast_tier_rows() -> list[dict[str, Any]]:
    rows = all_combinations()
    return rows if len(rows) <= MAX_FULL_PRODUCT else covering_array(3)


def label(row: dict[str, Any]) -> str:
    """A readable test id: only the answers that differ from the defaults."""
    changed = [f"{name}={value}" for name, value in row.items() if defaults()[name] != value]
    return ",".join(changed) or "defaults"
