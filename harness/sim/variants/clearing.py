"""Fault variants for the CLR cases, and their rows of the matrix.

Each class breaks one rule (its docstring says which) by overriding one hook of a
reference device; ROWS says which case must catch it (harness.sim.matrix gathers them).
"""

from __future__ import annotations

from harness.domain import DataClass
from harness.sim.devices.ihd import ReferenceIHD
from harness.sim.devices.ppmid import ReferencePPMID
from harness.sim.variants.spec import IHD, PPMID, VariantSpec, _v


class _Keeps:
    kept: DataClass

    def clear(self, data_class: DataClass, fuel: str | None) -> None:
        if data_class is not self.kept:
            super().clear(data_class, fuel)  # type: ignore[misc]


class KeepsConsumptionHistory(_Keeps, ReferenceIHD):
    """Acknowledges the CoT but never clears the consumption history."""

    kept = DataClass.CONSUMPTION_HISTORY


class KeepsTopUpHistory(_Keeps, ReferencePPMID):
    """Clears everything but the top-up log."""

    kept = DataClass.TOP_UP_HISTORY


class KeepsDebtRecovery(_Keeps, ReferencePPMID):
    """Clears everything but the debt recovery log."""

    kept = DataClass.DEBT_RECOVERY


class KeepsSupplierMessages(_Keeps, ReferenceIHD):
    """Clears everything but the supplier messages."""

    kept = DataClass.SUPPLIER_MESSAGES


class ClearsTooSlowly(ReferenceIHD):
    """Shows the new occupier at once but removes the previous one's data only after
    twice timings.clear_within (a slow flash erase)."""

    def clear(self, data_class: DataClass, fuel: str | None) -> None:
        old = self.display.items(data_class) or frozenset()
        late = 2 * self.world.profile.timings.clear_within.total_seconds()
        self.world.clock.call_later(late, lambda: self.display.remove(data_class, lambda item: item in old))


class ShowsNothingAfterCot(ReferenceIHD):
    """Clears, then leaves the display blank for a while: the new occupier's data is
    fetched only 3 x clear_within later (its next refresh), not when the CoT is actioned."""

    def fetch_new_occupier(self, fuel: str | None) -> None:
        later = 3 * self.world.profile.timings.clear_within.total_seconds()
        self.world.clock.call_later(later, lambda: super(ShowsNothingAfterCot, self).fetch_new_occupier(fuel))


class ReappearsAfterPowerCycle(ReferenceIHD):
    """Clears the display but not its flash copy: after a power cycle the previous
    occupier's data is restored."""

    def __init__(self, world) -> None:  # noqa: ANN001
        super().__init__(world)
        self.flash: dict[DataClass, frozenset] = {}

    def clear(self, data_class: DataClass, fuel: str | None) -> None:
        self.flash[data_class] = self.display.items(data_class) or frozenset()
        super().clear(data_class, fuel)

    def on_joined(self, reason: str) -> None:
        if reason == "power_on":
            for data_class, items in self.flash.items():
                self.display.add(data_class, items)
        super().on_joined(reason)


ROWS: tuple[VariantSpec, ...] = (
    _v(KeepsConsumptionHistory, IHD, "CLR-01"),
    _v(KeepsTopUpHistory, PPMID, "CLR-02"),
    _v(KeepsDebtRecovery, PPMID, "CLR-03"),
    _v(KeepsSupplierMessages, IHD, "CLR-04"),
    _v(ClearsTooSlowly, IHD, "CLR-05"),
    _v(ShowsNothingAfterCot, IHD, "CLR-06"),
    _v(ReappearsAfterPowerCycle, IHD, "CLR-07"),
)
