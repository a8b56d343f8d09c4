"""The query soak POLL-03, POLL-04, POLL-07 and POLL-08 share, and the meters' query log.

Not a test module: test_05_query.py takes the soak from here once, whichever of its cases
runs first, so a real bench spends one soak, not four, on the periodic-query cases.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import allure
import pytest

from harness.bench import Bench
from harness.domain import DataClass
from harness.errors import PreconditionNotMet
from harness.esi.meter import CotEvent, Query
from harness.esi.tenant import Tenant
from harness.observe.base import Observation
from harness.profile import ClearScope, Profile, QueryMethod
from harness.radio.trace import FrameRecord
from harness.zcl.codec import Direction
from harness.zcl.header import header_or_none, tsn_of
from testcases import steps
from testcases.steps import attach_text, eventually

QUERY_COMMAND = {
    QueryMethod.GET_CHANGE_OF_TENANCY: "get_change_of_tenancy",
    QueryMethod.READ_ATTRIBUTES: "read_attributes",
}
# Each part of the soak is longer than max_interval, so a unit that stops asking in
# either state leaves a gap longer than max_interval inside the soak.
SOAK_PART = 1.1
NOT_FOUND_PART, COT_HELD_PART = "while the meters answered NOT_FOUND", "while the meters held a new CoT"


def is_publish_cot(payload: bytes) -> bool:
    header = header_or_none(payload)
    return (
        header is not None
        and header.cluster_specific
        and header.direction is Direction.TO_CLIENT
        and header.command_id == steps.PUBLISH_COT
    )


def query_log(queries: list[Query], since: float) -> str:
    return "\n".join(f"+{q.at - since:10.1f} s  {q.command}" for q in queries) or "(no CoT query)"


def pushed_since(bench: Bench, since: float) -> list[FrameRecord]:
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
        and is_publish_cot(r.payload)
        and tsn_of(r.payload) not in answered
    ]


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


def shared_soak(bench: Bench, profile: Profile, case_id: str) -> QuerySoak:
    if not bench.han.virtual_time and not bench.soak:
        pytest.skip("soak case on hardware: run with --soak (it lasts about 2.2 x timings.poll.max_interval)")
    soak = next((taken for owner, taken in _SOAKS if owner is bench), None)
    if soak is None:
        soak = take_soak(bench, profile, case_id)
        _SOAKS.append((bench, soak))
    else:
        attach_text(
            "soak",
            f"the query soak was taken during {soak.taken_in} (its frame trace holds the frames), "
            f"from {soak.start:.1f} s to {soak.end:.1f} s bench time; NOT_FOUND until {soak.cot_set_at:.1f} s",
        )
    return soak


def nth_answered(queries: dict[str, list[Query]], scope: ClearScope, n: int) -> float | None:
    """When the meters whose answers carry the CoT for all of the unit's data had their n-th
    CoT query of `queries` (any one meter under clear_scope all, every one under fuel)."""
    times = [qs[n - 1].at for qs in queries.values() if len(qs) >= n]
    if scope is ClearScope.FUEL:
        return max(times) if len(times) == len(queries) else None
    return min(times, default=None)


def answered_at(bench: Bench, profile: Profile, since: float, n: int) -> float | None:
    """nth_answered over the meters' log since `since` (read on the bench loop)."""
    queries = {source: m.cot_queries(since) for source, m in bench.meters.items()}
    return nth_answered(queries, profile.behaviour.clear_scope, n)


def learnt_by_query(
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
                lambda n=n: answered_at(bench, profile, since, n), until - bench.loop.now(), "a periodic CoT query"
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


def take_soak(bench: Bench, profile: Profile, case_id: str) -> QuerySoak:
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
            cleared = learnt_by_query(bench, profile, classes, previous, new, cot_set_at, cot_set_at + held_for)
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


def soak_per_meter(bench: Bench, soak: QuerySoak) -> Iterator[tuple[str, str, list[Query]]]:
    """Each meter's CoT queries over the soak (attached): (source, label, queries)."""
    for source, queries in soak.queries.items():
        label = bench.meters[source].label
        attach_text(
            f"{label} CoT queries",
            f"NOT_FOUND until +{soak.cot_set_at - soak.start:.1f} s, then a new CoT held\n"
            + query_log(queries, soak.start),
        )
        yield source, label, queries
