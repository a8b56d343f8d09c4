"""Fault variants for the POLL cases, and their rows of the matrix.

Each class breaks one rule (its docstring says which) by overriding one hook of a
reference device; ROWS says which case must catch it (harness.sim.matrix gathers them).
"""

from __future__ import annotations

from harness.domain import Fuel
from harness.sim.air import AirFrame
from harness.sim.devices.ihd import DualFuelIHD, ReferenceIHD
from harness.sim.variants.spec import DUAL, IHD, VariantSpec, _v
from harness.zcl import ids
from harness.zcl.codec import ZclFrame

DEVICE_MANAGEMENT = ids.DEVICE_MANAGEMENT


class NoQueryAfterJoin(ReferenceIHD):
    """Does not ask for the CoT when it joins or powers up (only periodically)."""

    _skip_query = False

    def on_joined(self, reason: str) -> None:
        self._skip_query = reason in ("join", "power_on")
        super().on_joined(reason)

    def on_meter_found(self, meter) -> None:  # noqa: ANN001
        if self._skip_query:
            self.fetch_all(meter)
        else:
            super().on_meter_found(meter)


class QueriesByReadAttributes(ReferenceIHD):
    """Declared get_change_of_tenancy, but asks by reading attributes 0x0200/0x0201."""

    def query_cot(self, meter) -> None:  # noqa: ANN001
        self.request(
            meter, DEVICE_MANAGEMENT, "read_attributes", self._on_cot_attributes, attribute_ids=[0x0200, 0x0201]
        )


class NoQueryAfterRejoin(ReferenceIHD):
    """Does not ask for the CoT after a rejoin (only periodically)."""

    def on_joined(self, reason: str) -> None:
        if reason == "rejoin":
            self.discover_meters()
            self.schedule_poll()
            return
        super().on_joined(reason)


class StopsPeriodicQueries(ReferenceIHD):
    """Queries once on the poll timer, then never re-arms it."""

    def schedule_poll(self) -> None:
        if not getattr(self, "_polled_once", False):
            super().schedule_poll()

    def poll(self) -> None:
        self._polled_once = True
        super().poll()


class QueriesEveryMinute(ReferenceIHD):
    """Polls for the CoT every 60 s: well past any HAN traffic budget."""

    poll_interval = 60.0


class LearnsCotOnlyByPush(ReferenceIHD):
    """Queries the meters but ignores a Publish CoT that answers its own query."""

    def _on_get_cot_answer(self, frame: AirFrame, zcl: ZclFrame) -> None:
        return


class QueriesEsmeOnly(DualFuelIHD):
    """On a dual-fuel home, asks only the ESME for the CoT."""

    def query_cot(self, meter) -> None:  # noqa: ANN001
        if meter.fuel is Fuel.ELECTRICITY:
            super().query_cot(meter)


ROWS: tuple[VariantSpec, ...] = (
    _v(NoQueryAfterJoin, IHD, "POLL-01", "POLL-05"),
    _v(NoQueryAfterRejoin, IHD, "POLL-02"),
    # POLL-01 and POLL-02 both check the declared query_method.
    _v(QueriesByReadAttributes, IHD, "POLL-01", "POLL-02"),
    _v(
        StopsPeriodicQueries,
        IHD,
        "POLL-03",
        broken=("NEG-01",),
        why="NEG-01 needs a query inside its window to exercise NOT_FOUND; a unit that stops polling gives none",
    ),
    _v(QueriesEveryMinute, IHD, "POLL-04"),
    _v(LearnsCotOnlyByPush, IHD, "POLL-05"),
    # POLL-01..03 ask each declared meter too: not asking the GPF breaks all four.
    _v(QueriesEsmeOnly, DUAL, "POLL-06", "POLL-01", "POLL-02", "POLL-03"),
)
