"""Query behaviour (the SECMP0056 pull model): POLL-01 .. POLL-08.

The meters log every request with the bench time it arrived; these cases judge that log.
POLL-03, POLL-04, POLL-07 and POLL-08 need a query interval of observation: virtual time in
simulation, a soak run (marker `soak`) on hardware. They share one soak (QuerySoak, with
CLR-08 and NEG-01), taken by whichever runs first: after a provoked anchor query, first the
meters answer NOT_FOUND, then they hold a new CoT that is never pushed, while the unit stays
on the network. So query spacing is judged in both states, the CoT must be learnt by a
periodic query, and the soak is taken once, not six times.
"""

from __future__ import annotations

import allure
import pytest

from harness.bench import Bench
from harness.catalogue import case
from harness.errors import BenchError, PreconditionNotMet
from harness.esi.meter import Query
from harness.evidence.measurements import record
from harness.plugin import applies
from harness.profile import ClearScope, Profile
from harness.radio.trace import announced, normal_ieee
from testcases import steps
from testcases.query_soak import (
    COT_HELD_PART,
    NOT_FOUND_PART,
    QUERY_COMMAND,
    nth_answered,
    pushed_since,
    query_log,
    shared_soak,
    soak_per_meter,
)
from testcases.steps import attach_text, eventually, stored_and_shown


def _await_queries(bench: Bench, profile: Profile, since: float, timeout: float, what: str) -> dict[str, list[Query]]:
    """Wait until every declared meter has had a CoT query after `since`, or the deadline."""

    def all_queried() -> bool:
        return all(m.cot_queries(since) for m in bench.meters.values())

    try:
        bench.loop.wait_for(all_queried, timeout, what)
    except TimeoutError:
        pass
    return {source: m.cot_queries(since) for source, m in bench.meters.items()}


def _each_queried(bench: Bench, profile: Profile, since: float, timeout: float, field: str, event: str) -> None:
    """Every declared meter has a CoT query within `timeout` of `since`, each made the way
    behaviour.query_method declares: waited for and judged in one step."""
    method = profile.behaviour.query_method
    with allure.step(
        f"Each declared meter is queried within {field} ({timeout:g} s) of {event}, by {QUERY_COMMAND[method]} "
        f"(behaviour.query_method)"
    ):
        found = _await_queries(bench, profile, since, timeout, f"a CoT query at every meter after {event}")
        for source, queries in found.items():
            attach_text(f"{bench.meters[source].label} CoT queries", query_log(queries, since))
        for source, queries in found.items():
            label = bench.meters[source].label
            in_time = [q for q in queries if q.at - since <= timeout]
            assert in_time, f"after {event}, {label} received no CoT query within {field} ({timeout:g} s)" + (
                f"; the first came +{queries[0].at - since:.1f} s after" if queries else ""
            )
            record(f"{source} CoT query latency after {event}", in_time[0].at - since, "s", high=timeout)
            # Every query in the window, not the first only: a unit may ask twice, the second way wrong.
            wrong = next((q for q in in_time if q.command != QUERY_COMMAND[method]), None)
            assert wrong is None, (
                f"after {event}, {label} was queried by {wrong.command} (+{wrong.at - since:.1f} s); "
                f"behaviour.query_method declares {method} ({QUERY_COMMAND[method]})"
            )


@case("POLL-01")
def test_poll_01(bench: Bench, profile: Profile) -> None:
    timeout = profile.timings.poll.after_join.total_seconds()
    if bench.controls.available("power_control"):
        since = bench.loop.now()
        with allure.step("Power-cycle the unit"):
            bench.controls.power_cycle()
        event = "power-on"
    else:
        since = bench.join_opened_at
        event = "joining at the start of the run"
    _each_queried(bench, profile, since, timeout, "poll.after_join", event)


@case("POLL-02")
def test_poll_02(bench: Bench, profile: Profile) -> None:
    applies(bench.controls.available("rejoin_control"), "bench.rejoin_control", "is none")
    timeout = profile.timings.poll.after_rejoin.total_seconds()
    since = bench.loop.now()
    with allure.step("Make the unit leave and rejoin"):
        bench.controls.rejoin()
    _each_queried(bench, profile, since, timeout, "poll.after_rejoin", "the rejoin")


@case("POLL-03")
@pytest.mark.soak
def test_poll_03(bench: Bench, profile: Profile) -> None:
    limit = profile.timings.poll.max_interval.total_seconds()
    soak = shared_soak(bench, profile, "POLL-03")
    for source, label, queries in soak_per_meter(bench, soak):
        with allure.step(f"{label}: no time without a CoT query longer than poll.max_interval ({limit:g} s)"):
            # From the anchor query on: a conforming unit queries within max_interval of
            # its query after a rejoin, as of any other.
            times = [soak.anchors[source]] + [q.at for q in soak.periodic(source)] + [soak.end]
            began, ended = max(zip(times, times[1:], strict=False), key=lambda gap: gap[1] - gap[0])
            worst = ended - began
            record(f"{source} longest gap between CoT queries", worst, "s", high=limit)
            record(f"{source} CoT queries in the soak", len(queries), "queries")
            assert worst <= limit, (
                f"{label}: {len(queries)} CoT queries in {soak.end - soak.start:g} s; the longest time without one "
                f"was {worst:g} s (from +{began - soak.start:.1f} s to +{ended - soak.start:.1f} s of the soak, its "
                f"anchor query at +{soak.anchors[source] - soak.start:.1f} s; the meters answered NOT_FOUND until "
                f"+{soak.cot_set_at - soak.start:.1f} s, then held a new CoT), more than poll.max_interval "
                f"({limit:g} s)"
            )


@case("POLL-04")
@pytest.mark.soak
def test_poll_04(bench: Bench, profile: Profile) -> None:
    limit = profile.timings.poll.min_interval.total_seconds()
    soak = shared_soak(bench, profile, "POLL-04")
    for source, label, _queries in soak_per_meter(bench, soak):
        _judge_whole_run(bench, limit, source, label)
        with allure.step(f"{label}: no two CoT queries closer than poll.min_interval ({limit:g} s) while undisturbed"):
            # After the anchor query only: the pair around the provoked query is not undisturbed.
            undisturbed = soak.periodic(source)
            pairs = list(zip(undisturbed, undisturbed[1:], strict=False))
            for part in (NOT_FOUND_PART, COT_HELD_PART):
                gaps = [b.at - a.at for a, b in pairs if soak.part(b.at) == part]
                if gaps:
                    record(f"{source} shortest gap between CoT queries {part}", min(gaps), "s", low=limit)
            close = min(pairs, key=lambda p: p[1].at - p[0].at, default=None)
            if close is None:
                continue
            shortest = close[1].at - close[0].at
            assert shortest >= limit, (
                f"{label}: two CoT queries only {shortest:g} s apart ({soak.part(close[1].at)}, at "
                f"+{close[1].at - soak.start:.1f} s of the soak), less than poll.min_interval ({limit:g} s) "
                f"({len(undisturbed)} queries after the anchor query in {soak.end - soak.anchors[source]:g} s, "
                "the unit left undisturbed)"
            )


def unit_starts(bench: Bench) -> list[tuple[float, int]]:
    """Every time the unit started over in the run so far, as (bench time, trace position):
    each Device_annce it sent (a join, a rejoin, back after a power cycle, whoever caused it)
    and each restart the bench asked for (from when it was asked: an announcement lost on the
    air, or a unit that announces nothing, still counts). The trace position orders a start
    among the queries where the time may not: a frame at or after it came after the start."""
    ieee = normal_ieee(bench.profile.identity.ieee)
    announced_at = [(r.timestamp, r.seq) for r in bench.link.frames_since(0) if (a := announced(r)) and a[1] == ieee]
    asked_at = [(restart.at, restart.position) for restart in bench.controls.actions]
    return sorted(announced_at + asked_at, key=lambda start: start[1])


def _between_starts(queries: list[Query], starts: list[tuple[float, int]]) -> list[tuple[Query, Query]]:
    """Consecutive CoT queries with no start of the unit between them: the first query after a
    start is its start-up query (POLL-01/02), every later one its own timer's. Told apart by
    trace position, not time: a start comes between two queries when the first one's frame
    is before it and the second one's at or after it."""
    return [
        (a, b)
        for a, b in zip(queries, queries[1:], strict=False)
        if not any(a.record.seq < position <= b.record.seq for _at, position in starts)
    ]


def _judge_whole_run(bench: Bench, limit: float, source: str, label: str) -> None:
    """POLL-04 over the whole run so far, not only the soak: after every start (each power
    cycle and rejoin the earlier cases made, the bench's first join) the unit may query at once,
    and then no sooner than poll.min_interval, however soon the next restart comes."""
    starts = unit_starts(bench)
    queries = bench.meters[source].cot_queries(0.0)
    with allure.step(
        f"{label}: over the whole run, no two CoT queries closer than poll.min_interval ({limit:g} s) "
        f"without a start of the unit between them ({len(starts)} starts)"
    ):
        attach_text(
            f"{label} CoT queries of the whole run",
            "\n".join(
                f"+{at - bench.join_opened_at:10.1f} s  {what}"  # from when the bench let the unit join
                for _position, _start_first, at, what in sorted(
                    [(position, 0, at, "the unit starts") for at, position in starts]
                    + [(q.record.seq, 1, q.at, q.command) for q in queries]
                )
            ),
        )
        pairs = _between_starts(queries, starts)
        if not pairs:
            return
        a, b = min(pairs, key=lambda p: p[1].at - p[0].at)
        shortest = b.at - a.at
        record(f"{source} shortest gap between CoT queries between starts", shortest, "s", low=limit)
        assert shortest >= limit, (
            f"{label}: two CoT queries only {shortest:g} s apart (at +{a.at - bench.join_opened_at:.1f} s and "
            f"+{b.at - bench.join_opened_at:.1f} s of the run) "
            f"with no start of the unit between them, less than poll.min_interval ({limit:g} s): only the "
            "first query after a start may come sooner"
        )


@case("POLL-05")
def test_poll_05(bench: Bench, profile: Profile) -> None:
    applies(bench.controls.available("power_control"), "bench.power_control", "is none")
    classes = stored_and_shown(bench, profile)
    with allure.step("Switch the unit off"):
        bench.controls.power_off()
    previous, new, event = steps.new_occupier(bench)  # held by the meters, never pushed
    since = bench.loop.now()
    with allure.step("Switch the unit on: it must learn the CoT by querying"):
        bench.controls.power_on()
    timeout = profile.timings.poll.after_join.total_seconds() + eventually(profile)
    # Every stored class, not "actioned" (one class): a unit whose start-up path skips one
    # class's erase clears it on a push (CLR-01..04 pass) and only here keeps it.
    steps.assert_cleared(
        bench,
        classes,
        previous,
        new,
        timeout,
        f"a CoT (Issuer Event ID 0x{event.issuer_event_id:08X}) was set while the unit was off the network (no "
        "push); it must be learnt by the unit's query at power-on and all of the previous occupier's data cleared",
    )
    # CLR-06's rule on the pull path: the new occupier shown for every fuel, not left blank
    # until a later refresh (a unit re-fetching only from the meter whose answer told it).
    steps.assert_new_occupier_shown(
        bench,
        profile,
        steps.served_at_move_in(classes),
        previous,
        new,
        steps.clear_within(profile),
        "after the CoT learnt by its query at power-on",
    )
    pushed = pushed_since(bench, since)
    attach_text("pushes", f"{len(pushed)} unsolicited Publish CoT sent by the harness (must be 0)")
    if pushed:  # the harness's own fault, never the unit's
        raise BenchError("the harness pushed a CoT in POLL-05: the case would not test the pull model")


@case("POLL-06")
def test_poll_06(bench: Bench, profile: Profile) -> None:
    declared = set(steps.sources(profile))
    applies(declared >= {"esme", "gpf"}, "esi.sources", f"is {sorted(declared)}, not dual fuel (esme and gpf)")
    since = bench.join_opened_at
    timeout = profile.timings.poll.after_join.total_seconds()
    with allure.step(
        f"Both meters, the ESME and the GPF, are queried for the CoT (waited up to poll.after_join, "
        f"{timeout:g} s, from the join)"
    ):
        found = _await_queries(bench, profile, since, timeout, "a CoT query at the ESME and the GPF")
        for source, queries in found.items():
            attach_text(f"{bench.meters[source].label} CoT queries", query_log(queries, since))
        for source, queries in found.items():
            label = bench.meters[source].label
            assert queries, (
                f"a dual-fuel unit must query both meters; {label} was never queried since the unit joined "
                f"(waited {timeout:g} s, poll.after_join, from the join)"
            )


@case("POLL-07")
@pytest.mark.soak
def test_poll_07(bench: Bench, profile: Profile) -> None:
    steps.require_stored(profile)
    soak = shared_soak(bench, profile, "POLL-07")
    if soak.pull_precondition is not None:
        raise soak.pull_precondition
    pull = soak.pull
    if pull is None:  # the soak holds the stimulus whenever the unit stores something and its precondition held
        raise BenchError("the query soak holds no CoT learnt by query (no stimulus was set): POLL-07 cannot judge it")
    max_interval = profile.timings.poll.max_interval.total_seconds()
    settle = eventually(profile)
    stimulus = (
        f"the meters held a new CoT (Issuer Event ID 0x{pull.event.issuer_event_id:08X}) from "
        f"+{soak.cot_set_at - soak.start:.1f} s of the soak, never pushed, while the unit stayed on the network"
    )
    pushed = pushed_since(bench, soak.cot_set_at)
    pushed = [r for r in pushed if r.timestamp < soak.end]  # the catch-up push comes after it
    attach_text("pushes", f"{len(pushed)} unsolicited Publish CoT sent by the harness during the soak (must be 0)")
    if pushed:  # the harness's own fault, never the unit's
        raise BenchError("the harness pushed a CoT during the soak: POLL-07 would not test the pull model")
    # Each meter's queries after the CoT was set: the next one's answer carries it. Up to
    # timings.retries more are allowed for answers lost on the air (a unit asks again only
    # at its next periodic query), each one a visible step.
    retries = profile.timings.retries
    scope = profile.behaviour.clear_scope
    after = {s: [q for q in queries if q.at >= soak.cot_set_at] for s, queries in soak.queries.items()}
    with allure.step(
        f"The unit learns the CoT by a periodic query within poll.max_interval ({max_interval:g} s) of it being set"
        + (" (every meter queried: behaviour.clear_scope fuel)" if scope is ClearScope.FUEL else "")
    ):
        attach_text(
            "CoT queries after the CoT was set",
            "\n".join(
                f"{bench.meters[s].label}:\n" + query_log(queries, soak.cot_set_at) for s, queries in after.items()
            ),
        )
        asked = {s: queries for s, queries in after.items() if queries}
        assert asked, (
            f"{stimulus}; expected a CoT query within poll.max_interval ({max_interval:g} s) and the CoT actioned; "
            f"no meter received a CoT query in the {soak.end - soak.cot_set_at:g} s that followed"
        )
        if scope is ClearScope.FUEL:
            # Each meter's CoT clears its own fuel: it is learnt once every meter has answered.
            missing = [bench.meters[s].label for s in after if s not in asked]
            assert not missing, (
                f"{stimulus}; behaviour.clear_scope fuel: each meter's CoT clears its fuel, so each meter must be "
                f"queried; {', '.join(missing)} received no CoT query in the {soak.end - soak.cot_set_at:g} s "
                "that followed"
            )
        learnt_at = nth_answered(after, scope, 1)
        if learnt_at is None:  # every meter that must answer was queried (judged just above)
            raise BenchError(f"the meters' query log has no first CoT query after the CoT was set ({after})")
        allowed_until = max(t for n in range(1, 2 + retries) if (t := nth_answered(after, scope, n)) is not None)
        asked_after = learnt_at - soak.cot_set_at
        record("CoT learnt by periodic query: query after the CoT was set", asked_after, "s", high=max_interval)
        assert asked_after <= max_interval, (
            f"{stimulus}; the unit's next CoT query came {asked_after:g} s after the CoT was set, later than "
            f"poll.max_interval ({max_interval:g} s): the CoT was not learnt in time"
        )
    cleared = pull.cleared
    with allure.step(
        f"The CoT learnt by that query is actioned, every stored class cleared, within {settle:g} s of it"
    ):
        if cleared is not None:
            attach_text("actioned", f"{cleared.data_class}: {cleared.detail} (+{cleared.at - soak.cot_set_at:.1f} s)")
            record("CoT learnt by periodic query: clearing after the query", cleared.at - learnt_at, "s", high=settle)
            if learnt_at + settle < cleared.at <= allowed_until + settle:
                with allure.step(
                    f"Actioned only after a later query ({cleared.at - learnt_at:.1f} s after the first): tolerated "
                    f"as answers lost on the air, up to timings.retries = {retries} more queries"
                ):
                    pass
        late = "" if cleared is None else f" it was first seen cleared {cleared.at - learnt_at:.1f} s after that query"
        assert cleared is not None and cleared.at <= allowed_until + settle, (
            f"{stimulus}; the unit queried {asked_after:.1f} s after the CoT was set and was answered with it; "
            f"expected the CoT actioned (the previous occupier's data cleared) within {settle:g} s of that query "
            f"(or of one of the {retries} after it, for answers lost on the air);"
            + (late or " nothing was cleared by the end of the soak")
        )
        # Actioned means all of it: a CoT learnt by the unit's periodic query clears every
        # stored class, as a pushed one does (a poll task with a clearing routine of its own
        # that skips one class leaves the previous occupier's data on that screen).
        kept = {dc: seen for dc, seen in pull.cleared_each.items() if seen is None or seen.at > allowed_until + settle}
        for dc in pull.cleared_each:
            seen = pull.cleared_each[dc]
            attach_text(
                f"{dc} after the query",
                f"first seen cleared +{seen.at - learnt_at:.1f} s after the query: {seen.detail}"
                if seen is not None
                else "not seen cleared by the end of the soak",
            )
        assert not kept, (
            f"{stimulus}; the unit queried {asked_after:.1f} s after the CoT was set, was answered with it and "
            f"cleared {cleared.data_class}; expected every stored class cleared within {settle:g} s of that query "
            f"(or of one of the {retries} after it); not cleared in time: "
            + ", ".join(
                f"{dc} ({'never' if seen is None else f'+{seen.at - learnt_at:.1f} s'})" for dc, seen in kept.items()
            )
        )


@case("POLL-08")
@pytest.mark.soak
def test_poll_08(bench: Bench, profile: Profile) -> None:
    # The soak puts periodic queries, answered NOT_FOUND and answered with a CoT, in the log
    # beside those after join (and rejoin, POLL-02): the whole log is judged.
    soak = shared_soak(bench, profile, "POLL-08")
    method = profile.behaviour.query_method
    wanted = QUERY_COMMAND[method]
    since = bench.join_opened_at
    with allure.step(f"Every CoT query since the unit joined is made by {wanted} (behaviour.query_method {method})"):
        judged = 0
        wrong: list[str] = []
        for meter in bench.meters.values():
            queries = meter.cot_queries(since)
            judged += len(queries)
            attach_text(f"{meter.label} CoT queries since the unit joined", query_log(queries, since))
            for q in queries:
                if q.command != wanted:
                    when = soak.part(q.at) if soak.start <= q.at <= soak.end else "outside the soak"
                    wrong.append(f"{meter.label} +{q.at - since:.1f} s ({when}): {q.command}")
        record("CoT queries judged", judged, "queries")
        if not judged:
            raise PreconditionNotMet(
                "the unit made no CoT query at all since it joined: there is no query method to judge"
            )
        assert not wrong, (
            f"behaviour.query_method declares {method} for every CoT query; {len(wrong)} of the {judged} CoT "
            f"queries since the unit joined were made another way: "
            + "; ".join(wrong[:5])
            + (" ..." if len(wrong) > 5 else "")
        )
