"""What an observer reports about one data class, and how it is judged against tenants."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from typing import Protocol

from harness.domain import DataClass, Item
from harness.esi.tenant import Tenant


@dataclasses.dataclass(frozen=True)
class Observation:
    """What the UUT showed of one data class at one moment (bench time)."""

    data_class: DataClass
    at: float
    shows_previous: bool  # any of the previous occupier's data is visible
    shows_new: bool  # any of the new occupier's data is visible
    detail: str  # what was seen, for the report
    items: frozenset[Item] | None = None  # exact items when the observer can read them

    def fuels_of(self, tenant: Tenant) -> frozenset[str] | None:
        """The fuels of which some of `tenant`'s data is shown; None when the observer only
        answers yes/no for the class as a whole and cannot say which fuel it saw."""
        if self.items is None:
            return None
        return frozenset(fuel for fuel, _key, _value in self.items & tenant.items(self.data_class))


@dataclasses.dataclass
class Watch:
    """Every change of one data class seen while watching (exact observers only)."""

    data_class: DataClass
    added: set[Item] = dataclasses.field(default_factory=set)
    removed: set[Item] = dataclasses.field(default_factory=set)
    gone: bool = False  # a yes/no observer once said the watched occupier's data was not shown
    changes: list[tuple[float, frozenset[Item], frozenset[Item]]] = dataclasses.field(default_factory=list)

    def record(self, at: float, added: frozenset[Item], removed: frozenset[Item]) -> None:
        self.added |= added
        self.removed |= removed
        self.changes.append((at, added, removed))

    def added_since(self, since: float, among: frozenset[Item]) -> list[tuple[float, frozenset[Item]]]:
        """Each change at or after `since` that added any of `among`, with those items: how
        a cleared occupier's data shown again is caught, however briefly it was shown."""
        return [(at, added & among) for at, added, _removed in self.changes if at >= since and added & among]


class ObserverKind(enum.Enum):
    """How an observer may be asked, which decides how the bench waits on it."""

    EVENT_DRIVEN = "event-driven"  # sees every change as it happens; read on the bench loop
    POLLED = "polled"  # cheap to ask: asked again every so often while a wait lasts
    ASKED_ONCE = "asked once"  # a person: asked once, when the time is up


class Observer(Protocol):
    """Reads the UUT's state; raises ObserverError (a bench error) when it cannot."""

    name: str
    kind: ObserverKind

    def observe(self, data_class: DataClass, previous: Tenant, new: Tenant) -> Observation: ...


class WatchingObserver(Observer, Protocol):
    """An event-driven observer that can record every change of a class over a window."""

    def watch(self, data_class: DataClass) -> tuple[Watch, Callable[[], None]]: ...


def judge(
    data_class: DataClass, at: float, items: frozenset[Item], previous: Tenant, new: Tenant, source: str
) -> Observation:
    """Attribute exactly-read items to occupiers (their data sets never overlap)."""
    old = items & previous.items(data_class)
    fresh = items & new.items(data_class)
    detail = (
        f"{source}: {len(items)} item(s) shown, {len(old)} of the previous occupier's, "
        f"{len(fresh)} of the new occupier's"
    )
    return Observation(data_class, at, bool(old), bool(fresh), detail, items)
