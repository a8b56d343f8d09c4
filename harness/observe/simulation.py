"""The simulation observer: reads what the simulated UUT's display holds.

It is the only observer that can see inside the device, so it reads exact items; the
verdict logic is the same as for every other observer (base.judge).
"""

from __future__ import annotations

from collections.abc import Callable

from harness.errors import ObserverError
from harness.esi.tenant import DataClass, Item, Tenant
from harness.observe.base import Observation, Watch, judge

Displayed = Callable[[DataClass], frozenset[Item] | None]
Subscribe = Callable[[Callable[[DataClass, frozenset[Item], frozenset[Item]], None]], Callable[[], None]]


class SimulationObserver:
    name = "simulation"
    on_bench_loop = True  # simulated state is only read on the bench's event loop

    def __init__(self, displayed: Displayed, now: Callable[[], float], subscribe: Subscribe | None = None) -> None:
        self._displayed = displayed
        self._now = now
        self._subscribe = subscribe

    def watch(self, data_class: DataClass) -> tuple[Watch, Callable[[], None]]:
        """Record every change of data_class until the returned stop() is called.

        Changes are caught as they happen, so a clear followed by an immediate re-fetch
        is still seen as a removal."""
        watch = Watch(data_class)
        if self._subscribe is None:
            raise ObserverError("this simulated device does not report display changes")

        def on_change(changed: DataClass, added: frozenset[Item], removed: frozenset[Item]) -> None:
            if changed == data_class:
                watch.record(self._now(), added, removed)

        return watch, self._subscribe(on_change)

    def observe(self, data_class: DataClass, previous: Tenant, new: Tenant) -> Observation:
        items = self._displayed(data_class)
        if items is None:
            raise ObserverError(
                f"the simulated device does not store {data_class} although the profile "
                f"declares it (stores/observe): fix the profile or the model"
            )
        return judge(data_class, self._now(), items, previous, new, "simulated display")
