"""Occupiers' data sets: what the emulated meters serve before and after the CoT.

Each data set's values are distinct from the other's, so that whatever the unit under test
shows can be attributed to one occupier: a value of the previous occupier still shown after
a Change of Tenancy is the evidence of a failure to clear.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping

from harness.profile import DataClass
from harness.zcl.metering import HISTORY_ATTRIBUTES

__all__ = ["DataClass", "Fuel", "Item", "Tenant"]


class Fuel(enum.StrEnum):
    ELECTRICITY = "electricity"
    GAS = "gas"


# One shown item: (fuel, attribute or record kind, value). Hashable so observations
# compare as sets.
Item = tuple[str, int, int]

# The consumption history served: current day, previous day and previous days 2..8.
SERVED_HISTORY: tuple[int, ...] = tuple(list(HISTORY_ATTRIBUTES)[:9])


@dataclasses.dataclass(frozen=True)
class Tenant:
    """One occupier's data as the meters hold it."""

    name: str
    consumption: Mapping[Fuel, Mapping[int, int]]  # fuel -> attribute id -> Wh (or m3*1000)

    def items(self, data_class: DataClass) -> frozenset[Item]:
        if data_class is DataClass.CONSUMPTION_HISTORY:
            return frozenset(
                (str(fuel), attr, value)
                for fuel, attrs in self.consumption.items()
                for attr, value in attrs.items()
            )
        return frozenset()


def _history(base: int) -> dict[int, int]:
    # Distinct, recognisable values per day; never zero so "shown" is unambiguous.
    return {attr: base + 111 * (i + 1) for i, attr in enumerate(SERVED_HISTORY)}


PREVIOUS_OCCUPIER = Tenant(
    name="previous occupier",
    consumption={Fuel.ELECTRICITY: _history(70000), Fuel.GAS: _history(50000)},
)

# After the CoT the meter restricts access to the old logs: the new occupier has only a
# current day so far.
NEW_OCCUPIER = Tenant(
    name="new occupier",
    consumption={
        Fuel.ELECTRICITY: {SERVED_HISTORY[0]: 1234},
        Fuel.GAS: {SERVED_HISTORY[0]: 987},
    },
)
