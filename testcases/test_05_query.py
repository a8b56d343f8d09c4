"""Query behaviour (the SECMP0056 pull model): POLL-01 .. POLL-08.

The meters log every request with the bench time it arrived; these cases judge that log.
POLL-03, POLL-04, POLL-07 and POLL-08 need days of observation: virtual time in simulation,
a soak run (marker `soak`) on hardware. They share one soak (QuerySoak), taken by whichever
of them runs first: first the meters answer NOT_FOUND, then they hold a new CoT that is
never pushed, while the unit stays on the network. So query spacing is judged in both
states, the CoT must be learnt by a periodic query, and the soak is taken once, not four times.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import allure
import pytest

from harness.bench import Bench
from harness.catalogue import case
from harness.domain import DataClass
from harness.errors import BenchError, PreconditionNotMet
from harness.esi.meter import CotEvent, Query
from harness.esi.tenant import Tenant
from harness.evidence.measurements import record
from harness.observe.base import Observation
from harness.plugin import applies
from harness.profile import ClearScope, Profile, QueryMethod
from harness.radio.trace import FrameRecord
from harness.zcl.codec import Direction
from harness.zcl.header import header_or_none, tsn_of
from testcases import steps
from testcases.steps import attach_text, eventually, stored_and_shown

QUERY_COMMAND = {
    QueryMethod.GET_CHANGE_OF_TENANCY: "get_change_of_tenancy",
    QueryMethod.READ_ATTRIBUTES: "read_attributes",
}
# Each part of the soak is longer than max_interval, so a unit that stops asking in
# either state leaves a gap longer than max_interval inside the soak.
SOAK_PART = 1.1
NOT_FOUND_PART, COT_HELD_PART = "while the meters answered NOT_FOUND", "while the meters held a new CoT"


def _is_publish_cot(payload: bytes) -> bool:
    header = header_or_none(payload)
    return (
        header is not None
        and header.cluster_specific
        and header.direction is Direction.TO_CLIENT
        and header.command_id == steps.PUBLISH_COT
    )


def _log(queries: list[Query], since: float) -> str:
    return "\n".join(f"+{q.at - since:10.1f} s  {q.command}" for q in queries) or "(no CoT query)"


def _pushed_since(bench: Bench, since: float) -> list[FrameRecord]:
    """Publish CoT frames the harness sent the unit since `since` that answered no query of
    the unit's (an answer echoes the query's TSN): the pull cases must never push."""
    answered = {tsn_of(q.record.payload) for m in bench.meters.values() for q in m.queries}
    return [
        r
        for r in bench.link.frames_since(0)
        if r.timestamp >= since
        and r.direction == "tx"
        and r.cluster_id == steps.DEVICE_MANAGEMENT
        and r.dst_nwk == bench.uut_nwk
        and _is_publish_cot(r.payload)
        and tsn_of(r.payload) not in answered
    ]


def _await_queries(bench: Bench, profile: Profile, since: float, timeout: float, what: str) -> dict[str, list[Query]]:
    """Wait until every declared meter has had a CoT query after `since`, or the deadline."""

    def all_queried() -> bool:
        return all(m.cot_queries(since) for m in bench.meters.values())

    try:
        bench.loop.wait_for(all_queried, timeout, what)
    except TimeoutError:
        pass
    return {source: m.cot_queries(since) for source, m in bench.meters.items()}


def _assert_each_queried(
    bench: Bench, profile: Profile, found: dict[str, list[Query]], since: float, timeout: float, field: str, event: str
) -> None:
    method = profile.behaviour.query_method
    for source, queries in found.items():
        label = bench.meters[source].label
        attach_text(f"{label} CoT queries", _log(queries, since))
        in_time = [q for q in queries if q.at - since <= timeout]
        assert in_time, f"after {event}, {label} received no CoT query within {field} ({timeout:g} s)"
        record(f"{source} CoT query latency after {event}", in_time[0].at - since, "s", high=timeout)
        # Every query in the window, not the first only: a unit may ask twice, the second way wrong.
        wrong = next((q for q in in_time if q.command != QUERY_COMMAND[method]), None)
        assert wrong is None, (
            f"after {event}, {label} was queried by {wrong.command} (+{wrong.at - since:.1f} s); "
            f"behaviour.query_method declares {method}"
        )


@case("POLL-01")
def test_poll_01(bench: Bench, profile: Profile) -> None:
    timeout = profile.timings.poll.after_join.total_seconds()
    assert bench.controls is not None
    if bench.controls.available("power_control"):
        since = bench.loop.now()
        with allure.step("Power-cycle the unit"):
            bench.controls.power_cycle()
        event = "power-on"
    else:
        since = bench.join_opened_at
        event = "joining at the start of the run"
    with allure.step(f"Each declared meter is queried within poll.after_join ({timeout:g} s) of {event}"):
        found = _await_queries(bench, profile, since, timeout, "a CoT query at every meter")
    _assert_each_queried(bench, profile, found, since, timeout, "poll.after_join", event)


@case("POLL-02")
def test_poll_02(bench: Bench, profile: Profile) -> None:
    assert bench.controls is not None
    applies(bench.controls.available("rejoin_control"), "bench.rejoin_control", "is none")
    timeout = profile.timings.poll.after_rejoin.total_seconds()
    since = bench.loop.now()
    with allure.step("Make the unit leave and rejoin"):
        bench.controls.rejoin()
    with allure.step(f"Each declared meter is queried within poll.after_rejoin ({timeout:g} s)"):
        found = _await_queries(bench, profile, since, timeout, "a CoT query at every meter after the rejoin")
    _assert_each_queried(bench, profile, found, since, timeout, "poll.after_rejoin", "the rejoin")


# -- the shared soak ---------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class PullByQuery:
    """POLL-07's stimulus inside the soak: a new occupier, the CoT only held by the meters."""

    classes: list[DataClass]
    previous: Tenant
    new: Tenant
    event: CotEvent
    cleared: Observation | None  # the first class seen without the previous occupier's data


@dataclasses.dataclass(frozen=True)
class QuerySoak:
    taken_in: str  # the case that took it (its frame trace holds the soak's frames)
    start: float
    cot_set_at: float  # the NOT_FOUND part ends and the new CoT is held from here
    end: float
    queries: dict[str, list[Query]]  # each meter's CoT queries within the soak
    pull: PullByQuery | None  # None: the unit stores nothing, or the precondition failed
    pull_precondition: PreconditionNotMet | None

    def part(self, at: float) -> str:
        return NOT_FOUND_PART if at < self.cot_set_at else COT_HELD_PART


_SOAKS: list[tuple[Bench, QuerySoak]] = []  # the soak of each bench (one per session), by identity


def _shared_soak(bench: Bench, profile: Profile, case_id: str) -> QuerySoak:
    if not bench.han.virtual_time and not bench.soak:
        pytest.skip("soak case on hardware: run with --soak (it lasts about 2.2 x timings.poll.max_interval)")
    soak = next((taken for owner, taken in _SOAKS if owner is bench), None)
    if soak is None:
        soak = _take_soak(bench, profile, case_id)
        _SOAKS.append((bench, soak))
    else:
        attach_text(
            "soak",
            f"the query soak was taken during {soak.taken_in} (its frame trace holds the frames), "
            f"from {soak.start:.1f} s to {soak.end:.1f} s bench time; NOT_FOUND until {soak.cot_set_at:.1f} s",
        )
    return soak


def _nth_answered(queries: dict[str, list[Query]], scope: ClearScope, n: int) -> float | None:
    """When the meters whose answers carry the CoT for all of the unit's data had their n-th
    CoT query of `queries` (any one meter under clear_scope all, every one under fuel)."""
    times = [qs[n - 1].at for qs in queries.values() if len(qs) >= n]
    if scope is ClearScope.FUEL:
        return max(times) if len(times) == len(queries) else None
    return min(times, default=None)


def _answered(bench: Bench, profile: Profile, since: float, n: int) -> float | None:
    """_nth_answered over the meters' log since `since` (read on the bench loop)."""
    queries = {source: m.cot_queries(since) for source, m in bench.meters.items()}
    return _nth_answered(queries, profile.behaviour.clear_scope, n)


def _learnt_by_query(
    bench: Bench,
    profile: Profile,
    classes: list[DataClass],
    previous: Tenant,
    new: Tenant,
    since: float,
    until: float,
) -> Observation | None:
    """The first class seen cleared within `eventually` of a query answered with the CoT:
    the next query, or one of timings.retries after it (answers lost on the air). Each wait
    starts from the query in the meters' log, so a polled observer's interval is set by
    eventually, not by the whole soak."""
    settle = eventually(profile)
    for n in range(1, 2 + profile.timings.retries):
        if until <= bench.loop.now():
            return None
        try:
            asked_at = bench.loop.wait_for(
                lambda n=n: _answered(bench, profile, since, n), until - bench.loop.now(), "a periodic CoT query"
            )
        except TimeoutError:
            return None
        found = bench.observing.first_seen(
            classes,
            previous,
            new,
            lambda o: not o.shows_previous,
            max(0.0, asked_at + settle - bench.loop.now()),
            "the CoT learnt by a periodic query (the previous occupier's data cleared)",
            until="any",
        )
        cleared = min((seen for seen in found.values() if seen is not None), key=lambda o: o.at, default=None)
        if cleared is not None:
            return cleared
    return None


def _take_soak(bench: Bench, profile: Profile, case_id: str) -> QuerySoak:
    """The unit on the network, undisturbed but for what the meters answer: NOT_FOUND for
    SOAK_PART x max_interval, then a new CoT they hold but never push, long enough for one
    periodic query and its actioning."""
    max_interval = profile.timings.poll.max_interval.total_seconds()
    start = bench.loop.now()
    not_found_for = SOAK_PART * max_interval
    with allure.step(f"Soak, part 1: the meters hold no CoT (Get CoT answered NOT_FOUND) for {not_found_for:g} s"):
        bench.occupancy.set_meters(cot=None)
        bench.loop.hold(not_found_for, "the query soak, the meters answering NOT_FOUND")
    classes = steps.stored(profile)
    precondition = None
    if classes:
        try:
            steps.require_resident_shown(bench, classes)
        except PreconditionNotMet as error:
            precondition = error  # POLL-07's to report; the soak goes on for the others
    previous, new, event = steps.new_occupier(bench)  # held by the meters, never pushed
    cot_set_at = bench.loop.now()
    held_for = max(SOAK_PART * max_interval, max_interval + eventually(profile))
    cleared = None
    with allure.step(f"Soak, part 2: the meters hold the new CoT for {held_for:g} s, never pushed; the unit stays on"):
        if classes and precondition is None:
            cleared = _learnt_by_query(bench, profile, classes, previous, new, cot_set_at, cot_set_at + held_for)
        rest = cot_set_at + held_for - bench.loop.now()
        if rest > 0:
            bench.loop.hold(rest, "the query soak, the meters holding a new CoT")
    end = bench.loop.now()
    queries = {source: [q for q in m.cot_queries(start) if q.at <= end] for source, m in bench.meters.items()}
    if cleared is None:
        # POLL-07 judges that; the later cases need the unit to show who lives there now.
        with allure.step("The soak is over and its CoT was not seen actioned: the meters now push it"):
            steps.push_cot_from_all(bench, profile, event)
    pull = PullByQuery(classes, previous, new, event, cleared) if classes and precondition is None else None
    return QuerySoak(case_id, start, cot_set_at, end, queries, pull, precondition)


def _soak_per_meter(bench: Bench, soak: QuerySoak) -> Iterator[tuple[str, str, list[Query]]]:
    """Each meter's CoT queries over the soak (attached): (source, label, queries)."""
    for source, queries in soak.queries.items():
        label = bench.meters[source].label
        attach_text(
            f"{label} CoT queries",
            f"NOT_FOUND until +{soak.cot_set_at - soak.start:.1f} s, then a new CoT held\n" + _log(queries, soak.start),
        )
        yield source, label, queries


@case("POLL-03")
@pytest.mark.soak
def test_poll_03(bench: Bench, profile: Profile) -> None:
    limit = profile.timings.poll.max_interval.total_seconds()
    soak = _shared_soak(bench, profile, "POLL-03")
    for source, label, queries in _soak_per_meter(bench, soak):
        times = [soak.start] + [q.at for q in queries] + [soak.end]
        began, ended = max(zip(times, times[1:], strict=False), key=lambda gap: gap[1] - gap[0])
        worst = ended - began
        record(f"{source} longest gap between CoT queries", worst, "s", high=limit)
        record(f"{source} CoT queries in the soak", len(queries), "queries")
        assert worst <= limit, (
            f"{label}: {len(queries)} CoT queries in {soak.end - soak.start:g} s; the longest time without one was "
            f"{worst:g} s (from +{began - soak.start:.1f} s to +{ended - soak.start:.1f} s of the soak; the meters "
            f"answered NOT_FOUND until +{soak.cot_set_at - soak.start:.1f} s, then held a new CoT), "
            f"more than poll.max_interval ({limit:g} s)"
        )


@case("POLL-04")
@pytest.mark.soak
def test_poll_04(bench: Bench, profile: Profile) -> None:
    limit = profile.timings.poll.min_interval.total_seconds()
    soak = _shared_soak(bench, profile, "POLL-04")
    for source, label, queries in _soak_per_meter(bench, soak):
        pairs = list(zip(queries, queries[1:], strict=False))
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
            f"({len(queries)} queries in {soak.end - soak.start:g} s, the unit left undisturbed)"
        )


@case("POLL-05")
def test_poll_05(bench: Bench, profile: Profile) -> None:
    assert bench.controls is not None
    applies(bench.controls.available("power_control"), "bench.power_control", "is none")
    classes = stored_and_shown(bench, profile)
    with allure.step("Switch the unit off"):
        bench.controls.power_off()
    previous, new, event = steps.new_occupier(bench)  # held by the meters, never pushed
    since = bench.loop.now()
    with allure.step("Switch the unit on: it must learn the CoT by querying"):
        bench.controls.power_on()
    timeout = profile.timings.poll.after_join.total_seconds() + eventually(profile)
    steps.assert_actioned(
        bench, classes, previous, new, timeout, "a CoT was set while the unit was off the network (no push)"
    )
    pushed = _pushed_since(bench, since)
    attach_text("pushes", f"{len(pushed)} unsolicited Publish CoT sent by the harness (must be 0)")
    assert not pushed, "the harness pushed a CoT in POLL-05: the case would not test the pull model"


@case("POLL-06")
def test_poll_06(bench: Bench, profile: Profile) -> None:
    declared = set(steps.sources(profile))
    applies(declared >= {"esme", "gpf"}, "esi.sources", f"is {sorted(declared)}, not dual fuel (esme and gpf)")
    since = bench.join_opened_at
    timeout = profile.timings.poll.after_join.total_seconds()
    found = _await_queries(bench, profile, since, timeout, "a CoT query at the ESME and the GPF")
    for source, queries in found.items():
        label = bench.meters[source].label
        attach_text(f"{label} CoT queries", _log(queries, since))
        assert queries, f"a dual-fuel unit must query both meters; {label} was never queried since the unit joined"


@case("POLL-07")
@pytest.mark.soak
def test_poll_07(bench: Bench, profile: Profile) -> None:
    steps.require_stored(profile)
    soak = _shared_soak(bench, profile, "POLL-07")
    if soak.pull_precondition is not None:
        raise soak.pull_precondition
    pull = soak.pull
    assert pull is not None
    max_interval = profile.timings.poll.max_interval.total_seconds()
    settle = eventually(profile)
    stimulus = (
        f"the meters held a new CoT (Issuer Event ID 0x{pull.event.issuer_event_id:08X}) from "
        f"+{soak.cot_set_at - soak.start:.1f} s of the soak, never pushed, while the unit stayed on the network"
    )
    pushed = _pushed_since(bench, soak.cot_set_at)
    pushed = [r for r in pushed if r.timestamp < soak.end]  # the catch-up push comes after it
    attach_text("pushes", f"{len(pushed)} unsolicited Publish CoT sent by the harness during the soak (must be 0)")
    if pushed:  # the harness's own fault, never the unit's
        raise BenchError("the harness pushed a CoT during the soak: POLL-07 would not test the pull model")
    # Each meter's queries after the CoT was set: the next one's answer carries it. Up to
    # timings.retries more are allowed for answers lost on the air (a unit asks again only
    # at its next periodic query), each one a visible step.
    retries = profile.timings.retries
    after = {s: [q for q in queries if q.at >= soak.cot_set_at] for s, queries in soak.queries.items()}
    attach_text(
        "CoT queries after the CoT was set",
        "\n".join(f"{bench.meters[s].label}:\n" + _log(queries, soak.cot_set_at) for s, queries in after.items()),
    )
    asked = {s: queries for s, queries in after.items() if queries}
    assert asked, (
        f"{stimulus}; expected a CoT query within poll.max_interval ({max_interval:g} s) and the CoT actioned; "
        f"no meter received a CoT query in the {soak.end - soak.cot_set_at:g} s that followed"
    )
    scope = profile.behaviour.clear_scope
    if scope is ClearScope.FUEL:
        # Each meter's CoT clears its own fuel: it is learnt once every meter has answered.
        missing = [bench.meters[s].label for s in after if s not in asked]
        assert not missing, (
            f"{stimulus}; behaviour.clear_scope fuel: each meter's CoT clears its fuel, so each meter must be "
            f"queried; {', '.join(missing)} received no CoT query in the {soak.end - soak.cot_set_at:g} s that followed"
        )
    learnt_at = _nth_answered(after, scope, 1)
    assert learnt_at is not None
    allowed_until = max(t for n in range(1, 2 + retries) if (t := _nth_answered(after, scope, n)) is not None)
    asked_after = learnt_at - soak.cot_set_at
    record("CoT learnt by periodic query: query after the CoT was set", asked_after, "s", high=max_interval)
    assert asked_after <= max_interval, (
        f"{stimulus}; the unit's next CoT query came {asked_after:g} s after the CoT was set, later than "
        f"poll.max_interval ({max_interval:g} s): the CoT was not learnt in time"
    )
    cleared = pull.cleared
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


@case("POLL-08")
@pytest.mark.soak
def test_poll_08(bench: Bench, profile: Profile) -> None:
    # The soak puts periodic queries, answered NOT_FOUND and answered with a CoT, in the log
    # beside those after join (and rejoin, POLL-02): the whole log is judged.
    soak = _shared_soak(bench, profile, "POLL-08")
    method = profile.behaviour.query_method
    wanted = QUERY_COMMAND[method]
    since = bench.join_opened_at
    judged = 0
    wrong: list[str] = []
    for meter in bench.meters.values():
        queries = meter.cot_queries(since)
        judged += len(queries)
        attach_text(f"{meter.label} CoT queries since the unit joined", _log(queries, since))
        for q in queries:
            if q.command != wanted:
                when = soak.part(q.at) if soak.start <= q.at <= soak.end else "outside the soak"
                wrong.append(f"{meter.label} +{q.at - since:.1f} s ({when}): {q.command}")
    record("CoT queries judged", judged, "queries")
    if not judged:
        raise PreconditionNotMet("the unit made no CoT query at all since it joined: there is no query method to judge")
    assert not wrong, (
        f"behaviour.query_method declares {method} for every CoT query; {len(wrong)} of the {judged} CoT queries "
        f"since the unit joined were made another way: " + "; ".join(wrong[:5]) + (" ..." if len(wrong) > 5 else "")
    )
