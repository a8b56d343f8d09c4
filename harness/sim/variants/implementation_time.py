"""Fault variants for the IMPL cases, and their rows of the matrix.

Each class breaks one rule (its docstring says which) by overriding one hook of a
reference device; ROWS says which case must catch it (harness.sim.matrix gathers them).
"""

from __future__ import annotations

from zigpy.zcl import foundation

from harness.sim.air import AirFrame
from harness.sim.devices.ihd import ReferenceIHD
from harness.sim.variants.spec import IHD, SCHEDULED, VariantSpec, _v
from harness.zcl.codec import ZclFrame


class SchedulesAlthoughOnReceipt(ReferenceIHD):
    """Declared on_receipt, but schedules a future-dated CoT (generic SE behaviour)."""

    def consider_cot(self, issuer_event_id: int, implementation_time: int, meter) -> None:  # noqa: ANN001
        scope = self.scope_of(meter)
        if (
            self.is_new_event(issuer_event_id, scope)
            and implementation_time > self.zcl_now()
            and implementation_time != 0xFFFFFFFF
        ):
            self.schedule_cot(issuer_event_id, implementation_time, scope)
            return
        super().consider_cot(issuer_event_id, implementation_time, meter)


class IgnoresPastImplementationTime(ReferenceIHD):
    """Treats a CoT dated more than an hour in the past as stale and ignores it."""

    def consider_cot(self, issuer_event_id: int, implementation_time: int, meter) -> None:  # noqa: ANN001
        if 0 < implementation_time < self.zcl_now() - 3600:
            return
        super().consider_cot(issuer_event_id, implementation_time, meter)


class ZeroMeansNever(ReferenceIHD):
    """Ignores a CoT whose implementation time is 0 (which means now)."""

    def consider_cot(self, issuer_event_id: int, implementation_time: int, meter) -> None:  # noqa: ANN001
        if implementation_time == 0:
            return
        super().consider_cot(issuer_event_id, implementation_time, meter)


class ZeroMeansNeverWhenQueried(ReferenceIHD):
    """Actions a pushed CoT with implementation time 0, but ignores one that answers its own
    Get Change of Tenancy (it acknowledges it and clears nothing)."""

    def _on_get_cot_answer(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if zcl.command_name == "publish_change_of_tenancy" and int(zcl.fields["implementation_date_time"]) == 0:
            if not zcl.disable_default_response:
                self.default_response(frame, zcl, foundation.Status.SUCCESS)
            return
        super()._on_get_cot_answer(frame, zcl)


class IgnoresCancel(ReferenceIHD):
    """Scheduled policy, but an implementation time of 0xFFFFFFFF does not cancel."""

    def cancel_scheduled(self, issuer_event_id: int) -> None:
        return


class IgnoresCotDatedOverAWeekAgo(ReferenceIHD):
    """Treats a CoT dated more than a week in the past as a stale record and ignores it (a
    "sanity window" on the date): the date may be in the past, and it is executed on receipt."""

    def consider_cot(self, issuer_event_id: int, implementation_time: int, meter) -> None:  # noqa: ANN001
        if implementation_time not in (0, 0xFFFFFFFF) and implementation_time < self.zcl_now() - 7 * 86400:
            return
        super().consider_cot(issuer_event_id, implementation_time, meter)


ROWS: tuple[VariantSpec, ...] = (
    _v(
        IgnoresPastImplementationTime,
        IHD,
        "IMPL-01",
        may_fail=("POLL-07",),
        why="the soak's CoT is learnt at the unit's next periodic query, hours after its implementation time",
    ),
    _v(SchedulesAlthoughOnReceipt, IHD, "IMPL-02"),
    _v(ZeroMeansNever, IHD, "IMPL-03"),
    _v(ZeroMeansNeverWhenQueried, IHD, "IMPL-03"),
    _v(IgnoresCancel, SCHEDULED, "IMPL-04"),
    # A day in the past is within its week: only IMPL-01's older dates catch it.
    _v(IgnoresCotDatedOverAWeekAgo, IHD, "IMPL-01"),
)
