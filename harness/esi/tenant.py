"""Occupiers' data sets: what the emulated meters serve for one occupier.

Every value an occupier has is unique in the run, so whatever the unit under test shows
can be attributed to exactly one occupier: a value of the previous occupier still shown
after a Change of Tenancy is the evidence of a failure to clear.

Consumption history holds three kinds of record, all (key, reading) pairs told apart by
their key: Metering history attribute IDs (daily, weekly, monthly), Prepayment cost history
attribute IDs, and the end times (ZCL UTC) of the half-hourly Get Profile intervals.

An occupier's records are kept per data class and fuel; what the unit shows is compared as
a set of items (fuel, key, value), each record's item as its row of harness.domain's
DATA_CLASSES says (the records of consumption history are (attribute ID, reading) pairs).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from harness.domain import DATA_CLASSES, MESSAGE_KEY, SERVED_HISTORY, DataClass, Fuel, Item
from harness.zcl.metering import HISTORY_ATTRIBUTES
from harness.zcl.prepayment import COST_HISTORY_DELIVERED

# DataClass, Fuel, Item, MESSAGE_KEY and SERVED_HISTORY are re-exported for compatibility.
__all__ = [
    "MESSAGE_KEY",
    "SERVED_HISTORY",
    "Account",
    "DataClass",
    "Debt",
    "Fuel",
    "Item",
    "Message",
    "Tenant",
    "TopUp",
]

Records = Mapping[DataClass, Mapping[Fuel, tuple[Any, ...]]]


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
class Account:
    """An occupier's prepayment account on one meter (not a data class: a unit reads it
    afresh rather than keeping a history of it)."""

    credit_remaining: int = 0  # pence
    emergency_credit_remaining: int = 0  # pence
    debt_recovery_amounts: tuple[int, ...] = (0, 0)  # pence per period, debts 1 and 2


@dataclasses.dataclass(frozen=True)
class Tenant:
    """One occupier's data as the meters hold it: records per data class, per fuel."""

    name: str
    records: Records = dataclasses.field(default_factory=dict)
    accounts: Mapping[Fuel, Account] = dataclasses.field(default_factory=dict)

    def records_of(self, data_class: DataClass, fuel: Fuel) -> tuple[Any, ...]:
        return tuple(self.records.get(data_class, {}).get(fuel, ()))

    def items(self, data_class: DataClass, fuel: Fuel | None = None) -> frozenset[Item]:
        # Asked on every look at the unit's display (each observation judges it against the
        # occupiers): worked out once per (data class, fuel). The records are not changed
        # once the occupier is made (harness.esi.tenancy builds them, then the Tenant).
        key = (data_class, fuel)
        items = self._items.get(key)
        if items is None:
            items = self._items[key] = self.items_uncached(data_class, fuel)
        return items

    def items_uncached(self, data_class: DataClass, fuel: Fuel | None = None) -> frozenset[Item]:
        item = DATA_CLASSES[data_class].item
        fuels = [fuel] if fuel is not None else list(Fuel)
        return frozenset((str(f), *item(record)) for f in fuels for record in self.records_of(data_class, f))

    @functools.cached_property
    def _items(self) -> dict[tuple[DataClass, Fuel | None], frozenset[Item]]:
        return {}

    @functools.cached_property
    def _memo(self) -> dict[tuple[str, Fuel], object]:
        return {}

    # The records as the meters serve them.
    def readings(self, fuel: Fuel) -> Mapping[int, int]:
        """Consumption history: Metering attribute ID -> reading (the same read-only mapping
        each time: the meters' answer to every Read Attributes starts from it)."""
        return self._served(("readings", fuel), HISTORY_ATTRIBUTES, fuel)

    def costs(self, fuel: Fuel) -> Mapping[int, int]:
        """Cost history: Prepayment attribute ID (delivered) -> pence (as `readings`)."""
        return self._served(("costs", fuel), COST_HISTORY_DELIVERED, fuel)

    def _served(self, key: tuple[str, Fuel], attributes: Mapping[int, object], fuel: Fuel) -> Mapping[int, int]:
        served = self._memo.get(key)
        if served is None:
            records = self.records_of(DataClass.CONSUMPTION_HISTORY, fuel)
            served = self._memo[key] = MappingProxyType({k: v for k, v in records if k in attributes})
        return served  # type: ignore[return-value]

    def intervals(self, fuel: Fuel) -> list[tuple[int, int]]:
        """Half-hourly delivered intervals as (end time, reading), the most recent first."""
        known = HISTORY_ATTRIBUTES.keys() | COST_HISTORY_DELIVERED.keys()
        records = self.records_of(DataClass.CONSUMPTION_HISTORY, fuel)
        return sorted(((k, v) for k, v in records if k not in known), reverse=True)

    def account(self, fuel: Fuel) -> Account:
        return self.accounts.get(fuel, Account())

    def top_ups(self, fuel: Fuel) -> tuple[TopUp, ...]:
        return self.records_of(DataClass.TOP_UP_HISTORY, fuel)

    def debts(self, fuel: Fuel) -> tuple[Debt, ...]:
        return self.records_of(DataClass.DEBT_RECOVERY, fuel)

    def message(self, fuel: Fuel) -> Message | None:
        """The supplier's (one) message to the occupier on that fuel's meter."""
        return next(iter(self.records_of(DataClass.SUPPLIER_MESSAGES, fuel)), None)

    def describe(self, data_class: DataClass, limit: int = 3) -> str:
        """A short human rendering, for operator prompts and reports."""
        items = sorted(self.items(data_class))[:limit]
        more = len(self.items(data_class)) - len(items)
        text = ", ".join(f"{fuel} {key:#x}={value}" for fuel, key, value in items)
        return text + (f" (+{more} more)" if more > 0 else "")
