"""Fault variants of the meters under test (ESI cases), and their rows of the matrix.

Each class breaks one rule of SECMP0056 / GBCS for an ESME or GPF by overriding one hook of
the reference meter (harness.sim.devices.meter); ROWS says which case must catch it.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator

import zigpy.types as zt

from harness.sim.devices.meter import (
    COT_CONTROL,
    CURRENT_DAY,
    DAY,
    DM,
    MAX_PERIODS,
    METERING,
    NO_COT_CONTROL,
    NO_COT_TIME,
    PENCE_PER_KWH,
    PREPAYMENT,
    PREVIOUS_DAY,
    PREVIOUS_PERIOD,
    LastMessage,
    MeterCot,
    ReferenceEsme,
    ReferenceGpf,
    ReferenceMeter,
    T,
)
from harness.sim.variants.spec import ESME, GPF, VariantSpec, _v
from harness.zcl import codec, ids
from harness.zcl.device_management import TenancyChangeControl
from harness.zcl.history_periods import Period, current_start
from harness.zcl.logs import split_log
from harness.zcl.metering import HALF_HOUR, IntervalChannel, ProfileIntervalPeriod, ProfileStatus
from harness.zcl.prepayment import DebtType
from harness.zcl.time import INVALID


@contextlib.contextmanager
def unrestricted(meter: ReferenceMeter) -> Iterator[None]:
    """The meter computes as if it had taken no CoT (its boundary lifted for the while)."""
    boundary, meter.boundary = meter.boundary, None
    try:
        yield
    finally:
        meter.boundary = boundary


class AnswersNotFoundAfterCot(ReferenceEsme):
    """Takes the CoT (clears, pushes) but Get Change of Tenancy still answers NOT_FOUND."""

    def on_get_cot(self, zcl):  # noqa: ANN001, ANN201
        return self.not_found(zcl)


class PublishesCotBeforeAnyTrigger(ReferenceEsme):
    """Holds a CoT from manufacture (a test event never removed): Get CoT answers it before any CoT."""

    def __init__(self, world) -> None:  # noqa: ANN001
        super().__init__(world)
        self.cot = MeterCot(5, self.zcl_now() - 400 * DAY)


class ForgetsEarlierCot(ReferenceGpf):
    """Lost the CoT it held (behaviour.prior_issuer_event_id declares it) in a firmware update:
    Get Change of Tenancy answers NOT_FOUND before the trigger."""

    def __init__(self, world) -> None:  # noqa: ANN001
        super().__init__(world)
        self.cot = None


class ReusesIssuerEventId(ReferenceGpf):
    """Publishes the new CoT under the Issuer Event ID of the one it already held (stale)."""

    def next_event_id(self) -> int:
        return self.cot.issuer_event_id if self.cot is not None else self.zcl_now()


class NewEventIdEachGet(ReferenceEsme):
    """Answers every Get Change of Tenancy after the CoT with a fresh Issuer Event ID."""

    def on_get_cot(self, zcl):  # noqa: ANN001, ANN201
        if self.cot is not None and self.boundary is not None:
            self.cot = MeterCot(self.cot.issuer_event_id + 1, self.cot.implementation_time)
        return super().on_get_cot(zcl)


class DatesCotTenDaysEarly(ReferenceGpf):
    """Executes the CoT dated ten days before it arrived, and withholds only what is older: the
    previous occupier's recent top-ups, debts and half-hours stay served. It pushes the CoT it
    holds (that early date), as it answers Get Change of Tenancy: one fault, not two."""

    def change_of_tenancy(self) -> None:
        now = self.zcl_now()
        early = now - 10 * DAY
        self.cot = MeterCot(self.next_event_id(), early)
        self.boundary = early
        self.clear_last_message(now)
        self.push_cot()


class AttributesKeepNoCot(ReferenceEsme):
    """Publishes the CoT but 0x0200/0x0201 still read "no CoT" (invalid time, no control)."""

    def cot_attributes(self) -> tuple[int, int]:
        return 0xFFFFFFFF, 0


class AttributesOffByADay(ReferenceGpf):
    """0x0200 reads the CoT's date a day early (its own date arithmetic), 0x0201 right."""

    def cot_attributes(self) -> tuple[int, int]:
        update_time, control = super().cot_attributes()
        return (update_time - DAY if self.boundary is not None else update_time), control


class _KeepsKind(ReferenceEsme):
    kept = ""

    def served(self, dated: int, kind: str) -> bool:
        return kind == self.kept or super().served(dated, kind)


class KeepsTopUpLog(_KeepsKind):
    """Still serves the previous occupier's top-ups after the CoT."""

    kept = "top_up"


class KeepsDebtLog(_KeepsKind):
    """Still serves the previous occupier's debt collections after the CoT."""

    kept = "debt"


class ServesProfileBeforeCot(_KeepsKind):
    """Still serves the previous occupier's half-hourly consumption (Get Profile) after the CoT."""

    kept = "interval"


class ServesPreviousDayHistory(ReferenceGpf):
    """Withholds the logs and the profile, but the previous day's consumption still reads the
    previous occupier's total."""

    def day_history(self, start: int, end: int) -> int:
        with unrestricted(self):
            return super().day_history(start, end)


class ServesPreviousDayCost(ReferenceEsme):
    """Restricts the consumption history, but the previous day's cost (Prepayment 0x051E) still
    reads the previous occupier's."""

    def day_cost(self, start: int, end: int) -> int:
        with unrestricted(self):
            return super().day_cost(start, end)


class KeepsLastMessage(ReferenceEsme):
    """Never clears the last active supplier message: Get Last Message answers it after the CoT."""

    def clear_last_message(self, cot_time: int) -> None:
        message = self.last_message
        super().clear_last_message(cot_time)
        self.last_message = message

    def served(self, dated: int, kind: str) -> bool:
        return kind == "message" or super().served(dated, kind)


class RedatesLastMessage(ReferenceGpf):
    """Re-issues the previous occupier's last message dated the CoT (same message ID)."""

    def clear_last_message(self, cot_time: int) -> None:
        message = self.last_message
        super().clear_last_message(cot_time)
        if message is not None:
            self.last_message = LastMessage(message.message_id, cot_time, message.text)


class NoPushOnReceipt(ReferenceEsme):
    """Takes the CoT but pushes nothing: a bound IHD learns of it only when it next asks."""

    def push_targets(self) -> list[tuple[zt.EUI64, int]]:
        return []


class PushesToFirstBoundOnly(ReferenceGpf):
    """Pushes Publish CoT to the first client bound to its Device Management server only."""

    def push_targets(self) -> list[tuple[zt.EUI64, int]]:
        return super().push_targets()[:1]


class DescriptorWithoutDmServer(ReferenceEsme):
    """Answers as a DM server but its simple descriptor does not list Device Management."""

    def input_clusters(self) -> list[int]:
        return [c for c in super().input_clusters() if c != ids.DEVICE_MANAGEMENT]


ROWS: tuple[VariantSpec, ...] = (
    _v(
        DescriptorWithoutDmServer,
        ESME,
        "PROF-01",
        may_fail=("ESI-05", "ESI-07"),
        why="it refuses a binding to a cluster it does not declare, so the IHD endpoints get no push",
    ),
    _v(PublishesCotBeforeAnyTrigger, ESME, "ESI-01"),
    _v(ForgetsEarlierCot, GPF, "ESI-01"),
    _v(
        AnswersNotFoundAfterCot,
        ESME,
        "ESI-02",
        may_fail=("ESI-03", "ESI-05", "ESI-07"),
        why="ESI-03, ESI-05 and ESI-07 compare the attributes and the pushes with the CoT it publishes",
    ),
    _v(ReusesIssuerEventId, GPF, "ESI-02", "ESI-05"),
    _v(
        NewEventIdEachGet,
        ESME,
        "ESI-02",
        may_fail=("ESI-04", "ESI-05", "ESI-07"),
        why="each later Get Change of Tenancy answers another event than the one it pushed, or than ESI-04 "
        "was answered before its hold",
    ),
    _v(AttributesKeepNoCot, ESME, "ESI-03"),
    _v(AttributesOffByADay, GPF, "ESI-03"),
    _v(DatesCotTenDaysEarly, GPF, "ESI-04"),
    _v(KeepsTopUpLog, ESME, "ESI-04"),
    _v(KeepsDebtLog, ESME, "ESI-04"),
    _v(ServesProfileBeforeCot, ESME, "ESI-04"),
    _v(ServesPreviousDayHistory, GPF, "ESI-04"),
    _v(ServesPreviousDayCost, ESME, "ESI-04"),
    _v(KeepsLastMessage, ESME, "ESI-04", "ESI-06"),
    _v(RedatesLastMessage, GPF, "ESI-04", "ESI-06"),
    _v(NoPushOnReceipt, ESME, "ESI-05", "ESI-07"),
    _v(PushesToFirstBoundOnly, GPF, "ESI-07"),
)


class ServesPreviousWeekHistory(ReferenceGpf):
    """Restricts the day's and month's history, but the previous week's consumption (Metering
    0x0432) still reads the previous occupier's total."""

    def period_history(self, period: Period, start: int, end: int) -> int:
        if period != "week":
            return super().period_history(period, start, end)
        with unrestricted(self):
            return super().period_history(period, start, end)


class ServesPreviousMonthCost(ReferenceEsme):
    """Restricts the consumption history, but the previous month's cost (Prepayment 0x0542)
    still reads the previous occupier's."""

    def period_cost(self, period: Period, start: int, end: int) -> int:
        if period != "month":
            return super().period_cost(period, start, end)
        with unrestricted(self):
            return super().period_cost(period, start, end)


ROWS += (
    _v(ServesPreviousWeekHistory, GPF, "ESI-04"),
    _v(ServesPreviousMonthCost, ESME, "ESI-04"),
)


@contextlib.contextmanager
def holding(meter: ReferenceMeter, cot: MeterCot | None) -> Iterator[None]:
    """The meter builds its frames from `cot` for the while (its own CoT put back after)."""
    own, meter.cot = meter.cot, cot
    try:
        yield
    finally:
        meter.cot = own


class _PushesOtherCot(ReferenceMeter):
    """Holds and answers the new CoT (Get Change of Tenancy, 0x0200/0x0201), but what it pushes
    is `pushed(n)`: the CoT of its n-th push after the trigger."""

    held_before: MeterCot | None = None  # the CoT it held when the trigger came

    def change_of_tenancy(self) -> None:
        self.held_before = self.cot
        super().change_of_tenancy()

    def push_cot(self) -> None:
        for n, (ieee, endpoint) in enumerate(self.pushes()):
            with holding(self, self.pushed(n)):
                self.send_to(ieee, endpoint, DM, self.publish_cot_frame(self.next_tsn()))

    def pushes(self) -> list[tuple[zt.EUI64, int]]:
        return self.push_targets()

    def pushed(self, n: int) -> MeterCot | None:
        return self.cot

    def previous_cot(self) -> MeterCot:
        assert self.held_before is not None, "a variant pushing the previous CoT runs on a meter that held one (GPF)"
        return self.held_before


class PushesStaleCotToSecondEndpoint(_PushesOtherCot, ReferenceGpf):
    """Pushes the new CoT to the first client bound to Device Management, and to the second the
    CoT it held before (event, date and control): a push queue per binding never refreshed."""

    def pushed(self, n: int) -> MeterCot | None:
        return self.cot if n == 0 else self.previous_cot()


class PushesOldImplementationTime(_PushesOtherCot, ReferenceGpf):
    """Pushes the new Issuer Event ID with the previous CoT's Implementation Date/Time (answering
    Get Change of Tenancy with the new date): an IHD told the CoT took effect months ago."""

    def pushed(self, n: int) -> MeterCot | None:
        assert self.cot is not None
        return dataclasses.replace(self.cot, implementation_time=self.previous_cot().implementation_time)


class PushesWrongControl(_PushesOtherCot, ReferenceEsme):
    """Pushes the new event and date with a Proposed Tenancy Change Control clearing nothing
    (the contactor bits only), while Get Change of Tenancy and 0x0201 answer the GB control."""

    def pushed(self, n: int) -> MeterCot | None:
        assert self.cot is not None
        contactor = TenancyChangeControl.Meter_Contactor_State_Bit0 | TenancyChangeControl.Meter_Contactor_State_Bit1
        return dataclasses.replace(self.cot, control=self.cot.control & int(contactor))


class RepeatsPreviousCot(_PushesOtherCot, ReferenceGpf):
    """Pushes the new CoT to each bound client, but repeats the CoT it held before to the first
    one between them (a retry queue holding the old frame): every endpoint gets the new CoT, one
    push is stale. Sent before the second endpoint's push, so a case waiting for every endpoint
    has it in the trace."""

    def pushes(self) -> list[tuple[zt.EUI64, int]]:
        targets = self.push_targets()
        return targets[:1] + targets[:1] + targets[1:]

    def pushed(self, n: int) -> MeterCot | None:
        return self.previous_cot() if n == 1 else self.cot


ROWS += (
    _v(PushesStaleCotToSecondEndpoint, GPF, "ESI-05", "ESI-07"),
    _v(PushesOldImplementationTime, GPF, "ESI-05", "ESI-07"),
    _v(PushesWrongControl, ESME, "ESI-05", "ESI-07"),
    _v(RepeatsPreviousCot, GPF, "ESI-05"),
)


class _AnswersProfileByWindow(ReferenceEsme):
    """Answers Get Profile by a fixed window: the half-hours ending in the requested number of
    periods back from End Time (0: now), not the most recent block ending by it (SE 1.4 lets a
    meter answer either way). Its profile store is its own: `profile_served` says which of the
    previous occupier's half-hours it still serves there; the day/week/month history is the
    reference's, restricted."""

    def profile_served(self, start: int) -> bool:
        return self.served(start, "interval")

    def on_get_profile(self, zcl):  # noqa: ANN001, ANN201
        end_time = int(zcl.fields["end_time"])
        if int(zcl.fields["interval_channel"]) != IntervalChannel.Consumption_Delivered or end_time == INVALID:
            return super().on_get_profile(zcl)
        last = end_time or self.zcl_now() // HALF_HOUR * HALF_HOUR
        wanted = min(int(zcl.fields["number_of_periods"]), MAX_PERIODS)
        with unrestricted(self):
            every = self.intervals()
        block = [
            (end, value)
            for end, value in every
            if last - wanted * HALF_HOUR < end <= last and self.profile_served(end - HALF_HOUR)
        ]
        status = ProfileStatus.Success if block else ProfileStatus.No_Intervals_Available_For_The_Requested_Time
        fields = {"end_time": block[0][0] if block else last, "status": status}
        fields |= {"profile_interval_period": ProfileIntervalPeriod.Thirty_Minutes}
        fields |= {"number_of_periods_delivered": len(block), "intervals": [value for _end, value in block]}
        return [codec.build(METERING, "get_profile_response", tsn=zcl.tsn, **fields)]


class ClearsOnlyTodaysProfile(_AnswersProfileByWindow):
    """Withholds the half-hours of the CoT's day before it (since UTC midnight) but still serves
    yesterday's and older by Get Profile: its window back from the CoT's date or from now shows
    only today's, so only End Times a day and more before the CoT see them."""

    def profile_served(self, start: int) -> bool:
        return self.boundary is None or start >= self.boundary or start < self.boundary // DAY * DAY


class KeepsProfileOlderThanAWeek(_AnswersProfileByWindow):
    """Withholds the previous occupier's last week of half-hours, but serves older ones by Get
    Profile (a purge of the recent store only)."""

    def profile_served(self, start: int) -> bool:
        return self.boundary is None or start >= self.boundary or start < self.boundary - 7 * DAY


ROWS += (
    _v(ClearsOnlyTodaysProfile, ESME, "ESI-04"),
    _v(KeepsProfileOlderThanAWeek, ESME, "ESI-04"),
)


# -- where the pushes come from, and what the Messaging server sends after the CoT ----------------
class PushesCotFromAnotherEndpoint(ReferenceEsme):
    """Pushes Publish CoT through its comms stack's notification endpoint (2), not the endpoint
    hosting its Device Management server (identity.endpoint) that the IHD bound to: an IHD
    honouring the spoofing rule (a CoT from an endpoint that is no discovered ESI is ignored)
    drops every one, so no bound IHD learns of the CoT."""

    def push_cot(self) -> None:
        from harness.sim.air import COORDINATOR_NWK
        from harness.sim.node import SE_PROFILE

        for _ieee, endpoint in self.push_targets():
            self._transmit(COORDINATOR_NWK, 2, endpoint, SE_PROFILE, DM, self.publish_cot_frame(self.next_tsn()))


def _push_display(meter: ReferenceMeter, message: LastMessage) -> None:
    for ieee, endpoint in meter.bound(ids.MESSAGING):
        frame = codec.build(
            ids.MESSAGING,
            "display_message",
            tsn=meter.next_tsn(),
            message_id=message.message_id,
            message_control=0,
            start_time=message.start_time,
            duration_in_minutes=0xFFFF,
            message=message.text,
        )
        meter.send_to(ieee, endpoint, ids.MESSAGING, frame)


class RedisplaysOldMessageAfterCancel(ReferenceEsme):
    """Sends Cancel All Messages on the CoT, then its message scheduler, whose copy of the active
    message was not cleared, pushes the previous occupier's message again as Display Message to
    every bound Messaging client: Get Last Message answers NOT_FOUND, but every bound IHD shows
    the old message again."""

    def clear_last_message(self, cot_time: int) -> None:
        old = self.last_message
        super().clear_last_message(cot_time)
        if old is not None:
            _push_display(self, old)


class RepublishesOldMessageUnderNewId(ReferenceGpf):
    """Cancels the previous occupier's message on the CoT, then re-issues its text under a fresh
    message ID with its original start time (a migration of the message store that renumbers):
    no old ID reaches the IHDs, but a message dated before the CoT does."""

    def clear_last_message(self, cot_time: int) -> None:
        old = self.last_message
        super().clear_last_message(cot_time)
        if old is not None:
            _push_display(self, dataclasses.replace(old, message_id=old.message_id + 0x100))


ROWS += (
    _v(PushesCotFromAnotherEndpoint, ESME, "ESI-05", "ESI-07"),
    _v(RedisplaysOldMessageAfterCancel, ESME, "ESI-06"),
    _v(RepublishesOldMessageUnderNewId, GPF, "ESI-06"),
)


# ESI-04 on every form of request an IHD may send (not only the one the precondition asks),
# and from every HAN client endpoint: each of these filters one path and serves another raw.
class ServesTopUpsForACount(ReferenceEsme):
    """Withholds the previous occupier's top-ups when asked for every record (Number of Records
    0), but answers a request for the latest N (an IHD's top-up screen: 1, 5) from its raw log."""

    def on_get_top_up_log(self, zcl):  # noqa: ANN001, ANN201
        if int(zcl.fields["number_of_records"]) == 0:
            return super().on_get_top_up_log(zcl)
        with unrestricted(self):
            return super().on_get_top_up_log(zcl)


class ServesDebtLogForOneType(ReferenceGpf):
    """Withholds the previous occupier's debt collections when asked for every debt type
    (0xFF), but answers a request for one debt type from a per-type index the CoT restriction
    was never wired into."""

    def on_get_debt_log(self, zcl):  # noqa: ANN001, ANN201
        if int(zcl.fields["debt_type"]) == DebtType.All_Debts:
            return super().on_get_debt_log(zcl)
        with unrestricted(self):
            latest, wanted = int(zcl.fields["latest_end_time"]), int(zcl.fields["number_of_debts"]) or 255
            kind = int(zcl.fields["debt_type"])
            held = [d for d in self.debts if d.collection_time <= latest and int(d.debt_type) == kind][:wanted]
        return split_log(ids.PREPAYMENT, "publish_debt_log", held, tsn=zcl.tsn) if held else self.not_found(zcl)


class ServesTopUpsUpToARealTime(ReferenceEsme):
    """Applies the CoT filter only to the wildcard Latest End Time (0xFFFFFFFE, 0xFFFFFFFF): an
    IHD sending its own clock as Latest End Time (as SE 1.4 describes) is answered the raw log."""

    def on_get_top_up_log(self, zcl):  # noqa: ANN001, ANN201
        if int(zcl.fields["latest_end_time"]) >= 0xFFFF_FFFE:
            return super().on_get_top_up_log(zcl)
        with unrestricted(self):
            return super().on_get_top_up_log(zcl)


class ServesDebtLogForACount(ReferenceGpf):
    """Withholds the previous occupier's debt collections when asked for every record (Number
    of Debts 0), but answers a request for the latest N from its raw log."""

    def on_get_debt_log(self, zcl):  # noqa: ANN001, ANN201
        if int(zcl.fields["number_of_debts"]) == 0:
            return super().on_get_debt_log(zcl)
        with unrestricted(self):
            return super().on_get_debt_log(zcl)


class ServesDebtLogUpToARealTime(ReferenceEsme):
    """Applies the CoT filter to the debt log only for the wildcard Latest End Time: a request
    up to the IHD's own clock is answered the raw log."""

    def on_get_debt_log(self, zcl):  # noqa: ANN001, ANN201
        if int(zcl.fields["latest_end_time"]) >= 0xFFFF_FFFE:
            return super().on_get_debt_log(zcl)
        with unrestricted(self):
            return super().on_get_debt_log(zcl)


class ServesProfileEndingAfterCot(ReferenceEsme):
    """Withholds Get Profile's half-hours for End Time 0 (the latest) and End Times at or before
    the CoT, but takes an End Time after the CoT for the new occupier's window and answers it
    unfiltered, though its 18 half-hours reach back up to 9 h before the CoT."""

    def on_get_profile(self, zcl):  # noqa: ANN001, ANN201
        end_time = int(zcl.fields["end_time"])
        if self.boundary is None or end_time == 0 or end_time <= self.boundary:
            return super().on_get_profile(zcl)
        with unrestricted(self):
            return super().on_get_profile(zcl)


class ServesExportProfile(ReferenceEsme):
    """A generation-capable ESME serving the export channel (Consumption Received, interval
    channel 1) of Get Profile from a second half-hour log the CoT routine never restricts; its
    import channel is withheld as the reference's."""

    def on_get_profile(self, zcl):  # noqa: ANN001, ANN201
        if int(zcl.fields["interval_channel"]) != IntervalChannel.Consumption_Received:
            return super().on_get_profile(zcl)
        end_time, wanted = int(zcl.fields["end_time"]), min(int(zcl.fields["number_of_periods"]), MAX_PERIODS)
        with unrestricted(self):
            block = [(end, v // 3) for end, v in self.intervals() if end_time == 0 or end <= end_time][:wanted]
        status = ProfileStatus.Success if block else ProfileStatus.No_Intervals_Available_For_The_Requested_Time
        fields = {"end_time": block[0][0] if block else end_time, "status": status}
        fields |= {"profile_interval_period": ProfileIntervalPeriod.Thirty_Minutes}
        fields |= {"number_of_periods_delivered": len(block), "intervals": [v for _end, v in block]}
        return [codec.build(METERING, "get_profile_response", tsn=zcl.tsn, **fields)]


class ServesCachedLogsToSecondClient(ReferenceEsme):
    """Answers each HAN client's Get Top Up Log and Get Debt Repayment Log from a cache of its
    own, built at its first request; the CoT flushes the cache of the first client bound to
    Device Management only, so every other client (a PPMID, a second IHD) is still answered
    the previous occupier's logs."""

    LOGS = ("get_top_up_log", "get_debt_repayment_log")

    def __init__(self, world) -> None:  # noqa: ANN001
        super().__init__(world)
        self.cache: dict[tuple[int, str], list[bytes]] = {}  # (client endpoint, command) -> frames

    def change_of_tenancy(self) -> None:
        super().change_of_tenancy()
        for _ieee, endpoint in self.bound(DM)[:1]:
            self.cache = {key: frames for key, frames in self.cache.items() if key[0] != endpoint}

    def on_zcl(self, frame, zcl) -> None:  # noqa: ANN001
        if zcl.cluster_id != ids.PREPAYMENT or zcl.command_name not in self.LOGS:
            super().on_zcl(frame, zcl)
            return
        key = (int(frame.src_ep), zcl.command_name)
        if key not in self.cache:  # the first request's answer, whatever it asked for
            handler = self.on_get_top_up_log if zcl.command_name == "get_top_up_log" else self.on_get_debt_log
            self.cache[key] = handler(zcl)
        for payload in self.cache[key]:
            self.reply(frame, payload[:1] + bytes([zcl.tsn]) + payload[2:])  # the cached frame, this TSN


ROWS += (
    _v(ServesTopUpsForACount, ESME, "ESI-04"),
    _v(ServesDebtLogForOneType, GPF, "ESI-04"),
    _v(ServesTopUpsUpToARealTime, ESME, "ESI-04"),
    _v(ServesDebtLogForACount, GPF, "ESI-04"),
    _v(ServesDebtLogUpToARealTime, ESME, "ESI-04"),
    _v(ServesProfileEndingAfterCot, ESME, "ESI-04"),
    _v(ServesExportProfile, ESME, "ESI-04"),
    _v(ServesCachedLogsToSecondClient, ESME, "ESI-04"),
)


# -- the current day's and older history, the attributes before a CoT, sustained withholding ---
CURRENT_DAY_COST = 0x051C  # Prepayment CurrentDayCostConsumptionDelivered
OLDER_DAYS = {n: 0x0420 + (n - 2) * 2 for n in range(2, 9)}  # Metering PreviousDay2..8 ConsumptionDelivered
PREVIOUS_WEEK_2 = 0x0434


def _today_so_far(meter: ReferenceMeter) -> int:
    """Wh since UTC midnight, whoever consumed them, counting the half-hour in progress pro rata:
    what a running register that the CoT does not reset holds."""
    now = meter.zcl_now()
    midnight, in_progress = now // DAY * DAY, now // HALF_HOUR * HALF_HOUR
    with unrestricted(meter):
        complete = meter.consumed(midnight, in_progress)
    partial = meter.interval_value(in_progress + HALF_HOUR) * (now - in_progress) // HALF_HOUR
    return complete + partial


class CurrentDayKeepsPreCotConsumption(ReferenceEsme):
    """CurrentDayConsumptionDelivered (Metering 0x0401) is a running register the CoT does not
    reset: for the rest of the CoT's day the new occupier's IHD shows the previous occupier's
    consumption of that day."""

    def attribute_table(self, cluster: int):  # noqa: ANN201
        table = super().attribute_table(cluster)
        if cluster == METERING:
            table[CURRENT_DAY] = (table[CURRENT_DAY][0], _today_so_far(self))
        return table


class CurrentDayCostNotReset(ReferenceGpf):
    """Serves CurrentDayCostConsumptionDelivered (Prepayment 0x051C) from a running register
    the CoT does not reset: the new occupier's PPMID shows today's cost with the previous
    occupier's spend in it."""

    def attribute_table(self, cluster: int):  # noqa: ANN201
        table = super().attribute_table(cluster)
        if cluster == PREPAYMENT:
            table[CURRENT_DAY_COST] = (T.uint48, _today_so_far(self) * PENCE_PER_KWH // 1000)
        return table


class KeepsOlderDayHistory(ReferenceGpf):
    """Serves Previous Day 2..8 and Previous Week 2 consumption (Metering 0x0420..0x042C,
    0x0434) from accumulators its CoT routine does not zero (only the previous day, week and
    month were on its list): an IHD's seven-day chart shows the previous occupier's week."""

    def attribute_table(self, cluster: int):  # noqa: ANN201
        table = super().attribute_table(cluster)
        if cluster == METERING:
            midnight = self.zcl_now() // DAY * DAY
            with unrestricted(self):
                for n, attribute in OLDER_DAYS.items():
                    start = midnight - n * DAY
                    table[attribute] = (T.uint24, self.consumed(start, start + DAY))
                monday = midnight - (midnight // DAY + 5) % 7 * DAY  # ZCL day 0 (2000-01-01) was a Saturday
                table[PREVIOUS_WEEK_2] = (T.uint24, self.consumed(monday - 14 * DAY, monday - 7 * DAY))
        return table


class CotExpiresAfterAnHour(ReferenceEsme):
    """Keeps the CoT in a pending-event table with an hour's life: after it Get Change of
    Tenancy answers NOT_FOUND again (and 0x0200/0x0201 read no CoT), so an IHD that was off, or
    polls every few hours, never learns of it. It keeps withholding the previous occupier's data."""

    LIFE = 3600

    def change_of_tenancy(self) -> None:
        super().change_of_tenancy()
        cot = self.cot

        def expire() -> None:
            if self.cot is cot:
                self.cot = None

        self.world.clock.call_later(self.LIFE, expire)


class WithholdingLapsesAtMidnight(ReferenceGpf):
    """Restricts by a "until the end of the day" flag: at the next UTC midnight after the CoT
    it serves the previous occupier's top-up and debt logs and half-hours again."""

    def change_of_tenancy(self) -> None:
        super().change_of_tenancy()
        now = self.zcl_now()
        self.world.clock.call_later((now // DAY + 1) * DAY - now, self._lapse)

    def _lapse(self) -> None:
        self.boundary = None


class AttributesDefaultToZeroBeforeCot(ReferenceEsme):
    """Before any CoT 0x0200/0x0201 hold power-on defaults: 0x00000000 (a real date, and as an
    Implementation Date/Time "now") and the GB tenancy control, while Get Change of Tenancy
    answers NOT_FOUND: an IHD reading the attributes sees a CoT that never happened."""

    def cot_attributes(self) -> tuple[int, int]:
        return (0, COT_CONTROL) if self.cot is None else super().cot_attributes()


class PriorCotMissingFromAttributes(ReferenceGpf):
    """Answers Get Change of Tenancy with the CoT it held from before the run (restored at
    boot), but fills 0x0200/0x0201 only when a CoT arrives: before the trigger they read no CoT."""

    def __init__(self, world) -> None:  # noqa: ANN001
        super().__init__(world)
        self.attributes_filled = False

    def change_of_tenancy(self) -> None:
        super().change_of_tenancy()
        self.attributes_filled = True

    def cot_attributes(self) -> tuple[int, int]:
        return super().cot_attributes() if self.attributes_filled else (NO_COT_TIME, NO_COT_CONTROL)


ROWS += (
    _v(CurrentDayKeepsPreCotConsumption, ESME, "ESI-04"),
    _v(CurrentDayCostNotReset, GPF, "ESI-04"),
    _v(KeepsOlderDayHistory, GPF, "ESI-04"),
    _v(
        CotExpiresAfterAnHour,
        ESME,
        "ESI-04",
        "ESI-05",
        "ESI-07",
        why="ESI-05 and ESI-07, after ESI-04's hold, ask Get Change of Tenancy to compare the pushes with",
    ),
    _v(WithholdingLapsesAtMidnight, GPF, "ESI-04"),
    _v(AttributesDefaultToZeroBeforeCot, ESME, "ESI-01"),
    _v(PriorCotMissingFromAttributes, GPF, "ESI-01"),
)


# -- every HAN client told, the same CoT after the hold, a CoT dated as the trigger dated it ---
class AnswersCotToFirstClientOnly(ReferenceEsme):
    """Answers Get Change of Tenancy from a per-client table that the CoT updates for the first
    client bound to Device Management only: every other HAN client (a PPMID, a second IHD,
    one that missed the push) is answered as before the CoT (NOT_FOUND), and never clears."""

    def on_zcl(self, frame, zcl) -> None:  # noqa: ANN001
        self.asking_endpoint = int(frame.src_ep)
        super().on_zcl(frame, zcl)

    def on_get_cot(self, zcl):  # noqa: ANN001, ANN201
        first = next((endpoint for _ieee, endpoint in self.bound(DM)), None)
        if self.boundary is not None and self.asking_endpoint != first:
            return self.not_found(zcl)
        return super().on_get_cot(zcl)


class AttributesLapseAtMidnight(ReferenceGpf):
    """Rebuilds its Device Management attribute table from the daily snapshot at each UTC
    midnight, and the snapshot does not carry the tenancy set: from the midnight after the CoT
    0x0200/0x0201 read "no CoT" again (Get Change of Tenancy still answers it), so an IHD
    learning of the CoT by reading them (query_method read_attributes) never does."""

    def cot_attributes(self) -> tuple[int, int]:
        if self.boundary is not None and self.zcl_now() // DAY > self.boundary // DAY:
            return NO_COT_TIME, NO_COT_CONTROL
        return super().cot_attributes()


class RestampsIssuerEventIdDaily(ReferenceGpf):
    """Rebuilds its event table at each UTC midnight and takes the CoT's Issuer Event ID from
    the rebuild's counter: from the day after the CoT Get Change of Tenancy answers it under a
    newer ID each day, and every IHD asking takes it for a new CoT and clears the new
    occupier's data."""

    def publish_cot_fields(self) -> dict[str, object]:
        fields = super().publish_cot_fields()
        if self.boundary is not None:
            days = self.zcl_now() // DAY - self.boundary // DAY
            fields["issuer_event_id"] = int(fields["issuer_event_id"]) + days  # type: ignore[call-overload]
        return fields


class DatesCotAtNextMidnight(ReferenceEsme):
    """Takes the CoT on receipt and withholds from then, but publishes its Implementation
    Date/Time as the next UTC midnight (the DLMS restrict date rounded up to the day's end), in
    the answer, the attributes and the push: an IHD scheduling the CoT (implementation_time
    scheduled) keeps the previous occupier's data until midnight."""

    def change_of_tenancy(self) -> None:
        now = self.zcl_now()
        self.cot = MeterCot(self.next_event_id(), (now // DAY + 1) * DAY)
        self.boundary = now
        self.clear_last_message(now)
        self.push_cot()


ROWS += (
    _v(AnswersCotToFirstClientOnly, ESME, "ESI-02"),
    _v(AttributesLapseAtMidnight, GPF, "ESI-04"),
    _v(
        RestampsIssuerEventIdDaily,
        GPF,
        "ESI-04",
        "ESI-05",
        "ESI-07",
        why="ESI-05 and ESI-07, after ESI-04's hold, compare the pushes with the CoT Get Change of Tenancy answers",
    ),
    _v(
        DatesCotAtNextMidnight,
        ESME,
        "ESI-03",
        may_fail=("ESI-04",),
        why="ESI-04 takes the later published date for its boundary: the new occupier's half-hours before it are served",
    ),
)


# -- more request forms an IHD or PPMID uses, each left unfiltered by one meter -----------------
class ServesLatestHalfHourUnfiltered(ReferenceEsme):
    """Answers Get Profile for one or two periods (an IHD's "last half-hour" tile) from its
    live interval cache, which the CoT does not touch: the previous occupier's latest
    half-hours are served to that request only."""

    def on_get_profile(self, zcl):  # noqa: ANN001, ANN201
        if int(zcl.fields["number_of_periods"]) <= 2:
            with unrestricted(self):
                return super().on_get_profile(zcl)
        return super().on_get_profile(zcl)


class ServesDayChartUnfiltered(ReferenceGpf):
    """Answers Get Profile for more periods than one frame carries (an IHD's day chart asks 48)
    through a bulk-read path that skips the CoT filter, answering the first MAX_PERIODS of its
    raw store: the previous occupier's half-hours."""

    def on_get_profile(self, zcl):  # noqa: ANN001, ANN201
        if int(zcl.fields["number_of_periods"]) > MAX_PERIODS:
            with unrestricted(self):
                return super().on_get_profile(zcl)
        return super().on_get_profile(zcl)


class ServesTopUpsUpToBeforeCot(ReferenceEsme):
    """Applies its CoT filter only when the Latest End Time asked is at or after the CoT ("a
    window ending before it cannot hold the new occupier's records"): an IHD paging back, or
    one whose clock is behind, is served the previous occupier's top-ups."""

    def on_get_top_up_log(self, zcl):  # noqa: ANN001, ANN201
        if self.boundary is not None and int(zcl.fields["latest_end_time"]) < self.boundary:
            with unrestricted(self):
                return super().on_get_top_up_log(zcl)
        return super().on_get_top_up_log(zcl)


class ServesDebtLogUpToBeforeCot(ReferenceGpf):
    """The debt log likewise: a Latest End Time before the CoT is answered unfiltered."""

    def on_get_debt_log(self, zcl):  # noqa: ANN001, ANN201
        if self.boundary is not None and int(zcl.fields["latest_end_time"]) < self.boundary:
            with unrestricted(self):
                return super().on_get_debt_log(zcl)
        return super().on_get_debt_log(zcl)


class ServesLatestDebtOfATypeUnfiltered(ReferenceEsme):
    """Answers Get Debt Repayment Log for one debt type and a count (a PPMID's "last collection
    of debt 2") from a per-type index the CoT does not filter."""

    def on_get_debt_log(self, zcl):  # noqa: ANN001, ANN201
        if int(zcl.fields["debt_type"]) != DebtType.All_Debts and int(zcl.fields["number_of_debts"]):
            with unrestricted(self):
                return super().on_get_debt_log(zcl)
        return super().on_get_debt_log(zcl)


class ServesTopUpsForNoLimit(ReferenceGpf):
    """Takes a Latest End Time of 0xFFFFFFFF (ZCL's invalid time, which some clients send for
    "no limit") down a fast path that returns the raw log, the previous occupier's top-ups."""

    def on_get_top_up_log(self, zcl):  # noqa: ANN001, ANN201
        if int(zcl.fields["latest_end_time"]) == INVALID:
            with unrestricted(self):
                return super().on_get_top_up_log(zcl)
        return super().on_get_top_up_log(zcl)


ROWS += (
    _v(ServesLatestHalfHourUnfiltered, ESME, "ESI-04"),
    _v(ServesDayChartUnfiltered, GPF, "ESI-04"),
    _v(ServesTopUpsUpToBeforeCot, ESME, "ESI-04"),
    _v(ServesDebtLogUpToBeforeCot, GPF, "ESI-04"),
    _v(ServesLatestDebtOfATypeUnfiltered, ESME, "ESI-04"),
    _v(ServesTopUpsForNoLimit, GPF, "ESI-04"),
)


# -- the history attributes: every cost day read from Prepayment, the export twins, every client --
OLDER_DAY_COSTS = {n: 0x0520 + (n - 2) * 2 for n in range(2, 9)}  # Prepayment PreviousDay2..8 Cost
RECEIVED = 1  # a received (export) history attribute is its delivered twin's ID + 1 (SE 1.4)
EXPORT_WH_PER_DAY = 2_400  # the previous occupier's solar export, Wh a day


class KeepsOlderDayCost(ReferenceGpf):
    """Serves Previous Day 2..8 Cost Consumption Delivered (Prepayment 0x0520..0x052C) from
    accumulators its CoT routine does not zero (its list ends at the previous day's cost): a
    PPMID's week-of-spend chart shows the previous occupier's."""

    def attribute_table(self, cluster: int):  # noqa: ANN201
        table = super().attribute_table(cluster)
        if cluster == PREPAYMENT:
            midnight = self.zcl_now() // DAY * DAY
            with unrestricted(self):
                for n, attribute in OLDER_DAY_COSTS.items():
                    start = midnight - n * DAY
                    table[attribute] = (T.uint48, self.day_cost(start, start + DAY))
        return table


class KeepsExportHistory(ReferenceEsme):
    """A meter with generation: its CoT routine zeroes the delivered history only, so the
    previous day's, week's and month's Consumption Received (Metering 0x0404, 0x0433, 0x0443)
    still read the previous occupier's export."""

    def attribute_table(self, cluster: int):  # noqa: ANN201
        table = super().attribute_table(cluster)
        if cluster == METERING:
            table[PREVIOUS_DAY + RECEIVED] = (T.uint24, EXPORT_WH_PER_DAY)
            table[PREVIOUS_PERIOD["week"] + RECEIVED] = (T.uint24, 7 * EXPORT_WH_PER_DAY)
            table[PREVIOUS_PERIOD["month"] + RECEIVED] = (T.uint32, 30 * EXPORT_WH_PER_DAY)
        return table


class ServesCachedHistoryToSecondClient(ReferenceEsme):
    """Answers Read Attributes of Metering and Prepayment to every HAN client but the first
    bound to Device Management from a per-client mirror refreshed only before the CoT: a
    second IHD or a PPMID reads the previous occupier's day, week and month history."""

    def on_zcl(self, frame, zcl) -> None:  # noqa: ANN001
        self.asking_endpoint = int(frame.src_ep)
        super().on_zcl(frame, zcl)

    def attribute_table(self, cluster: int):  # noqa: ANN201
        first = next((endpoint for _ieee, endpoint in self.bound(DM)), None)
        if cluster in (METERING, PREPAYMENT) and self.asking_endpoint != first:
            with unrestricted(self):
                return super().attribute_table(cluster)
        return super().attribute_table(cluster)


ROWS += (
    _v(KeepsOlderDayCost, GPF, "ESI-04"),
    _v(KeepsExportHistory, ESME, "ESI-04"),
    _v(ServesCachedHistoryToSecondClient, ESME, "ESI-04"),
)


# -- the current week and month, bounded after the CoT as the current day is ---------------------
CURRENT_WEEK = 0x0430  # Metering CurrentWeekConsumptionDelivered
CURRENT_MONTH_COST = 0x0540  # Prepayment CurrentMonthCostConsumptionDelivered


def _period_so_far(meter: ReferenceMeter, period: Period) -> int:
    """Wh since the current `period` began (UTC), whoever consumed them, the half-hour in
    progress pro rata: what a running register the CoT does not reset holds."""
    now = meter.zcl_now()
    start, in_progress = current_start(period, now), now // HALF_HOUR * HALF_HOUR
    with unrestricted(meter):
        complete = meter.consumed(start, in_progress)
    return complete + meter.interval_value(in_progress + HALF_HOUR) * (now - in_progress) // HALF_HOUR


class CurrentWeekKeepsPreCotConsumption(ReferenceGpf):
    """Serves CurrentWeekConsumptionDelivered (Metering 0x0430) from a running register the CoT
    does not reset: for the rest of the CoT's week the new occupier's IHD shows the previous
    occupier's consumption since Monday."""

    def attribute_table(self, cluster: int):  # noqa: ANN201
        table = super().attribute_table(cluster)
        if cluster == METERING:
            table[CURRENT_WEEK] = (T.uint24, _period_so_far(self, "week"))
        return table


class CurrentMonthCostNotReset(ReferenceEsme):
    """Serves CurrentMonthCostConsumptionDelivered (Prepayment 0x0540) from a running register
    the CoT does not reset: the new occupier's PPMID shows the month's spend with the previous
    occupier's in it."""

    def attribute_table(self, cluster: int):  # noqa: ANN201
        table = super().attribute_table(cluster)
        if cluster == PREPAYMENT:
            table[CURRENT_MONTH_COST] = (T.uint48, _period_so_far(self, "month") * PENCE_PER_KWH // 1000)
        return table


ROWS += (
    _v(CurrentWeekKeepsPreCotConsumption, GPF, "ESI-04"),
    _v(CurrentMonthCostNotReset, ESME, "ESI-04"),
)


class PushesCotToMessagingBindings(ReferenceGpf):
    """Walks the wrong binding table: pushes Publish CoT to the clients bound to its Messaging
    server, so a client bound to Device Management alone (a PPMID without a message screen)
    never gets it."""

    def push_targets(self) -> list[tuple[zt.EUI64, int]]:
        return self.bound(ids.MESSAGING)


ROWS += (_v(PushesCotToMessagingBindings, GPF, "ESI-07"),)


# -- the CoT over a power cycle (bench.power_control) --------------------------------------------
class ForgetsCotOnPowerCycle(ReferenceEsme):
    """Keeps the CoT it took (and with it its withholding boundary) in RAM only: after a power
    cut it holds no CoT, Get Change of Tenancy answers NOT_FOUND and the previous occupier's
    logs and history are served again."""

    def on_power_off(self) -> None:
        super().on_power_off()
        if self.boundary is not None:
            self.cot, self.boundary = None, None


class RestoresMessageOnPowerCycle(ReferenceGpf):
    """Keeps its message store in flash and the CoT's Cancel of it in RAM: after a power cut
    the previous occupier's last message is back, and Get Last Message answers it."""

    def __init__(self, world) -> None:  # noqa: ANN001
        super().__init__(world)
        self.stored_message = self.last_message
        self.restored = False

    def on_power_off(self) -> None:
        super().on_power_off()
        if self.boundary is not None:
            self.last_message, self.restored = self.stored_message, True

    def on_get_last_message(self, zcl):  # noqa: ANN001, ANN201
        if self.restored:
            with unrestricted(self):
                return super().on_get_last_message(zcl)
        return super().on_get_last_message(zcl)


ROWS += (
    _v(
        ForgetsCotOnPowerCycle,
        ESME,
        "ESI-04",
        may_fail=("ESI-05", "ESI-07"),
        why="ESI-05 and ESI-07, after ESI-04's power cycle, compare the pushes with what Get Change of Tenancy answers",
    ),
    _v(RestoresMessageOnPowerCycle, GPF, "ESI-04", may_fail=("ESI-06",), why="ESI-06 runs after the power cycle"),
)
