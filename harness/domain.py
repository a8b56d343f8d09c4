"""The domain's shared vocabulary, and one declarative row per data class.

What a Change of Tenancy must clear comes in data classes (DataClass). Everything that
depends on which class it is (the meter cluster serving it, the request a unit fetches it
with, how an occupier's records and a meter's answer become display items, how a person
reads an item, its CLR case) is a field of its row in DATA_CLASSES, so that the meters,
the reference devices, the observers and the catalogue read the table instead of branching
on the class. Adding a data class is a row here, the occupier's records (esi/tenancy.py),
the meter's answer to the fetch (esi/servers.py), and its CLR case.

What a unit shows is compared as a set of items (fuel, key, value); each row's `item`
says what key and value mean for its class:
- consumption history: key = Metering attribute ID (daily, weekly and monthly history), or
  Prepayment attribute ID (cost history, 0x051C-0x055B), or the end time (ZCL UTC) of a
  half-hourly Get Profile interval; value = the reading (Wh, m3 * 1000 or pence);
- top-up history: key = top-up time (ZCL UTC), value = amount (pence);
- debt recovery: key = collection time (ZCL UTC), value = amount collected (pence);
- supplier messages: key = MESSAGE_KEY, value = message ID.

Nothing of the harness but harness.zcl is imported here.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from enum import StrEnum
from operator import attrgetter
from types import MappingProxyType
from typing import Any, Final

from harness.zcl import Messaging, Metering, Prepayment
from harness.zcl.attributes import read_values
from harness.zcl.codec import ZclFrame
from harness.zcl.metering import HALF_HOUR, HISTORY_ATTRIBUTES, IntervalChannel
from harness.zcl.prepayment import COST_HISTORY_DELIVERED
from harness.zcl.time import ZCL_EPOCH

__all__ = [
    "DATA_CLASSES",
    "MESSAGE_KEY",
    "PROFILE_INTERVALS",
    "SERVED_COST_HISTORY",
    "SERVED_HISTORY",
    "DataClass",
    "DataClassSpec",
    "Fetch",
    "Fuel",
    "Item",
    "KeyValue",
]


class DataClass(StrEnum):
    """The previous occupier's data a CoT must clear (one CLR case each)."""

    CONSUMPTION_HISTORY = "consumption_history"
    TOP_UP_HISTORY = "top_up_history"
    DEBT_RECOVERY = "debt_recovery"
    SUPPLIER_MESSAGES = "supplier_messages"


class Fuel(StrEnum):
    ELECTRICITY = "electricity"
    GAS = "gas"


Item = tuple[str, int, int]  # (fuel, key, value)
KeyValue = tuple[int, int]  # an item without its fuel
MESSAGE_KEY: Final = Messaging.cluster_id  # 0x0703: one shown message per fuel

# The consumption history served and fetched: every delivered period of the Historical
# Consumption set (current and previous day, days 2..8, weeks, weeks 2..5, months, months 2..13).
SERVED_HISTORY: Final[tuple[int, ...]] = tuple(HISTORY_ATTRIBUTES)
# The cost of the same periods, from Prepayment's Historical Cost Consumption set (delivered).
SERVED_COST_HISTORY: Final[tuple[int, ...]] = tuple(COST_HISTORY_DELIVERED)
# The half-hourly intervals an IHD asks with Get Profile: the most recent 6 hours. 12 uint24
# intervals make a 46-octet response, within one secured frame (harness.zcl.limits).
PROFILE_INTERVALS: Final = 12

ANY_TIME: Final = 0xFFFFFFFF  # as latest_end_time: records of any time


@dataclasses.dataclass(frozen=True)
class Fetch:
    """How a unit asks a meter for one data class, and what of the answer it shows."""

    command: str  # client to server, on the row's server_cluster (or `cluster`)
    fields: Mapping[str, object]  # the request's fields
    answer: str  # the command of the answer that carries the data
    shown: Callable[[ZclFrame], Iterable[KeyValue]]  # what that answer shows, per fuel
    cluster: int | None = None  # the meter cluster asked, when not the row's server_cluster


@dataclasses.dataclass(frozen=True)
class DataClassSpec:
    """What one data class is, for every part of the harness that handles it."""

    data_class: DataClass
    case_id: str  # the CLR case proving it is cleared
    case_title: str  # the CLR case's title in the plan (harness.catalogue)
    requirement: str  # SECMP0056's own words for it, in its clearing requirement
    server_cluster: int  # the meter cluster serving it
    client_clusters: frozenset[int]  # what a unit storing it has as client clusters (PROF-01)
    fetch: Fetch
    item: Callable[[Any], KeyValue]  # one of an occupier's records (esi.tenant) -> (key, value)
    item_words: Callable[[Item], str]  # one item as a person matches it against a screen
    latest_per_fuel: bool  # a unit shows the latest one per fuel (else it keeps a log)
    served_at_move_in: bool  # a new occupier has some from the first day
    pushed_by_supplier: bool  # the supplier sends it to the occupier (the meters push it)
    # Messaging's Cancel All Messages concerns it: a unit told so may remove it (NEG-04).
    cancelled_by_cancel_all: bool = False
    # Further fetches of the same class (consumption history: its cost and its intervals).
    # A unit that makes them shows their items too; the class is judged on all of them.
    also_fetched: tuple[Fetch, ...] = ()

    def __post_init__(self) -> None:
        # Every fetch names its cluster once the row is built: the row's unless it said.
        def placed(fetch: Fetch) -> Fetch:
            return fetch if fetch.cluster is not None else dataclasses.replace(fetch, cluster=self.server_cluster)

        object.__setattr__(self, "fetch", placed(self.fetch))
        object.__setattr__(self, "also_fetched", tuple(placed(f) for f in self.also_fetched))

    @property
    def fetches(self) -> tuple[Fetch, ...]:
        return (self.fetch, *self.also_fetched)

    def cluster_of(self, fetch: Fetch) -> int:
        return self.server_cluster if fetch.cluster is None else fetch.cluster

    @property
    def words(self) -> str:
        """The class in running text: "consumption history"."""
        return str(self.data_class).replace("_", " ")


# -- how a person reads an item -------------------------------------------------------------


def _period(attribute_name: str) -> str:
    # e.g. previous_day3_consumption_delivered -> "3 days ago"
    match = re.fullmatch(r"(current|previous)_?(day|week|month)(\d*)_consumption_delivered", attribute_name)
    if match is None:
        return attribute_name
    which, unit, ago = match.groups()
    if ago:
        return f"{ago} {unit}s ago"
    if unit == "day":
        return "today" if which == "current" else "yesterday"
    return f"this {unit}" if which == "current" else f"last {unit}"


def _quantity(fuel: str, value: int) -> str:
    # Occupiers' gas history is in m3 * 1000 (esi.tenancy); a display shows m3.
    return f"{value / 1000:g} m³" if fuel == Fuel.GAS else f"{value} Wh"


def _money(pence: int) -> str:
    return f"£{pence / 100:.2f}"


def _zcl_utc(seconds: int) -> str:
    return f"{ZCL_EPOCH + timedelta(seconds=seconds):%Y-%m-%d %H:%M} UTC"


_COST_PERIODS: Final = {attr: f"{period}_consumption_delivered" for attr, period in COST_HISTORY_DELIVERED.items()}


def _reading_words(item: Item) -> str:
    fuel, key, value = item
    if key in HISTORY_ATTRIBUTES:
        return f"{_period(HISTORY_ATTRIBUTES[key].name)} {_quantity(fuel, value)}"
    if key in _COST_PERIODS:
        return f"cost {_period(_COST_PERIODS[key])} {_money(value)}"
    if key > 0xFFFF:  # not an attribute ID: an interval's end time
        return f"half hour to {_zcl_utc(key)} {_quantity(fuel, value)}"
    return f"#{key} {value}"


# -- what a meter's answer shows --------------------------------------------------------------


def _readings_shown(answer: ZclFrame) -> Iterable[KeyValue]:
    # An attribute reading 0 shows nothing.
    return [(a, int(v)) for a, v in read_values(answer).items() if int(v)]  # type: ignore[call-overload]


def _intervals_shown(answer: ZclFrame) -> Iterable[KeyValue]:
    # Most recent first, each HALF_HOUR before the one before; an interval of 0 shows nothing.
    end = int(answer.fields["end_time"])
    return [(end - n * HALF_HOUR, int(v)) for n, v in enumerate(answer.fields["intervals"]) if int(v)]


def _records_shown(field: str, key: str, value: str) -> Callable[[ZclFrame], Iterable[KeyValue]]:
    def shown(answer: ZclFrame) -> Iterable[KeyValue]:
        return [(int(getattr(r, key)), int(getattr(r, value))) for r in answer.fields[field]]

    return shown


def _message_shown(answer: ZclFrame) -> Iterable[KeyValue]:
    return [(MESSAGE_KEY, int(answer.fields["message_id"]))]


_ROWS: Final = (
    DataClassSpec(
        DataClass.CONSUMPTION_HISTORY,
        case_id="CLR-01",
        case_title="The previous occupier's consumption history is gone after the CoT",
        requirement="historic consumption data",
        server_cluster=Metering.cluster_id,
        client_clusters=frozenset({Metering.cluster_id}),
        fetch=Fetch("read_attributes", {"attribute_ids": list(SERVED_HISTORY)}, "read_attributes_rsp", _readings_shown),
        item=lambda reading: (reading[0], reading[1]),  # records are (key, reading): see the module
        item_words=_reading_words,
        latest_per_fuel=False,
        served_at_move_in=True,
        pushed_by_supplier=False,
        also_fetched=(
            Fetch(
                "read_attributes",
                {"attribute_ids": list(SERVED_COST_HISTORY)},
                "read_attributes_rsp",
                _readings_shown,
                cluster=Prepayment.cluster_id,
            ),
            # End time 0: the most recent block (SE 1.4, D.3.3.3.1).
            Fetch(
                "get_profile",
                {
                    "interval_channel": IntervalChannel.Consumption_Delivered,
                    "end_time": 0,
                    "number_of_periods": PROFILE_INTERVALS,
                },
                "get_profile_response",
                _intervals_shown,
            ),
        ),
    ),
    DataClassSpec(
        DataClass.TOP_UP_HISTORY,
        case_id="CLR-02",
        case_title="The previous occupier's top-up history is gone after the CoT",
        requirement="Top-Up history",
        server_cluster=Prepayment.cluster_id,
        client_clusters=frozenset({Prepayment.cluster_id}),
        fetch=Fetch(
            "get_top_up_log",
            {"latest_end_time": ANY_TIME, "number_of_records": 0},
            "publish_top_up_log",
            _records_shown("top_up_payload", "top_up_time", "top_up_amount"),
        ),
        item=attrgetter("time", "amount"),
        item_words=lambda item: f"top-up of {_money(item[2])} on {_zcl_utc(item[1])}",
        latest_per_fuel=False,
        served_at_move_in=True,
        pushed_by_supplier=False,
    ),
    DataClassSpec(
        DataClass.DEBT_RECOVERY,
        case_id="CLR-03",
        case_title="The previous occupier's debt recovery information is gone after the CoT",
        requirement="information regarding Debt Recovery",
        server_cluster=Prepayment.cluster_id,
        client_clusters=frozenset({Prepayment.cluster_id}),
        fetch=Fetch(
            "get_debt_repayment_log",
            {"latest_end_time": ANY_TIME, "number_of_debts": 0, "debt_type": 0xFF},
            "publish_debt_log",
            _records_shown("debt_payload", "collection_time", "amount_collected"),
        ),
        item=attrgetter("collection_time", "amount_collected"),
        item_words=lambda item: f"{_money(item[2])} collected on {_zcl_utc(item[1])}",
        latest_per_fuel=False,
        served_at_move_in=True,
        pushed_by_supplier=False,
    ),
    DataClassSpec(
        DataClass.SUPPLIER_MESSAGES,
        case_id="CLR-04",
        case_title="The previous occupier's supplier messages are gone after the CoT",
        requirement="Supplier Messages",
        server_cluster=Messaging.cluster_id,
        client_clusters=frozenset({Messaging.cluster_id}),
        fetch=Fetch("get_last_message", {}, "display_message", _message_shown),
        item=lambda message: (MESSAGE_KEY, message.message_id),
        item_words=lambda item: f"message ID {item[2]}",
        latest_per_fuel=True,
        # A new occupier has received no supplier message yet.
        served_at_move_in=False,
        pushed_by_supplier=True,
        cancelled_by_cancel_all=True,
    ),
)

DATA_CLASSES: Final[Mapping[DataClass, DataClassSpec]] = MappingProxyType({row.data_class: row for row in _ROWS})
