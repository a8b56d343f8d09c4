"""A meter that holds none of a previous occupier's data (a freshly commissioned one): the
ESI cases' precondition (the meter served pre-CoT data) is not met, so they must be broken,
never passed (tests/suite/test_meters.py)."""

from __future__ import annotations

from harness.sim.devices.meter import ReferenceEsme


class EmptyMeter(ReferenceEsme):
    """No top-up, no debt, no message (it still holds half-hours: the precondition names each missing part)."""

    def __init__(self, world) -> None:  # noqa: ANN001
        super().__init__(world)
        self.top_ups, self.debts, self.last_message = [], [], None
