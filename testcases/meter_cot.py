"""The one CoT trigger the meter cases share, and what the meter served before it.

A real bench pays an operator step (or a DCC request) per trigger, so ESI-02..07 judge one
CoT, taken by the first of them to run (ESI-02 in a whole run; the plan says so). Before it,
the IHD the harness plays binds its two endpoints to the meter and observes that the meter
does serve the previous occupier's top-up log, debt log, last message and history: without
that, "nothing from before the CoT" afterwards would pass vacuously, so a meter holding none
is a bench precondition not met (broken), never a pass. ESI-01 runs before the trigger.
"""

from __future__ import annotations

import dataclasses

import allure

from harness.bench import Bench
from harness.bench.controls import cot_instruction
from harness.errors import BenchError, PreconditionNotMet
from harness.esi.han_client import Answer, clusters_bound_by
from harness.esi.servers import MAX_PROFILE_PERIODS
from harness.profile import Profile
from harness.zcl import ids
from harness.zcl.history_periods import Period, calendars, current_start
from harness.zcl.metering import CURRENT_SUMMATION_DELIVERED, HALF_HOUR, HISTORY_ATTRIBUTES, IntervalChannel
from harness.zcl.prepayment import COST_HISTORY_DELIVERED, DebtType
from harness.zcl.time import CANCEL, IMPLEMENT_NOW, UNIX_OFFSET, format_zcl_utc
from testcases.steps import attach_text

DM, MESSAGING, METERING, PREPAYMENT = ids.DEVICE_MANAGEMENT, ids.MESSAGING, ids.METERING, ids.PREPAYMENT
DAY = 86_400
LATEST = 0xFFFF_FFFE  # Latest End Time: every record the meter holds (0xFFFFFFFF is ZCL's invalid time)
MAX_PERIODS = MAX_PROFILE_PERIODS  # Get Profile intervals one secured frame carries
PREVIOUS_DAY = next(a for a, d in HISTORY_ATTRIBUTES.items() if d.name == "previousday_consumption_delivered")
PREVIOUS_DAY_COST = next(a for a, period in COST_HISTORY_DELIVERED.items() if period == "previous_day")
# The day history an IHD reads: (what, cluster, attribute).
DAY_HISTORY = (
    ("previous day consumption", METERING, PREVIOUS_DAY),
    ("previous day cost", PREPAYMENT, PREVIOUS_DAY_COST),
)
# The week and month history an IHD reads: (what, cluster, attribute, period, optional). Every
# GB meter serves the consumption history; the cost history only where it does (an attribute
# it answers UNSUPPORTED_ATTRIBUTE is not required before the CoT, and still judged after it).
PERIOD_HISTORY: tuple[tuple[str, int, int, Period, bool], ...] = tuple(
    (f"previous {period} {kind}", cluster, attr, period, optional)
    for kind, cluster, names, optional in (
        ("consumption", METERING, {d.name: a for a, d in HISTORY_ATTRIBUTES.items()}, False),
        ("cost", PREPAYMENT, {f"{q}_consumption_delivered": a for a, q in COST_HISTORY_DELIVERED.items()}, True),
    )
    for period in ("week", "month")
    for attr in (names[f"previous_{period}_consumption_delivered"],)
)
# The current day's consumption and cost: after the CoT no more than the new occupier's since
# the boundary (ESI-04), which the harness bounds by the meter's own register: CurrentSummation-
# Delivered (Metering 0x0000, mandatory in SE 1.4 and in the same unit, multiplier and divisor
# as the history) read just before the trigger and again with the current day.
CURRENT_DAY = next(a for a, d in HISTORY_ATTRIBUTES.items() if d.name == "currentday_consumption_delivered")
CURRENT_DAY_COST = next(a for a, period in COST_HISTORY_DELIVERED.items() if period == "current_day")
SUMMATION = CURRENT_SUMMATION_DELIVERED
# The current week's and month's run from a Monday and a first of the month before the CoT just
# as the current day's from a midnight: (period, consumption attribute, cost attribute), each
# bounded after the CoT as the current day is.
CURRENT_PERIODS: tuple[tuple[Period, int, int], ...] = (
    ("day", CURRENT_DAY, CURRENT_DAY_COST),
    *(
        (
            period,
            next(a for a, d in HISTORY_ATTRIBUTES.items() if d.name == f"current_{period}_consumption_delivered"),
            next(a for a, q in COST_HISTORY_DELIVERED.items() if q == f"current_{period}"),
        )
        for period in ("week", "month")
    ),
)
# The older history an IHD's charts read: (what, cluster, attribute, period, n), n periods back
# (Previous Day 2..8, Week 2..5, Month 2..13, consumption and cost). Judged 0 after the CoT when
# wholly before it; not required before it (a meter answering UNSUPPORTED_ATTRIBUTE serves none).
OLDER_HISTORY: tuple[tuple[str, int, int, Period, int], ...] = tuple(
    (f"previous {period} {n} {kind}", cluster, attr, period, n)
    for kind, cluster, names in (
        ("consumption", METERING, {d.name: a for a, d in HISTORY_ATTRIBUTES.items()}),
        ("cost", PREPAYMENT, {f"{q}_consumption_delivered": a for a, q in COST_HISTORY_DELIVERED.items()}),
    )
    for period, last in (("day", 8), ("week", 5), ("month", 13))
    for n in range(2, last + 1)
    for attr in (names[f"previous_{period}{n}_consumption_delivered"],)
)
# The export (received) twin of every day, week and month above (delivered + 1, SE 1.4), the
# previous period's included: what an IHD shows a meter with generation. Judged as the older
# history: 0 after the CoT when wholly before it, not required before it (only a meter with
# generation serves them: the export channel of Get Profile likewise).
RECEIVED_HISTORY: tuple[tuple[str, int, int, Period, int], ...] = tuple(
    (f"previous {period}{'' if n == 1 else f' {n}'} {kind} received", cluster, attr + 1, period, n)
    for kind, cluster, names in (
        # Metering spells the previous day's "previousday" (zigpy's name), the rest "previous_day2"
        (
            "consumption",
            METERING,
            {d.name.replace("previousday", "previous_day"): a for a, d in HISTORY_ATTRIBUTES.items()},
        ),
        ("cost", PREPAYMENT, {f"{q}_consumption_delivered": a for a, q in COST_HISTORY_DELIVERED.items()}),
    )
    for period, last in (("day", 8), ("week", 5), ("month", 13))
    for n in range(1, last + 1)
    for attr in (names[f"previous_{period}{'' if n == 1 else n}_consumption_delivered"],)
)

Fetch = tuple[str, int, str, dict[str, object]]  # (what, cluster, command, fields)
# The requests an IHD makes for the occupier's data: (what, cluster, command, fields).
FETCHES: tuple[Fetch, ...] = (
    ("top-up log", PREPAYMENT, "get_top_up_log", {"latest_end_time": LATEST, "number_of_records": 0}),
    (
        "debt repayment log",
        PREPAYMENT,
        "get_debt_repayment_log",
        {"latest_end_time": LATEST, "number_of_debts": 0, "debt_type": 0xFF},
    ),
    ("last message", MESSAGING, "get_last_message", {}),
    (
        "half-hourly profile",
        METERING,
        "get_profile",
        {"interval_channel": 0, "end_time": 0, "number_of_periods": MAX_PERIODS},
    ),
)
# ESI-04 judges "nothing from before the CoT" on every request an IHD can make, not on FETCHES'
# one form: a meter may wire its CoT filter into one path only (the "all records" count, the
# wildcard Latest End Time, the all-debts index, the import channel) and answer the others from
# its raw store. So the logs are also asked for the latest 1 and 5 records (an IHD's top-up
# screen), up to a real Latest End Time (the IHD's clock, as SE 1.4 describes the field), the
# debt log for each debt type, and Get Profile for the export channel. Each of these and
# FETCHES is asked from every HAN client endpoint, before the trigger and after it: a meter may
# answer each client from its own cache.
LOG_COUNTS = (1, 5)
DEBT_TYPES = (DebtType.Debt_1, DebtType.Debt_2, DebtType.Debt_3)
EXPORT_PROFILE = "export half-hourly profile"
# More forms an IHD or PPMID uses, each a path a meter may leave unfiltered: a Latest End Time
# before the CoT (an IHD paging back through the log, or one whose clock is behind), ZCL's
# invalid time 0xFFFFFFFF as "no limit" (some clients send it; a meter may answer it
# INVALID_FIELD, so it is not required before the CoT), a count with a debt type (a PPMID's
# "last collection of debt 1"), and Get Profile for the latest half-hour only (an IHD's live
# tile) or for more periods than one frame carries (a day's chart: MAX_PERIODS are answered).
NO_LIMIT = 0xFFFF_FFFF
PROFILE_PERIODS = (1, 48)
NOT_REQUIRED_SUFFIX = ", Latest End Time 0xFFFFFFFF"


def every_form(now: int, earlier: int | None = None) -> tuple[Fetch, ...]:
    """FETCHES and the other forms of the log and profile requests, `now` (ZCL UTC, the IHD's
    clock) the real Latest End Time and `earlier` one before the CoT (before the trigger, `now`
    itself: every record held then; after it, a second before the boundary)."""
    earlier = now if earlier is None else earlier
    top_up: list[Fetch] = [
        (
            f"top-up log, the latest {n}",
            PREPAYMENT,
            "get_top_up_log",
            {"latest_end_time": LATEST, "number_of_records": n},
        )
        for n in LOG_COUNTS
    ]
    top_up.append(
        ("top-up log up to now", PREPAYMENT, "get_top_up_log", {"latest_end_time": now, "number_of_records": 0})
    )
    top_up.append(
        (
            "top-up log up to before the CoT",
            PREPAYMENT,
            "get_top_up_log",
            {"latest_end_time": earlier, "number_of_records": 0},
        )
    )
    top_up.append(
        (
            "top-up log" + NOT_REQUIRED_SUFFIX,
            PREPAYMENT,
            "get_top_up_log",
            {"latest_end_time": NO_LIMIT, "number_of_records": 0},
        )
    )
    every_debt = {"number_of_debts": 0, "debt_type": DebtType.All_Debts}
    debt: list[Fetch] = [
        (
            f"debt repayment log, the latest {n}",
            PREPAYMENT,
            "get_debt_repayment_log",
            {"latest_end_time": LATEST, **every_debt, "number_of_debts": n},
        )
        for n in LOG_COUNTS
    ]
    debt.append(
        ("debt repayment log up to now", PREPAYMENT, "get_debt_repayment_log", {**every_debt, "latest_end_time": now})
    )
    debt.append(
        (
            "debt repayment log up to before the CoT",
            PREPAYMENT,
            "get_debt_repayment_log",
            {**every_debt, "latest_end_time": earlier},
        )
    )
    debt.append(
        (
            "debt repayment log" + NOT_REQUIRED_SUFFIX,
            PREPAYMENT,
            "get_debt_repayment_log",
            {**every_debt, "latest_end_time": NO_LIMIT},
        )
    )
    debt += [
        (
            debt_log_of(kind) + suffix,
            PREPAYMENT,
            "get_debt_repayment_log",
            {"latest_end_time": LATEST, "number_of_debts": count, "debt_type": kind},
        )
        for kind in DEBT_TYPES
        for count, suffix in ((0, ""), (1, ", the latest 1"))
    ]
    profile: list[Fetch] = [
        (
            f"half-hourly profile, {n} asked",
            METERING,
            "get_profile",
            {"interval_channel": IntervalChannel.Consumption_Delivered, "end_time": 0, "number_of_periods": n},
        )
        for n in PROFILE_PERIODS
    ]
    export: Fetch = (
        EXPORT_PROFILE,
        METERING,
        "get_profile",
        {"interval_channel": IntervalChannel.Consumption_Received, "end_time": 0, "number_of_periods": MAX_PERIODS},
    )
    return (*FETCHES, *top_up, *debt, *profile, export)


def debt_log_of(kind: int) -> str:
    return f"debt repayment log of debt type {int(kind)}"


def required_before(what: str, answers: dict[str, Answer]) -> bool:
    """Whether the precondition needs form `what` served, given one endpoint's `answers` to
    every form: a form the meter never served before the CoT proves nothing after it. Every
    form but three selects records the all-records form served (its latest ones, those up to
    now), so it must serve them too; a debt type only when the all-debts log held one of it
    (a meter may hold no debt of a type), and never the export channel (only a meter with
    generation serves it) or ZCL's invalid time as Latest End Time (a meter may refuse it)."""
    if what == EXPORT_PROFILE or what.endswith(NOT_REQUIRED_SUFFIX):
        return False
    kind = next((k for k in DEBT_TYPES if what.startswith(debt_log_of(k))), None)
    if kind is None:
        return True
    frame = answers["debt repayment log"].frame
    records = frame.fields.get("debt_payload", []) if frame is not None else []
    return any(int(r.debt_type) == int(kind) for r in records)


# ESI-04's Get Profile probes of what ends by the CoT's date. SE 1.4 answers the most recent block
# ending at or before End Time, but a meter may answer a fixed window back from it instead: one
# MAX_PERIODS answer then shows only PROFILE_SPAN. So the probes step back a span at a time,
# contiguous over at least PROFILE_RECENT before the CoT (a meter clearing only the CoT's day is
# seen), then sample further back: a week, a month, and just inside the 13 months of half-hours
# a GB ESME keeps (GBCS). Nine requests in all: each costs a round trip of bench time.
PROFILE_SPAN = MAX_PERIODS * HALF_HOUR  # 9 h
PROFILE_RECENT = 48 * 3600
PROFILE_FARTHER_BACK = (7 * DAY, 31 * DAY, 390 * DAY)


def profile_probe_ends(since: int) -> list[int]:
    """The End Times ESI-04 asks Get Profile for, newest first: every answer to one must hold
    no interval, since each interval ending by it began before the CoT."""
    contiguous = -(-PROFILE_RECENT // PROFILE_SPAN)  # spans to cover PROFILE_RECENT: 6 (54 h)
    return [since - n * PROFILE_SPAN for n in range(contiguous)] + [since - back for back in PROFILE_FARTHER_BACK]


# ...and of End Times after it: the block ending by one of these reaches back before the CoT (18
# half-hours, 9 h, from an End Time less than 9 h after it), so a meter filtering only End Times
# at or before the CoT's date, or only End Time 0, is seen. Each interval's start is judged.
PROFILE_AFTER_STEPS = (1, MAX_PERIODS // 2, MAX_PERIODS - 1)  # half-hours after the CoT's date


def profile_probe_ends_after(since: int) -> list[int]:
    """The End Times after the CoT's date ESI-04 asks Get Profile for, earliest first."""
    return [since + k * HALF_HOUR for k in PROFILE_AFTER_STEPS]


SERVED = {  # what a fetch answers when it has data
    "get_top_up_log": "publish_top_up_log",
    "get_debt_repayment_log": "publish_debt_log",
    "get_last_message": "display_message",
    "get_profile": "get_profile_response",
}


@dataclasses.dataclass(frozen=True)
class Before:
    """What the meter said before the trigger: its bindings and its CoT (ESI-01 judges it)."""

    cot: Answer  # its answer to Get Change of Tenancy
    bind_status: dict[tuple[int, int], int | None]  # (endpoint, cluster) -> Bind_rsp status
    # Device Management 0x0200/0x0201 as read then (absent: answered UNSUPPORTED_ATTRIBUTE)
    attributes: dict[int, object] = dataclasses.field(default_factory=dict)

    @property
    def issuer_event_id(self) -> int | None:
        frame = self.cot.frame
        if frame is None or frame.command_name != "publish_change_of_tenancy":
            return None
        return int(frame.fields["issuer_event_id"])


@dataclasses.dataclass(frozen=True)
class Served:
    """The previous occupier's data the meter served just before the trigger (the precondition)."""

    fetched: dict[str, Answer]  # FETCHES' answers to the first HAN client endpoint, by what
    day_history: dict[str, object | None]  # DAY_HISTORY's values, by what
    period_history: dict[str, object | None] = dataclasses.field(default_factory=dict)  # PERIOD_HISTORY's, by what
    # every_form's answers to every HAN client endpoint, by (endpoint, what)
    forms: dict[tuple[int, str], Answer] = dataclasses.field(default_factory=dict)
    summation: int = 0  # CurrentSummationDelivered (Metering 0x0000) just before the trigger

    @property
    def message_ids(self) -> set[int]:
        """The previous occupier's last message(s), as any client endpoint was answered."""
        answers = [a for (_ep, what), a in self.forms.items() if what == "last message"] or [
            self.fetched["last message"]
        ]
        return {
            int(frame.fields["message_id"])
            for frame in (a.frame for a in answers)
            if frame is not None and frame.command_name == "display_message"
        }

    def was_served(self, endpoint: int, what: str) -> bool:
        answer = self.forms.get((endpoint, what))
        return answer is not None and is_served(answer)


@dataclasses.dataclass(frozen=True)
class Taken:
    """The trigger: the trace mark before it, its bench times (Unix seconds) and what came before."""

    mark: int
    started: float
    done: float
    before: Before
    served: Served

    @property
    def trigger_zcl(self) -> int:
        return int(self.started) - UNIX_OFFSET


_TAKEN: list[tuple[Bench, Taken]] = []  # one trigger per bench (one per session), by identity
_BEFORE: list[tuple[Bench, Before]] = []
# A trigger that failed (a command's error, an operator's abort) is not tried again by every
# later case: an operator would be asked once per case. The later cases are broken with its reason.
_FAILED: list[tuple[Bench, str]] = []


def taken(bench: Bench) -> Taken | None:
    return next((t for owner, t in _TAKEN if owner is bench), None)


def profile_served(answer: Answer) -> bool:
    frame = answer.frame
    return frame is not None and frame.command_name == "get_profile_response" and bool(frame.fields["intervals"])


def is_served(answer: Answer) -> bool:
    """Whether the answer to a fetch carries the occupier's data (records, a message, intervals)."""
    frame = answer.frame
    if frame is None or frame.command_name not in SERVED.values():
        return False
    return frame.command_name != "get_profile_response" or profile_served(answer)


def zcl_now(bench: Bench) -> int:
    return int(bench.loop.now()) - UNIX_OFFSET


def before_trigger(bench: Bench, profile: Profile) -> Before:
    """Bind and ask Get Change of Tenancy, once per bench, before any trigger."""
    done = next((b for owner, b in _BEFORE if owner is bench), None)
    if done is not None:
        return done
    if taken(bench) is not None:
        raise BenchError("the CoT trigger has already been taken: the meter's state before it can no longer be seen")
    client = bench.han_client
    with allure.step(
        f"The harness's IHD endpoints {list(client.endpoints)} bind to the meter's DM server (all but the last to "
        "its Messaging server too)"
    ):
        bound = clusters_bound_by(client.endpoints)
        status = {(ep, c): client.bind(ep, c) for ep, clusters in bound.items() for c in clusters}
        attach_text(
            "bindings", "\n".join(f"endpoint {ep}, cluster 0x{c:04X}: Bind_rsp {s}" for (ep, c), s in status.items())
        )
    with allure.step("Get Change of Tenancy before the trigger"):
        cot = client.request(DM, "get_change_of_tenancy")
        attach_text("Get Change of Tenancy", cot.describe())
    with allure.step("Read Attributes 0x0200 and 0x0201 of Device Management before the trigger"):
        attributes = client.read(DM, [0x0200, 0x0201])
        attach_text("attributes", f"0x0200: {attributes.get(0x0200)}, 0x0201: {attributes.get(0x0201)}")
    before = Before(cot, status, attributes)
    _BEFORE.append((bench, before))
    return before


def served_before(bench: Bench) -> Served:
    """The precondition of every post-CoT case: the meter serves the previous occupier's data."""
    client = bench.han_client
    first = client.endpoints[0]
    with allure.step(
        f"The meter serves the previous occupier's data before the trigger, to each of the IHD endpoints "
        f"{list(client.endpoints)} in every form asked after it (precondition)"
    ):
        forms = {
            (endpoint, what): client.request(cluster, command, endpoint=endpoint, **fields)
            for endpoint in client.endpoints
            for what, cluster, command, fields in every_form(zcl_now(bench))
        }
        fetched = {what: forms[(first, what)] for what, *_ in FETCHES}
        day_history = {what: client.read(cluster, [attr]).get(attr) for what, cluster, attr in DAY_HISTORY}
        period_history = {what: client.read(cluster, [attr]).get(attr) for what, cluster, attr, *_ in PERIOD_HISTORY}
        summation = client.read(METERING, [SUMMATION]).get(SUMMATION)
        attach_text(
            "served before the CoT",
            "\n".join(f"endpoint {ep}, {what}: {a.describe()}" for (ep, what), a in forms.items())
            + "".join(f"\n{what}: {value}" for what, value in (day_history | period_history).items())
            + f"\ncurrent summation delivered (0x0000): {summation}",
        )
        missing = [what for what, _c, _command, _f in FETCHES if not is_served(fetched[what])]
        for endpoint in client.endpoints:
            answers = {what: a for (ep, what), a in forms.items() if ep == endpoint}
            missing += [
                f"{what} (asked from endpoint {endpoint})"
                for what, answer in answers.items()
                if (endpoint != first or what not in fetched)
                and required_before(what, answers)
                and not is_served(answer)
            ]
        missing += [
            f"{what} (cluster 0x{cluster:04X} attribute 0x{attr:04X})"
            for what, cluster, attr in DAY_HISTORY
            if not day_history[what]
        ]
        missing += [
            f"{what} (cluster 0x{cluster:04X} attribute 0x{attr:04X})"
            for what, cluster, attr, _period, optional in PERIOD_HISTORY
            if not period_history[what] and not (optional and period_history[what] is None)
        ]
        if summation is None:  # the bound of the current day's consumption after the CoT
            missing.append(f"current summation delivered (cluster 0x{METERING:04X} attribute 0x{SUMMATION:04X})")
        if missing:
            raise PreconditionNotMet(
                f"before the CoT trigger the meter served none of the previous occupier's {', '.join(missing)}: "
                "after the CoT, 'nothing from before it' could not be told from 'nothing ever'. Load the meter "
                "with a top-up, a debt collection, a supplier message and the previous month's consumption first"
            )
    return Served(fetched, day_history, period_history, forms, int(summation))  # type: ignore[call-overload]


def shared_trigger(bench: Bench, profile: Profile) -> Taken:
    """The CoT trigger, taken once per bench by the first post-CoT case to run."""
    already = taken(bench)
    if already is not None:
        with allure.step("The CoT trigger was taken by an earlier case of this run"):
            attach_text("trigger", f"at bench time {already.started:.3f} (trace mark {already.mark})")
        return already
    failed = next((why for owner, why in _FAILED if owner is bench), None)
    if failed is not None:
        raise BenchError(f"the CoT trigger failed in an earlier case and is not tried again: {failed}")
    before = before_trigger(bench, profile)
    served = served_before(bench)
    how = profile.bench.cot_trigger.by
    with allure.step(f"CoT trigger (bench.cot_trigger is {how}): {cot_instruction(profile)}"):
        mark = bench.link.mark()
        started = bench.loop.now()
        try:
            bench.controls.change_of_tenancy(cot_instruction(profile))
        except BenchError as error:
            _FAILED.append((bench, str(error)))
            raise
        result = Taken(mark, started, bench.loop.now(), before, served)
        _TAKEN.append((bench, result))
        attach_text(
            "trigger", f"started {format_zcl_utc(result.trigger_zcl)}, done after {result.done - started:.3f} s"
        )
    return result


def published(answer: Answer) -> dict[str, int] | None:
    frame = answer.frame
    if frame is None or frame.command_name != "publish_change_of_tenancy":
        return None
    return {name: int(value) for name, value in frame.fields.items()}


def boundary(bench: Bench, trigger: Taken) -> tuple[int, str]:
    """The CoT's date, from which the previous occupier's data is withheld. The trigger dates
    the CoT now (its instruction says so), so every record the meter held before it began is
    the previous occupier's: the boundary is the trigger's start, or the Implementation
    Date/Time the meter publishes when that is later (GBCS: the date is the boundary). A meter
    publishing an earlier date than its CoT's does not loosen the check."""
    fields = published(bench.han_client.request(DM, "get_change_of_tenancy"))
    at = fields["implementation_date_time"] if fields is not None else IMPLEMENT_NOW
    if at not in (IMPLEMENT_NOW, CANCEL) and at > trigger.trigger_zcl:
        return at, f"the published Implementation Date/Time {format_zcl_utc(at)}, after the trigger"
    return trigger.trigger_zcl, f"the trigger's time {format_zcl_utc(trigger.trigger_zcl)}, the CoT's date"


def sustained_until(profile: Profile, trigger: Taken) -> float:
    """The bench time (Unix seconds) by which the CoT must have outlasted what a meter's own
    timers could undo: the next midnight after the trigger in every calendar a GB meter counts
    its days in (a restriction lapsing with the day), and poll.max_interval after it (the
    longest an IHD may go between queries: a CoT it has not yet asked for must still be
    there). One half-hour more: the meter's first interval and daily freeze after each."""
    zcl = trigger.trigger_zcl
    # The next day's start: 26 h after today's lies in it, whether today has 23, 24 or 25 hours.
    midnight = UNIX_OFFSET + max(
        current_start("day", current_start("day", zcl, zone) + 26 * 3600, zone) for zone in calendars().values()
    )
    return max(midnight, trigger.done + profile.timings.poll.max_interval.total_seconds()) + HALF_HOUR


def sustained_hold(profile: Profile) -> float:
    """The bench time the hold to `sustained_until` is planned at (testcases.bench_time): the
    longer of poll.max_interval and a day (the next midnight is up to a day away, whenever the
    run is), plus the half-hour. With the usual 24 h max_interval that is the hold."""
    return max(DAY, profile.timings.poll.max_interval.total_seconds()) + HALF_HOUR


def sustained_hold_worst(profile: Profile) -> float:
    """At most: the next UK local midnight is 25 hours away on the autumn clock change's day."""
    return max(DAY + 3600, profile.timings.poll.max_interval.total_seconds()) + HALF_HOUR


def hold_past_midnight(bench: Bench, profile: Profile, trigger: Taken) -> float:
    """Let bench time pass to `sustained_until` (virtual in simulation); the bench time held."""
    until = sustained_until(profile, trigger)
    held = max(0.0, until - bench.loop.now())
    with allure.step(
        f"Let {held / 3600:.1f} h of bench time pass: past the next midnight (UTC and UK local) and "
        f"timings.poll.max_interval ({profile.timings.poll.max_interval}) after the trigger"
    ):
        bench.loop.hold(held, "the CoT to outlast the next midnight and poll.max_interval")
        attach_text("held", f"until {format_zcl_utc(int(bench.loop.now()) - UNIX_OFFSET)}, {held:.0f} s")
    return held
