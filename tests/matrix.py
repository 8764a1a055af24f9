"""The answer matrix, computed from copier.yml so that a new question joins it by itself.

Every question with `choices` or `type: bool` that is not hidden (`when: false`) is a matrix
dimension. `all_combinations()` is the full product (the fast tier renders all of it while it
stays small); `pairwise()` is a covering array in which every value of every question that
shapes the code meets every value of every other such question at least once (the full tier
runs each of those projects' own checks), with the values of the questions that shape only
files no check runs dealt out across the rows. The defaults are always the first row.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
# Beyond this many combinations the fast tier renders a covering array instead: every pair
# of values of any two questions, and every triple of values of the questions that shape the
# delivery files together (CI services, compose services, images), where three answers meet.
MAX_FULL_PRODUCT = 256
DELIVERY_QUESTIONS = ("python_version", "database", "message_broker", "ci", "docker")
# Questions that change only files the project's own checks never run: the licence text and
# the CI configuration. The fast tier renders and validates every pair of their values with
# every other answer; the full tier runs each value once rather than pairing it (a row per
# pair would cost five rows of the project's whole test suite and show nothing new).
FILE_ONLY_QUESTIONS = ("license", "ci")
# Each full-tier row runs a whole test suite: worth seconds of search for a row less.
PAIRWISE_ATTEMPTS = 400


@dataclass(frozen=True)
class BrokerService:
    """A message broker the rendered projects' checks run against, on this machine and CI."""

    name: str
    url: str  # BROKER__URL for the rendered project (127.0.0.1: no IPv6 surprise)
    port: int


# The `message_broker` values tested against a real server on 127.0.0.1.
REAL_BROKERS = {
    "rabbitmq": BrokerService("RabbitMQ", "amqp://guest:guest@127.0.0.1:5672/", 5672),
    "redis": BrokerService("Redis", "redis://127.0.0.1:6379/0", 6379),
    "nats": BrokerService("NATS JetStream", "nats://127.0.0.1:4222", 4222),
}
# The values whose server the rendered project's tests start themselves: Kafka's protocol,
# spoken by Tansu (no Apache Kafka runs in this suite, and no test claims one did).
OWN_BROKERS = {"kafka": "Tansu"}


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


# Free text with what breaks a quoted string (quotes, backslashes), a header (a comma) or
# Markdown, and letters that are not ASCII: each lands escaped for its file.
FREE_TEXT = {
    "project_name": 'Über "Q" \\ Café, Inc.',
    "project_description": 'Says "hi" \\ to *all* <you>, `code` and {braces}; ' + "long " * 20,
    "author_name": 'O\'Brien "Ops" \\ Team',
}


@cache
def questions() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load((ROOT / "copier.yml").read_text())
    return {
        key: value
        for key, value in data.items()
        # Derived values (`when: false`) are computed from the answers, never asked.
        if not key.startswith("_") and isinstance(value, dict) and value.get("when") is not False
    }


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
    rows = [
        dict(zip(names, values, strict=True))
        for values in itertools.product(*(d.values for d in dimensions()))
    ]
    rows.sort(key=lambda row: row != defaults())
    return rows


@cache
def _covering_array(
    strength: int,
    triples_of: tuple[str, ...] = (),
    ignored: tuple[str, ...] = (),
    attempts: int = 1,
) -> tuple[tuple[tuple[str, Any], ...], ...]:
    dims = dimensions()
    names = [dimension.name for dimension in dims]
    if len(dims) <= strength:
        return tuple(tuple(row.items()) for row in all_combinations())
    groups = [
        group
        for group in itertools.combinations(range(len(names)), strength)
        if not any(names[i] in ignored for i in group)
    ]
    if triples_of:
        groups += [
            group
            for group in itertools.combinations(range(len(names)), 3)
            if all(names[i] in triples_of for i in group)
        ]

    def covered_by(row: dict[str, Any]) -> frozenset[tuple[tuple[str, Any], ...]]:
        return frozenset(tuple((names[i], row[names[i]]) for i in group) for group in groups)

    uncovered: set[tuple[tuple[str, Any], ...]] = set()
    for group in groups:
        for values in itertools.product(*(dims[i].values for i in group)):
            uncovered.add(tuple(zip((names[i] for i in group), values, strict=True)))
    # Each candidate's tuples computed once (the greedy loop only intersects sets), and one
    # candidate per set of tuples (rows differing only in ignored questions are one).
    unique: dict[frozenset[tuple[tuple[str, Any], ...]], dict[str, Any]] = {}
    for row in all_combinations():
        unique.setdefault(covered_by(row), row)
    candidates = list(unique.items())
    uncovered -= covered_by(defaults())
    # Greedy, breaking ties in a few seeded orders: the smallest array wins, the same on
    # every run and machine.
    best_rows: list[dict[str, Any]] | None = None
    # No array is smaller than the product of the two largest questions' value counts.
    sizes = sorted(len(dims[i].values) for i in set(itertools.chain(*groups)))
    fewest = math.prod(sizes[-strength:])
    for seed in range(attempts):
        order = candidates[:]
        if seed:
            random.Random(seed).shuffle(order)
        chosen, left = [defaults()], set(uncovered)
        while left:
            tuples, row = max(order, key=lambda candidate: len(candidate[0] & left))
            chosen.append(row)
            left -= tuples
        if best_rows is None or len(chosen) < len(best_rows):
            best_rows = chosen
        if len(best_rows) == fewest:
            break
    assert best_rows is not None
    return tuple(tuple(row.items()) for row in best_rows)


def covering_array(
    strength: int,
    triples_of: tuple[str, ...] = (),
    ignored: tuple[str, ...] = (),
    attempts: int = 1,
) -> list[dict[str, Any]]:
    """A greedy covering array: each `strength`-tuple of values of the questions not
    `ignored` appears in some row, and each triple of values of the questions in
    `triples_of`; the smallest of `attempts` tie-breaking orders."""
    return [dict(row) for row in _covering_array(strength, triples_of, ignored, attempts)]


def pairwise() -> list[dict[str, Any]]:
    """Every pair of values of the questions that shape the code; each value of a
    file-only question in some row (after the first, the defaults, they take turns)."""
    ignored = tuple(name for name in FILE_ONLY_QUESTIONS if name in questions())
    rows = covering_array(2, ignored=ignored, attempts=PAIRWISE_ATTEMPTS)
    by_name = {dimension.name: dimension for dimension in dimensions()}
    for name in ignored:
        values = by_name[name].values
        for index, row in enumerate(rows[1:]):
            row[name] = values[(values.index(by_name[name].default) + 1 + index) % len(values)]
    return rows


def fast_tier_rows() -> list[dict[str, Any]]:
    rows = all_combinations()
    if len(rows) <= MAX_FULL_PRODUCT:
        return rows
    return covering_array(2, tuple(name for name in DELIVERY_QUESTIONS if name in questions()))


def label(row: dict[str, Any]) -> str:
    """A readable test id: only the answers that differ from the defaults."""
    changed = []
    for name, value in row.items():
        if defaults()[name] != value:
            changed.append(f"{name}={value}")
    return ",".join(changed) or "defaults"


def broker_note(row: dict[str, Any]) -> str | None:
    """What the rendered project's broker ran against, in words; None without a broker."""
    value = row.get("message_broker", "none")
    if value in REAL_BROKERS:
        service = REAL_BROKERS[value]
        return f"{value}: a real {service.name} server on 127.0.0.1:{service.port}"
    if value in OWN_BROKERS:
        return f"{value}: Kafka protocol, tested on {OWN_BROKERS[value]}; not Apache Kafka"
    return None


if __name__ == "__main__":  # `python -m tests.matrix`: the rows each tier renders
    fast, full = fast_tier_rows(), pairwise()
    print(f"{len(dimensions())} questions, {len(all_combinations())} combinations")
    print(f"fast tier: {len(fast)} rows; full tier (pairwise): {len(full)} rows")
    for row in full:
        note = broker_note(row)
        print(f"  {label(row)}" + (f"  [{note}]" if note else ""))
