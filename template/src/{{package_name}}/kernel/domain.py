"""What every module's domain is built from: entities, aggregate roots and domain events.

Only the standard library: a domain imports this module, the kernel's errors and nothing
else outside itself.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """A fact an aggregate recorded, named in the past tense (`AccountRegistered`). It is
    handled inside the transaction that recorded it and never leaves its module."""

    event_id: UUID = field(default_factory=uuid4)
    occurred_at: datetime = field(default_factory=utc_now)


class Entity[IdT]:
    """Equal to another entity of its type with the same id, whatever its other values."""

    def __init__(self, id: IdT) -> None:
        self._id = id

    @property
    def id(self) -> IdT:
        return self._id

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Entity) and type(other) is type(self) and other.id == self.id

    def __hash__(self) -> int:
        return hash((type(self), self._id))


class AggregateRoot[IdT](Entity[IdT]):
    """The consistency boundary: loaded, changed and saved as a whole. It records domain
    events, which the unit of work dispatches when it commits."""

    def __init__(self, id: IdT) -> None:
        super().__init__(id)
        self._events: list[DomainEvent] = []

    def record(self, event: DomainEvent) -> None:
        self._events.append(event)

    def pull_events(self) -> list[DomainEvent]:
        """Hand over the recorded events exactly once."""
        events, self._events = self._events, []
        return events

    @property
    def pending_events(self) -> tuple[DomainEvent, ...]:
        return tuple(self._events)


type AnyAggregate = AggregateRoot[Any]
