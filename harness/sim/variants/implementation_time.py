"""Fault variants for the IMPL cases, and their rows of the matrix.

Each class breaks one rule (its docstring says which) by overriding one hook of a
reference device; ROWS says which case must catch it (harness.sim.matrix gathers them).
"""

from __future__ import annotations

from zigpy.zcl import foundation

from harness.sim.air import AirFrame
from harness.sim.devices.ihd import ReferenceIHD
from harness.sim.variants.spec import IHD, SCHEDULED, VariantSpec, _v
from harness.zcl.attributes import read_values
from harness.zcl.codec import ZclFrame
from harness.zcl.time import CANCEL, IMPLEMENT_NOW

READ_ATTRIBUTES = "sim-ihd-read-attributes.yaml"


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


class CancelWithoutPendingActions(ReferenceIHD):
    """Scheduled policy: 0xFFFFFFFF cancels the pending CoT of its Issuer Event ID, but with
    none pending the branch falls through to "implement now": a cancel sent again (or for a
    CoT already cancelled) clears everything."""

    def consider_cot(self, issuer_event_id: int, implementation_time: int, meter) -> None:  # noqa: ANN001
        pending = any(p.issuer_event_id == issuer_event_id for p in self.scheduled)
        if implementation_time == CANCEL and not pending:
            implementation_time = IMPLEMENT_NOW
        super().consider_cot(issuer_event_id, implementation_time, meter)


class ActionsOnReceiptAndAgainAtTime(ReferenceIHD):
    """Declared on_receipt and actions a future-dated CoT on receipt, but the generic SE
    scheduler left in the firmware also fires at the implementation time and clears again,
    wiping the new occupier's data (an event actioned is actioned again)."""

    def consider_cot(self, issuer_event_id: int, implementation_time: int, meter) -> None:  # noqa: ANN001
        new = self.is_new_event(issuer_event_id, self.scope_of(meter))
        super().consider_cot(issuer_event_id, implementation_time, meter)
        if new and implementation_time not in (IMPLEMENT_NOW, CANCEL) and implementation_time > self.zcl_now():
            self.world.clock.call_later(float(implementation_time - self.zcl_now()), self._generic_se_timer)

    def _generic_se_timer(self) -> None:
        if not self.powered:
            return
        for data_class in self.stores:
            self.clear(data_class, None)
        self.fetch_new_occupier(None)


class PendingCotLostOnPowerCycle(ReferenceIHD):
    """Scheduled policy: it writes a future-dated CoT's Issuer Event ID to flash as handled on
    receipt and keeps the timer in RAM. A power cycle before the time loses the timer, and the
    meters' answer to its start-up query is the same event, now already seen: never actioned."""

    def schedule_cot(self, issuer_event_id: int, implementation_time: int, scope: str) -> None:
        super().schedule_cot(issuer_event_id, implementation_time, scope)
        self.last_actioned[scope] = issuer_event_id  # persisted on receipt

    def _scheduled_due(self, issuer_event_id: int, scope: str) -> None:
        self.scheduled = [p for p in self.scheduled if p.issuer_event_id != issuer_event_id]
        if self.last_actioned.get(scope) == issuer_event_id:
            del self.last_actioned[scope]  # let action_cot take it as new
        self.action_cot(issuer_event_id, scope)


class SchedulesFutureCotWhenQueried(ReferenceIHD):
    """Declared on_receipt and actions a pushed future-dated CoT on receipt, but one learnt
    in the answer to its own Get Change of Tenancy goes through the generic SE client code,
    which schedules it for its implementation time."""

    def _on_get_cot_answer(self, frame: AirFrame, zcl: ZclFrame) -> None:
        self._queried = True
        try:
            super()._on_get_cot_answer(frame, zcl)
        finally:
            self._queried = False

    def consider_cot(self, issuer_event_id: int, implementation_time: int, meter) -> None:  # noqa: ANN001
        scope = self.scope_of(meter)
        if (
            getattr(self, "_queried", False)
            and implementation_time not in (IMPLEMENT_NOW, CANCEL)
            and implementation_time > self.zcl_now()
            and self.is_new_event(issuer_event_id, scope)
        ):
            self.schedule_cot(issuer_event_id, implementation_time, scope)
            return
        super().consider_cot(issuer_event_id, implementation_time, meter)


class AttributePathWaitsForFutureTime(ReferenceIHD):
    """query_method read_attributes, on_receipt: it takes a future ChangeOfTenancyUpdateDateTime
    (0x0200) as not happened yet and ignores it until a later read finds it passed (pushes are
    handled right)."""

    def _on_cot_attributes(self, frame: AirFrame, zcl: ZclFrame) -> None:
        update_time = read_values(zcl).get(0x0200)
        if update_time and update_time != CANCEL and int(update_time) > self.zcl_now():  # type: ignore[call-overload]
            return
        super()._on_cot_attributes(frame, zcl)


class IgnoresCotDatedOverAWeekAgo(ReferenceIHD):
    """Treats a CoT dated more than a week in the past as a stale record and ignores it (a
    "sanity window" on the date): the date may be in the past, and it is executed on receipt."""

    def consider_cot(self, issuer_event_id: int, implementation_time: int, meter) -> None:  # noqa: ANN001
        if implementation_time not in (0, 0xFFFFFFFF) and implementation_time < self.zcl_now() - 7 * 86400:
            return
        super().consider_cot(issuer_event_id, implementation_time, meter)


DAY = 86400


class _FarAhead:
    """A date over a day ahead (neither 0 nor 0xFFFFFFFF)."""

    def far_ahead(self, implementation_time: int) -> bool:
        return implementation_time not in (IMPLEMENT_NOW, CANCEL) and implementation_time > self.zcl_now() + DAY  # type: ignore[attr-defined]


class IgnoresCotDatedOverADayAhead(_FarAhead, ReferenceIHD):
    """Declared on_receipt, but takes a CoT dated more than a day ahead for a meter's clock
    error and ignores it (a "sanity window" on the date): the date may be in the future, and
    it is executed on receipt."""

    def consider_cot(self, issuer_event_id: int, implementation_time: int, meter) -> None:  # noqa: ANN001
        if not self.far_ahead(implementation_time):
            super().consider_cot(issuer_event_id, implementation_time, meter)


class SchedulesCotOverADayAhead(_FarAhead, ReferenceIHD):
    """Declared on_receipt and actions a CoT dated up to a day ahead on receipt, but hands one
    dated further ahead to the generic SE scheduler (its GB patch covered "today and
    tomorrow"): the previous occupier's data stays until that date."""

    def consider_cot(self, issuer_event_id: int, implementation_time: int, meter) -> None:  # noqa: ANN001
        scope = self.scope_of(meter)
        if self.far_ahead(implementation_time) and self.is_new_event(issuer_event_id, scope):
            self.schedule_cot(issuer_event_id, implementation_time, scope)
            return
        super().consider_cot(issuer_event_id, implementation_time, meter)


class ActionsScheduledCotOnReceipt(ReferenceIHD):
    """Declared scheduled, but a future-dated CoT is actioned the moment it arrives: the
    previous occupier's data goes before the implementation time the meters published."""

    def schedule_cot(self, issuer_event_id: int, implementation_time: int, scope: str) -> None:
        self.action_cot(issuer_event_id, scope)


class ActionsScheduledCotEarly(ReferenceIHD):
    """Declared scheduled, but its timer is set two minutes early (an offset slip between the
    ZCL UTC time and the display's clock): the data goes before the implementation time."""

    def schedule_cot(self, issuer_event_id: int, implementation_time: int, scope: str) -> None:
        super().schedule_cot(issuer_event_id, implementation_time - 120, scope)


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
    # The new occupier's data watched past the implementation time (IMPL-02 on_receipt).
    _v(ActionsOnReceiptAndAgainAtTime, IHD, "IMPL-02"),
    # A power cycle while the CoT is pending (IMPL-02 scheduled).
    _v(PendingCotLostOnPowerCycle, SCHEDULED, "IMPL-02"),
    # A future-dated CoT learnt by query, on both query paths (IMPL-02 on_receipt).
    _v(
        SchedulesFutureCotWhenQueried,
        IHD,
        "IMPL-02",
        may_fail=("IMPL-03", "ROB-01"),
        why="the CoT it scheduled in IMPL-02 (dated the query's deadline plus eventually ahead) fires after "
        "IMPL-02 has failed, clearing in whichever case runs then",
    ),
    _v(AttributePathWaitsForFutureTime, READ_ATTRIBUTES, "IMPL-02"),
    # A day in the past is within its week: only IMPL-01's older dates catch it.
    _v(IgnoresCotDatedOverAWeekAgo, IHD, "IMPL-01"),
    # A scheduling unit that actions before the time (IMPL-02 scheduled, and IMPL-04's CoT
    # is gone before its cancel comes): the short lead (steps.scheduled_lead) still sees it.
    _v(ActionsScheduledCotOnReceipt, SCHEDULED, "IMPL-02", "IMPL-04"),
    _v(ActionsScheduledCotEarly, SCHEDULED, "IMPL-02"),
    # A near date is actioned on receipt: only IMPL-02's far-future pushes catch these.
    _v(IgnoresCotDatedOverADayAhead, IHD, "IMPL-02"),
    _v(SchedulesCotOverADayAhead, IHD, "IMPL-02"),
    # A cancel that finds nothing pending: IMPL-04 sends its cancel twice.
    _v(CancelWithoutPendingActions, SCHEDULED, "IMPL-04"),
)
