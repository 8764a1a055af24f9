"""Value objects: immutable, compared by value, valid by construction."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ValueObject:
    """Subclass as a frozen dataclass; validate in `__post_init__` or a named constructor."""
