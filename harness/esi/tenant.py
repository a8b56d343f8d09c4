"""Occupiers' data sets: what the emulated meters serve for one occupier.

Every value an occupier has is unique in the run, so whatever the unit under test shows
can be attributed to exactly one occupier: a value of the previous occupier still shown
after a Change of Tenancy is the evidence of a failure to clear.

What the unit shows is compared as a set of items (fuel, key, value):
- consumption history: key = Metering attribute ID, value = the reading;
- top-up history: key = top-up time (ZCL UTC), value = amount;
- debt recovery: key = collection time (ZCL UTC), value = amount collected;
- supplier messages: key = MESSAGE_KEY, value = message ID.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping

from harness.profile import DataClass
from harness.zcl.metering import HISTORY_ATTRIBUTES

__all__ = ["DataClass", "Fuel", "Item", "Tenant", "TopUp", "Debt", "Message", "MESSAGE_KEY"]


class Fuel(enum.StrEnum):
    ELECTRICITY = "electricity"
    GAS = "gas"


Item = tuple[str, int, int]
MESSAGE_KEY = 0x0703  # the Messaging cluster: one shown message per fuel

# The consumption history served: current day, previous day and previous days 2..8.
SERVED_HISTORY: tuple[int, ...] = tuple(list(HISTORY_ATTRIBUTES)[:9])


@dataclasses.dataclass(frozen=True)
class TopUp:
    code: bytes
    amount: int  # pence
    time: int  # ZCL UTC


@dataclasses.dataclass(frozen=True)
class Debt:
    collection_time: int  # ZCL UTC
    amount_collected: int
    debt_type: int  # 0 debt1, 1 debt2, 2 debt3
    outstanding: int


@dataclasses.dataclass(frozen=True)
class Message:
    message_id: int
    text: str


@dataclasses.dataclass(frozen=True)
class Tenant:
    """One occupier's data as the meters hold it, per fuel."""

    name: str
    consumption: Mapping[Fuel, Mapping[int, int]]
    top_ups: Mapping[Fuel, tuple[TopUp, ...]] = dataclasses.field(default_factory=dict)
    debts: Mapping[Fuel, tuple[Debt, ...]] = dataclasses.field(default_factory=dict)
    messages: Mapping[Fuel, Message] = dataclasses.field(default_factory=dict)

    def items(self, data_class: DataClass, fuel: Fuel | None = None) -> frozenset[Item]:
        fuels = [fuel] if fuel is not None else list(Fuel)
        found: set[Item] = set()
        for f in fuels:
            if data_class is DataClass.CONSUMPTION_HISTORY:
                found |= {(str(f), a, v) for a, v in self.consumption.get(f, {}).items()}
            elif data_class is DataClass.TOP_UP_HISTORY:
                found |= {(str(f), t.time, t.amount) for t in self.top_ups.get(f, ())}
            elif data_class is DataClass.DEBT_RECOVERY:
                found |= {(str(f), d.collection_time, d.amount_collected) for d in self.debts.get(f, ())}
            elif data_class is DataClass.SUPPLIER_MESSAGES and f in self.messages:
                found.add((str(f), MESSAGE_KEY, self.messages[f].message_id))
        return frozenset(found)

    def describe(self, data_class: DataClass, limit: int = 3) -> str:
        """A short human rendering, for operator prompts and reports."""
        items = sorted(self.items(data_class))[:limit]
        more = len(self.items(data_class)) - len(items)
        text = ", ".join(f"{fuel} {key:#x}={value}" for fuel, key, value in items)
        return text + (f" (+{more} more)" if more > 0 else "")
