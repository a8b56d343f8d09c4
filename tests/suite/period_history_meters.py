"""Meters for ESI-04's week/month history guards (tests/suite/test_meters.py): one serving no
previous week's consumption (the precondition is not met: broken, never passed), and ones
not serving the week/month cost before the CoT (optional: still judged after it)."""

from __future__ import annotations

from harness.sim.devices.meter import PREPAYMENT, PREVIOUS_PERIOD_COST, ReferenceEsme, ReferenceGpf
from harness.sim.variants.meter import unrestricted


class NoWeekHistoryMeter(ReferenceEsme):
    """Its previous week's consumption reads 0 before any CoT."""

    def period_history(self, period, start, end):  # noqa: ANN001, ANN201
        return 0 if period == "week" else super().period_history(period, start, end)


class NoPeriodCostMeter(ReferenceGpf):
    """Answers UNSUPPORTED_ATTRIBUTE for the week's and month's cost (it keeps the day's only)."""

    def attribute_table(self, cluster):  # noqa: ANN001, ANN201
        table = super().attribute_table(cluster)
        if cluster == PREPAYMENT and self.serves_period_cost():
            return table
        return {a: v for a, v in table.items() if a not in PREVIOUS_PERIOD_COST.values()}

    def serves_period_cost(self) -> bool:
        return False


class CostAppearsAfterCotMeter(NoPeriodCostMeter):
    """Serves no week/month cost before the CoT, then the previous occupier's after it."""

    def serves_period_cost(self) -> bool:
        return self.boundary is not None

    def period_cost(self, period, start, end):  # noqa: ANN001, ANN201
        with unrestricted(self):
            return super().period_cost(period, start, end)
