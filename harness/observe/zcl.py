"""The ZCL observer: one attribute of the unit under test, read over the air.

The bench does the reading (it owns the radio); this turns the value into an item and
judges it like any other observation. A value of 0 or an absent attribute shows nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from harness.domain import DataClass, Item
from harness.errors import ObserverError
from harness.esi.tenant import Tenant
from harness.observe.base import Observation, ObserverKind, judge

# (cluster, attribute, endpoint) -> the value, None when the attribute is absent; raises
# ObserverError when the unit could not be read.
ZclReadFn = Callable[[int, int, int], object | None]


class ZclReadLike(Protocol):
    """What the observer needs of a profile's ZclRead."""

    @property
    def cluster(self) -> int: ...

    @property
    def attribute(self) -> int: ...

    @property
    def endpoint(self) -> int | None: ...


class ZclObserver:
    name = "zcl"
    kind = ObserverKind.POLLED  # cheap to ask: the bench re-checks it while it waits

    def __init__(
        self,
        read: ZclReadFn,
        spec: ZclReadLike,
        default_endpoint: int,
        fuel: str,
        now: Callable[[], float],
    ) -> None:
        self._read = read
        self._cluster = spec.cluster
        self._attribute = spec.attribute
        self._endpoint = spec.endpoint if spec.endpoint is not None else default_endpoint
        self._fuel = str(fuel)
        self._now = now

    def observe(self, data_class: DataClass, previous: Tenant, new: Tenant) -> Observation:
        value = self._read(self._cluster, self._attribute, self._endpoint)
        at = self._now()
        what = (
            f"ZCL read of cluster 0x{self._cluster:04X} attribute 0x{self._attribute:04X} "
            f"on endpoint {self._endpoint} = {value!r}"
        )
        # bool is an int too, but no attribute judged here is a boolean.
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ObserverError(f"{what}: expected an integer, cannot judge a {type(value).__name__}")
        items: frozenset[Item] = frozenset({(self._fuel, self._attribute, int(value))} if value else ())
        return judge(data_class, at, items, previous, new, what)
