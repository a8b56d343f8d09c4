"""The simulation observer: reads what the simulated UUT's display holds.

It is the only observer that can see inside the device, so it reads exact items; the
verdict logic is the same as for every other observer (base.judge).
"""

from __future__ import annotations

from collections.abc import Callable

from harness.errors import ObserverError
from harness.esi.tenant import DataClass, Item, Tenant
from harness.observe.base import Observation, judge

Displayed = Callable[[DataClass], frozenset[Item] | None]


class SimulationObserver:
    name = "simulation"

    def __init__(self, displayed: Displayed, now: Callable[[], float]) -> None:
        self._displayed = displayed
        self._now = now

    def observe(self, data_class: DataClass, previous: Tenant, new: Tenant) -> Observation:
        items = self._displayed(data_class)
        if items is None:
            raise ObserverError(
                f"the simulated device does not store {data_class} although the profile "
                f"declares it (stores/observe): fix the profile or the model"
            )
        return judge(data_class, self._now(), items, previous, new, "simulated display")
