"""Implementation Date/Time: IMPL-01 .. IMPL-04 (policy declared in behaviour.implementation_time).

IMPL-03 judges both paths a CoT arrives by: pushed, and learnt by the unit's own query.
"""

from __future__ import annotations

import math

import allure

from harness.bench import Bench
from harness.catalogue import case
from harness.errors import BenchError, PreconditionNotMet
from harness.esi.meter import CotEvent, Query
from harness.plugin import applies
from harness.profile import ClearScope, ImplementationTime, Profile, QueryMethod
from harness.zcl.time import CANCEL, UNIX_OFFSET
from testcases import steps
from testcases.steps import (
    assert_actioned,
    assert_cleared,
    attach_text,
    clear_within,
    eventually,
    new_occupier,
    push_cot_from_all,
    retained,
    retained_until,
    stored_and_shown,
    zcl_now,
)
from testcases.steps.facts import FUTURE_DATES, PAST_DATES

HOUR, DAY = 3600, 86400


def _cot_actioned_on_receipt(bench: Bench, profile: Profile, implementation_time: int, what: str) -> None:
    classes = stored_and_shown(bench, profile)
    previous, new, event = new_occupier(bench, implementation_time=implementation_time)
    push_cot_from_all(bench, profile, event)
    assert_actioned(bench, classes, previous, new, eventually(profile), f"Publish CoT with {what}")


@case("IMPL-01")
def test_impl_01(bench: Bench, profile: Profile) -> None:
    now = zcl_now(bench)
    # A date at or before the ZCL epoch (2000-01-01) does not exist: on a bench clock that
    # early the older dates are left out, never sent as 0 (which means now: IMPL-03).
    dates = [(age, words) for age, words in PAST_DATES if age < now]
    if not dates:
        raise BenchError(f"the bench's ZCL time is {now} s after the epoch: no past implementation time can be sent")
    for age, words in dates:
        with allure.step(f"Publish CoT dated {words} in the past"):
            _cot_actioned_on_receipt(
                bench, profile, zcl_now(bench) - age, f"an implementation time {words} in the past"
            )


def _provoke_query(bench: Bench) -> str:
    """Make the unit ask the meters the quickest way the bench offers (a rejoin, else a power
    cycle); without either, its own periodic query will. What was done."""
    controls = bench.controls
    if controls.available("rejoin_control"):
        with allure.step("Make the unit leave and rejoin: it asks the meters"):
            controls.rejoin()
        return "a rejoin"
    if controls.available("power_control"):
        with allure.step("Power-cycle the unit: it asks the meters"):
            controls.power_cycle()
        return "a power cycle"
    return "its own periodic query (the bench has no rejoin or power control)"


def _get_cot_answered(bench: Bench, profile: Profile, since: float) -> dict[str, Query]:
    """Each meter's first Get Change of Tenancy since `since`, once the meters whose answers
    carry the CoT for all of the unit's data have been asked (any one under clear_scope all,
    every one under fuel), or at the deadline. The deadline is the longest the unit may take:
    a unit slow to ask after a rejoin or power cycle is POLL-01/02's fault, and its periodic
    query comes within poll.max_interval."""
    poll = profile.timings.poll
    timeout = max(poll.after_join, poll.after_rejoin, poll.max_interval).total_seconds()
    every = profile.behaviour.clear_scope is ClearScope.FUEL

    def first() -> dict[str, Query]:
        found = {}
        for source, meter in bench.meters.items():
            asked = [q for q in meter.cot_queries(since) if q.command == "get_change_of_tenancy"]
            if asked:
                found[source] = asked[0]
        return found

    def enough() -> bool:
        found = first()
        return bool(found) and (not every or len(found) == len(bench.meters))

    try:
        bench.loop.wait_for(enough, timeout, "the unit's Get Change of Tenancy")
    except TimeoutError:
        pass
    found = bench.loop.call_on_loop(first)
    if not found or (every and len(found) < len(bench.meters)):
        missing = ", ".join(m.label for s, m in bench.meters.items() if s not in found)
        raise PreconditionNotMet(
            f"no Get Change of Tenancy reached {missing} within {timeout:g} s (POLL-01..03 and POLL-08 judge "
            "that): a zero implementation time learnt by query could not be judged"
        )
    return found


@case("IMPL-03")
def test_impl_03(bench: Bench, profile: Profile) -> None:
    with allure.step("Pushed: Publish CoT with implementation time 0"):
        _cot_actioned_on_receipt(bench, profile, 0, "implementation time 0 (now)")
    if profile.behaviour.query_method is not QueryMethod.GET_CHANGE_OF_TENANCY:
        # Read this way, attribute 0x0200 is the update date/time that identifies the event:
        # there is no separate implementation time a query could carry as 0.
        attach_text("learnt by query", "not judged: behaviour.query_method is read_attributes")
        return
    with allure.step("Learnt by query: the meters hold a CoT with implementation time 0, never pushed"):
        classes = stored_and_shown(bench, profile)
        previous, new, _event = new_occupier(bench, implementation_time=0)
        since = bench.loop.now()
        how = _provoke_query(bench)
        asked = _get_cot_answered(bench, profile, since)
        attach_text(
            "Get Change of Tenancy answered with the CoT",
            "\n".join(f"{bench.meters[s].label}: +{q.at - since:.1f} s" for s, q in asked.items()),
        )
        # Every meter's answer is needed under clear_scope fuel, any one's under all.
        times = [q.at for q in asked.values()]
        learnt_at = max(times) if profile.behaviour.clear_scope is ClearScope.FUEL else min(times)
        # Every stored class, not "actioned" (one class): a CoT learnt by query clears all
        # that a pushed one does (a start-up path skipping one class's erase fails here).
        assert_cleared(
            bench,
            classes,
            previous,
            new,
            max(0.0, learnt_at + eventually(profile) - bench.loop.now()),
            f"the meters held a CoT with implementation time 0 (now), never pushed; after {how} the unit asked by "
            f"Get Change of Tenancy ({learnt_at - since:.1f} s later) and was answered with that CoT; all of the "
            "previous occupier's data must go",
        )


def _learnt_by_query_at(bench: Bench, profile: Profile, queried: steps.Queried) -> float | None:
    """When the unit had learnt the CoT the meters hold from its query: every meter's answer
    under clear_scope fuel, any one's under all (None: not learnt that way)."""
    times = [t for t in queried.at.values() if t is not None]
    if not times:
        return None
    if profile.behaviour.clear_scope is ClearScope.FUEL:
        return max(times) if len(times) == len(queried.at) else None
    return min(times)


def _leads(bench: Bench, profile: Profile) -> tuple[float, float]:
    """How far ahead the pushed and the queried CoT are dated: each just past the longest a
    conforming unit may take to action it (`eventually`, after the query's deadline for the
    queried one), plus `clear_within`. A unit that schedules it instead of actioning it on
    receipt is then still waiting when that allowance ends (caught), and the watch past the
    implementation time stays short. Without a control to provoke the query the unit's own
    may come as late as timings.observation_window: the queried CoT is then dated an hour ahead."""
    settle = eventually(profile) + clear_within(profile)
    how = steps.provocation(bench)
    return settle, (steps.query_deadline(profile, how) + settle if how is not None else float(HOUR))


def _future_cot_on_receipt(bench: Bench, profile: Profile) -> None:
    """on_receipt: a CoT dated ahead is actioned on receipt, pushed and learnt by the unit's
    own query (Get CoT or Read Attributes, whichever it declares), and never actioned again:
    the new occupier's data stays past the implementation time (a unit whose generic SE
    scheduler also fires then would wipe it).

    First, pushed CoTs dated far ahead (FUTURE_DATES), each actioned on receipt: a unit that
    ignores, or schedules, a date past some window passes the near one. Only under Get Change
    of Tenancy: a unit reading 0x0200 tells CoTs apart by that date alone, so after one dated a
    year ahead no later CoT of the run could be newer."""
    if profile.behaviour.query_method is QueryMethod.GET_CHANGE_OF_TENANCY:
        for ahead, words in FUTURE_DATES:
            with allure.step(f"Pushed: Publish CoT dated {words} ahead"):
                _cot_actioned_on_receipt(
                    bench,
                    profile,
                    zcl_now(bench) + ahead,
                    f"an implementation time {words} ahead (behaviour.implementation_time on_receipt)",
                )
    else:
        attach_text("far-future dates", "not sent: behaviour.query_method is read_attributes (0x0200 identifies)")
    classes = stored_and_shown(bench, profile)
    pushed_lead, queried_lead = _leads(bench, profile)
    due = zcl_now(bench) + math.ceil(pushed_lead)
    with allure.step(f"Pushed: Publish CoT with an implementation time {math.ceil(pushed_lead)} s ahead"):
        previous, new, event = new_occupier(bench, implementation_time=due)
        push_cot_from_all(bench, profile, event)
        assert_actioned(
            bench,
            classes,
            previous,
            new,
            eventually(profile),
            f"Publish CoT with an implementation time {math.ceil(pushed_lead)} s ahead, past the {eventually(profile):g} s "
            "a unit is given to action it (behaviour.implementation_time on_receipt)",
        )
        for dc in classes:
            bench.observing.require_shown(dc, new, previous, role="new")
    resident, other = new, previous
    unjudged = ""
    # Dated after the pushed one (a unit reading 0x0200 tells CoTs apart by that date/time only).
    due_q = max(due + 1, zcl_now(bench) + math.ceil(queried_lead))
    with allure.step(
        f"Learnt by query ({profile.behaviour.query_method}): the meters hold a newer CoT dated "
        f"{due_q - zcl_now(bench)} s ahead, never pushed"
    ):
        previous_q, new_q, _event = new_occupier(bench, implementation_time=due_q)
        queried = steps.provoke_query(bench, profile, bench.loop.now())
        learnt_at = _learnt_by_query_at(bench, profile, queried)
        if learnt_at is None:
            unjudged = (
                f"no CoT query reached every meter it needs after {queried.how} (POLL-01..03 judge that): "
                "a future-dated CoT learnt by query could not be judged"
            )
            attach_text("learnt by query", f"not judged: {unjudged}")
        else:
            assert_actioned(
                bench,
                classes,
                previous_q,
                new_q,
                max(0.0, learnt_at + eventually(profile) - bench.loop.now()),
                f"the meters held a CoT with a future implementation time, never pushed; after "
                f"{queried.how} the unit queried them ({profile.behaviour.query_method}, "
                f"{learnt_at - queried.since:.1f} s later) and was answered with it (behaviour.implementation_time "
                "on_receipt)",
            )
            for dc in classes:
                bench.observing.require_shown(dc, new_q, previous_q, role="new")
            resident, other = new_q, previous_q
    retained_until(
        bench,
        classes,
        resident,
        other,
        max(due, due_q) + UNIX_OFFSET + clear_within(profile),
        lambda: None,
        "CoTs dated ahead actioned on receipt (behaviour.implementation_time on_receipt), past their "
        "implementation time and the clear_within a unit is given: an event actioned is not actioned again",
    )
    if unjudged:
        raise PreconditionNotMet(unjudged)


@case("IMPL-02")
def test_impl_02(bench: Bench, profile: Profile) -> None:
    if profile.behaviour.implementation_time is ImplementationTime.ON_RECEIPT:
        _future_cot_on_receipt(bench, profile)
        return
    classes = stored_and_shown(bench, profile)
    due_in = steps.scheduled_lead(profile)
    previous, new, event = new_occupier(bench, implementation_time=zcl_now(bench) + math.ceil(due_in))
    sent_at = bench.loop.now()

    def schedule_then_restart() -> None:
        for sent in push_cot_from_all(bench, profile, event):
            # Restart only once the unit has acknowledged the CoT: one lost on the air
            # would test nothing.
            if steps.await_default_response(bench, sent, steps.response_timeout(profile)) is None:
                bench.loop.hold(steps.response_timeout(profile), "the scheduled CoT to arrive")
        # A pending CoT must survive the unit losing power: the meters still hold it, and
        # the unit's start-up query learns it again (a timer kept in RAM only is lost).
        steps.restart(bench, profile, "while the CoT is pending")

    retained_until(
        bench,
        classes,
        previous,
        new,
        sent_at + due_in - steps.response_timeout(profile),
        schedule_then_restart,
        f"a CoT scheduled {due_in:g} s ahead (behaviour.implementation_time scheduled) and the unit power-cycled "
        "(else rejoined) while it was pending, before that time",
    )
    with allure.step("After the implementation time the CoT is actioned"):
        assert_actioned(
            bench,
            classes,
            previous,
            new,
            steps.response_timeout(profile) + eventually(profile),
            "a scheduled CoT reached its implementation time (the unit power-cycled, else rejoined, while it was "
            "pending)",
        )


@case("IMPL-04")
def test_impl_04(bench: Bench, profile: Profile) -> None:
    applies(
        profile.behaviour.implementation_time is ImplementationTime.SCHEDULED,
        "behaviour.implementation_time",
        "is on_receipt: 0xFFFFFFFF cancels only a scheduled CoT",
    )
    classes = stored_and_shown(bench, profile)
    due_in = steps.scheduled_lead(profile)
    previous, new, event = new_occupier(bench, implementation_time=zcl_now(bench) + math.ceil(due_in))
    cancel = CotEvent(issuer_event_id=event.issuer_event_id, implementation_time=CANCEL)

    def schedule_then_cancel() -> None:
        for sent in push_cot_from_all(bench, profile, event):
            # Cancel only what the unit has acknowledged: a cancel overtaking the CoT on
            # the air would test nothing.
            if steps.await_default_response(bench, sent, steps.response_timeout(profile)) is None:
                bench.loop.hold(steps.response_timeout(profile), "the scheduled CoT to arrive")
        with allure.step("The meters cancel it: the same Issuer Event ID with implementation time 0xFFFFFFFF"):
            bench.occupancy.cancel_move(cancel)  # the previous occupier stays
            push_cot_from_all(bench, profile, cancel)
        # A cancel is never a CoT: one that finds nothing pending (this one was cancelled)
        # clears nothing either (a unit taking "cancel, else action now" would clear here).
        with allure.step("The meters send the cancel again: nothing is pending now"):
            push_cot_from_all(bench, profile, cancel)

    retained(
        bench,
        classes,
        previous,
        new,
        due_in + eventually(profile),
        schedule_then_cancel,
        "a scheduled CoT cancelled with implementation time 0xFFFFFFFF (sent twice, the second finding nothing "
        "pending), past its original time",
    )
