"""Who lives there: the sequence of occupiers the emulated meters serve during a run.

The bench runs many cases on one joined unit, so every case that needs "the previous
occupier's data" takes whoever is in residence as the previous occupier and moves a new
one in. Each occupier's values are unique in the run, so anything the unit shows is
attributable to exactly one of them.
"""

from __future__ import annotations

import dataclasses

from harness.esi.tenant import SERVED_HISTORY, Fuel, Tenant

ZCL_EPOCH_UNIX = 946684800


def make_tenant(index: int) -> Tenant:
    base = 10_000 * (index + 1)
    return Tenant(
        name=f"occupier {index}",
        consumption={
            Fuel.ELECTRICITY: {a: base + 7 * (i + 1) for i, a in enumerate(SERVED_HISTORY)},
            Fuel.GAS: {a: base + 5_000 + 3 * (i + 1) for i, a in enumerate(SERVED_HISTORY)},
        },
    )


@dataclasses.dataclass
class Tenancy:
    """The occupier in residence and the Issuer Event IDs already used."""

    index: int = 0
    last_issuer_event_id: int = 0

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

    def next_issuer_event_id(self, now_unix: float) -> int:
        """GB uses a UTC timestamp; strictly increasing within a run."""
        candidate = int(now_unix) - ZCL_EPOCH_UNIX
        self.last_issuer_event_id = max(candidate, self.last_issuer_event_id + 1)
        return self.last_issuer_event_id
