"""The simulation observer: reads what the simulated UUT's display holds.

It is the only observer that can see inside the device, so it reads exact items; the
verdict logic is the same as for every other observer (base.judge).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from harness.domain import DataClass, Item
from harness.errors import ObserverError
from harness.esi.tenant import Tenant
from harness.observe.base import Observation, ObserverKind, Watch, judge

Watcher = Callable[[DataClass, frozenset[Item], frozenset[Item]], None]  # (class, added, removed)


class Display(Protocol):
    """A simulated unit's display, read exactly (the simulation facade provides it)."""

    def displayed(self, data_class: DataClass) -> frozenset[Item] | None: ...

    def subscribe(self, watcher: Watcher) -> Callable[[], None] | None: ...


class SimulationObserver:
    name = "simulation"
    kind = ObserverKind.EVENT_DRIVEN  # simulated state is read on the bench loop, changes reported

    def __init__(self, display: Display, now: Callable[[], float]) -> None:
        self._display = display
        self._now = now

    def watch(self, data_class: DataClass) -> tuple[Watch, Callable[[], None]]:
        """Record every change of data_class until the returned stop() is called.

        Changes are caught as they happen, so a clear followed by an immediate re-fetch
        is still seen as a removal."""
        watch = Watch(data_class)

        def on_change(changed: DataClass, added: frozenset[Item], removed: frozenset[Item]) -> None:
            if changed == data_class:
                watch.record(self._now(), added, removed)

        stop = self._display.subscribe(on_change)
        if stop is None:
            raise ObserverError("this simulated device does not report display changes")
        return watch, stop

    def observe(self, data_class: DataClass, previous: Tenant, new: Tenant) -> Observation:
        items = self._display.displayed(data_class)
        if items is None:
            raise ObserverError(
                f"the simulated device does not store {data_class} although the profile "
                f"declares it (stores/observe): fix the profile or the model"
            )
        return judge(data_class, self._now(), items, previous, new, "simulated display")
