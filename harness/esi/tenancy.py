"""Who lives there: the sequence of occupiers the emulated meters serve during a run.

The bench runs many cases on one joined unit, so every case that needs "the previous
occupier's data" takes whoever is in residence as the previous occupier and moves a new
one in. Each occupier's values are unique in the run (index-derived ranges), so anything
the unit shows is attributable to exactly one of them.
"""

from __future__ import annotations

import dataclasses

from harness.domain import PROFILE_INTERVALS, SERVED_COST_HISTORY, SERVED_HISTORY, DataClass, Fuel
from harness.errors import PreconditionNotMet
from harness.esi.tenant import Account, Debt, Message, Tenant, TopUp
from harness.zcl.metering import HALF_HOUR
from harness.zcl.time import UNIX_OFFSET

DAY = 86400
MAX_ISSUER_EVENT_ID = 0xFFFFFFFF  # ZigBee SE 1.4: a uint32, newer information larger
FUEL_OFFSET = {Fuel.ELECTRICITY: 0, Fuel.GAS: 5_000}


RECORDS_FROM_ZCL = 820_000_000  # 2025-12-26: record times of occupier 0 start here


def make_tenant(index: int) -> Tenant:
    """Occupier `index`: consumption (daily, weekly, monthly, its cost and 12 half-hourly
    intervals), 3 top-ups, 2 debt collections and a message per fuel.

    Record times fall within the occupier's own (notional) month; values are
    10_000 * (index + 1) plus offsets below 5_000 (the gas offset), so no two occupiers
    share a value: readings +7..+203, top-ups +100.., debts +200.., +300.., message +400,
    cost +1000..+1308, intervals +2000..+2143, account +3000...
    """
    base = 10_000 * (index + 1)
    month = RECORDS_FROM_ZCL + index * 30 * DAY
    records: dict[DataClass, dict[Fuel, tuple[object, ...]]] = {dc: {} for dc in DataClass}
    for fuel, offset in FUEL_OFFSET.items():
        b = base + offset
        # Half-hourly intervals ending on half-hour boundaries, on the occupier's second day.
        last_interval = (month + 2 * DAY) // HALF_HOUR * HALF_HOUR
        records[DataClass.CONSUMPTION_HISTORY][fuel] = (
            *((attr, b + 7 * (i + 1)) for i, attr in enumerate(SERVED_HISTORY)),
            *((attr, b + 1000 + 11 * i) for i, attr in enumerate(SERVED_COST_HISTORY)),
            *((last_interval - n * HALF_HOUR, b + 2000 + 13 * n) for n in range(PROFILE_INTERVALS)),
        )
        records[DataClass.TOP_UP_HISTORY][fuel] = tuple(
            TopUp(code=f"{index:04d}{n:016d}".encode()[:20], amount=b + 100 + n, time=month + n * DAY + 3600)
            for n in range(3)
        )
        records[DataClass.DEBT_RECOVERY][fuel] = tuple(
            Debt(
                collection_time=month + n * DAY + 7200,
                amount_collected=b + 200 + n,
                debt_type=n % 3,
                outstanding=b + 300 + n,
            )
            for n in range(2)
        )
        records[DataClass.SUPPLIER_MESSAGES][fuel] = (
            Message(message_id=b + 400, text=f"Supplier message {index} ({fuel})"),
        )
    accounts = {
        fuel: Account(
            credit_remaining=base + offset + 3000,
            emergency_credit_remaining=base + offset + 3100,
            debt_recovery_amounts=(base + offset + 3200, base + offset + 3201),
        )
        for fuel, offset in FUEL_OFFSET.items()
    }
    return Tenant(f"occupier {index}", records, accounts)


@dataclasses.dataclass
class Tenancy:
    """The occupier in residence and the Issuer Event IDs already used."""

    index: int = 0
    last_issuer_event_id: int = 0
    last_implementation_time: int = 0

    @property
    def resident(self) -> Tenant:
        return make_tenant(self.index)

    @property
    def upcoming(self) -> Tenant:
        """Who moves in at the next CoT (known ahead so data can be attributed)."""
        return make_tenant(self.index + 1)

    def move_in(self) -> tuple[Tenant, Tenant]:
        """(previous, new): the resident becomes the previous occupier."""
        previous = self.resident
        self.index += 1
        return previous, self.resident

    def move_back(self) -> Tenant:
        """The CoT was cancelled: the previous occupier never left."""
        self.index -= 1
        return self.resident

    def next_implementation_time(self, now_zcl: int) -> int:
        """Now, but never equal to a previous CoT's: a unit that queries by reading
        0x0200/0x0201 can tell two CoTs apart by this date/time only."""
        self.last_implementation_time = max(now_zcl, self.last_implementation_time + 1)
        return self.last_implementation_time

    def next_issuer_event_id(self, now_unix: float) -> int:
        """GB uses a UTC timestamp; strictly increasing within a run."""
        candidate = max(int(now_unix) - UNIX_OFFSET, self.last_issuer_event_id + 1)
        if candidate > MAX_ISSUER_EVENT_ID:
            raise PreconditionNotMet(
                f"no Issuer Event ID is newer than 0x{self.last_issuer_event_id:08X} (a uint32): a case that "
                "uses the top of the range (NEG-06) must be the last of the run"
            )
        self.last_issuer_event_id = candidate
        return candidate

    def use_issuer_event_id(self, issuer_event_id: int) -> int:
        """A case's own Issuer Event ID (the range case, NEG-06), which may be anywhere in
        the uint32 range: the IDs issued after it are still newer than every one used."""
        if not 0 <= issuer_event_id <= MAX_ISSUER_EVENT_ID:
            raise ValueError(f"Issuer Event ID {issuer_event_id:#x} is not a uint32")
        self.last_issuer_event_id = max(issuer_event_id, self.last_issuer_event_id)
        return issuer_event_id
