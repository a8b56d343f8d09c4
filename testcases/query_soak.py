"""The query soak CLR-08, NEG-01, POLL-03, POLL-04, POLL-07 and POLL-08 share, and the
meters' query log.

Not a test module: the soak is taken once, by whichever of those cases runs first (CLR-08
in a default run), so a real bench spends one query interval, not six, on the cases that
need the unit's own query timer. Its timeline, a being the anchor query:
- start: a CoT pushed and actioned (occupier N shown, N-1 gone);
- anchor: the meters answer NOT_FOUND and a query is provoked by a rejoin (else a power
  cycle; POLL-02/01 prove one follows); without controls, a is the soak's start;
- part 1, [a, a + max_interval/2): NOT_FOUND answers (NEG-01: nothing of N removed);
- part 2, to a + max_interval + eventually + clear_within: a new CoT (N+1) held, never
  pushed (POLL-07: learnt by a periodic query, which a conforming unit makes within
  max_interval of its anchor query, POLL-03, and every stored class cleared);
- throughout: every change of each class is recorded (CLR-08: N-1 never shown again, N
  not after POLL-07's clearing, across the unit's own refreshes).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator

import allure
import pytest

from harness.bench import Bench
from harness.domain import DataClass, Item
from harness.errors import PreconditionNotMet
from harness.esi.meter import CotEvent, Query
from harness.esi.tenant import Tenant
from harness.observe.base import Observation, Watch
from harness.profile import ClearScope, Profile, QueryMethod
from harness.radio.trace import FrameRecord
from harness.zcl.codec import Direction
from harness.zcl.header import header_or_none, tsn_of
from testcases import steps
from testcases.steps import Clearing, attach_text, eventually

QUERY_COMMAND = {
    QueryMethod.GET_CHANGE_OF_TENANCY: "get_change_of_tenancy",
    QueryMethod.READ_ATTRIBUTES: "read_attributes",
}
NOT_FOUND_PART, COT_HELD_PART = "while the meters answered NOT_FOUND", "while the meters held a new CoT"


def part_boundary(profile: Profile, anchor: float) -> float:
    """When part 2 (the new CoT held) begins: half a query interval after the anchor, and a
    little more. A unit's timer restarted by the anchor's rejoin fires at round multiples of
    its period (3 h, 6 h, 12 h after it); a boundary exactly on one would race the unit's
    query against the meters' change of answer at the same virtual instant, and the verdict
    would depend on which thread ran first. Half of clear_within past the half interval is
    on no round multiple, so the query before it meets NOT_FOUND, every time."""
    return anchor + profile.timings.poll.max_interval.total_seconds() / 2 + steps.clear_within(profile) / 2


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
    answered = frozenset().union(*(m.queries.tsns() for m in bench.meters.values()))
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
    # Each class: first seen without the previous occupier's data after the query (None: not
    # in time). A CoT learnt by a periodic query clears every stored class, as a pushed one
    # does (POLL-07 judges each; CLR-08 that none comes back).
    cleared_each: dict[DataClass, Observation | None] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Settled:
    """The soak's start: a CoT pushed and actioned, occupier N shown and N-1 gone (NEG-01 and
    CLR-08 start from it). `cleared` is each class's clearing of N-1's data (steps.clearings)."""

    classes: list[DataClass]
    gone: Tenant  # occupier N-1
    resident: Tenant  # occupier N
    cot: str  # what was sent, for the sentences
    cleared: dict[DataClass, Clearing]


@dataclasses.dataclass(frozen=True)
class Retention:
    """NEG-01's evidence per class over part 1 (the meters answering NOT_FOUND)."""

    lost: frozenset[Item]  # N's items removed during part 1
    first_lost_at: float | None
    gone: bool  # a yes/no observer once said N's data was not shown
    final: Observation  # at the end of part 1
    changes: str


@dataclasses.dataclass(frozen=True)
class QuerySoak:
    taken_in: str  # the case that took it (its frame trace holds the soak's frames)
    start: float
    provoked: str | None  # "rejoin", "power cycle", or None: how the anchor query was provoked
    provoked_at: float  # when (the soak's start without controls)
    anchors: dict[str, float]  # each meter's anchor: its query after the provocation (else provoked_at)
    cot_set_at: float  # the NOT_FOUND part ends and the new CoT is held from here
    end: float
    queries: dict[str, list[Query]]  # each meter's CoT queries from the provocation to the end
    pull: PullByQuery | None  # None: the unit stores nothing, or the precondition failed
    pull_precondition: PreconditionNotMet | None
    settled: Settled | None  # None: the unit stores nothing, or settled_precondition
    settled_precondition: PreconditionNotMet | None
    retention: dict[DataClass, Retention]  # NEG-01's, when settled and N was shown
    retention_precondition: PreconditionNotMet | None
    watches: dict[DataClass, Watch]  # every change of each class from the start state to the end (CLR-08)
    at_end: dict[DataClass, Observation]  # each class at the end (or at the start, if N-1's shown then)

    @property
    def anchor(self) -> float:
        """a: the last meter's anchor (the soak's timeline is measured from it)."""
        return max(self.anchors.values(), default=self.provoked_at)

    def part(self, at: float) -> str:
        return NOT_FOUND_PART if at < self.cot_set_at else COT_HELD_PART

    def periodic(self, source: str) -> list[Query]:
        """A meter's queries after its anchor: those its own timer made (or answers to them)."""
        return [q for q in self.queries[source] if q.at > self.anchors[source]]


_SOAKS: list[tuple[Bench, QuerySoak]] = []  # the soak of each bench (one per session), by identity


def soak_length(profile: Profile) -> float:
    """The soak from its anchor on, for a conforming unit: one max_interval, in which the
    unit's own query comes, then eventually + clear_within for what it learnt to show and
    stay (the estimate, testcases/bench_time.py, reads it too)."""
    return profile.timings.poll.max_interval.total_seconds() + eventually(profile) + steps.clear_within(profile)


def shared_soak(bench: Bench, profile: Profile, case_id: str) -> QuerySoak:
    if not bench.han.virtual_time and not bench.soak:
        pytest.skip(
            "soak case on hardware: run with --soak (it lasts about timings.poll.max_interval + eventually + "
            "clear_within)"
        )
    soak = next((taken for owner, taken in _SOAKS if owner is bench), None)
    if soak is None:
        soak = take_soak(bench, profile, case_id)
        _SOAKS.append((bench, soak))
    else:
        attach_text(
            "soak",
            f"the query soak was taken during {soak.taken_in} (its frame trace holds the frames), "
            f"from {soak.start:.1f} s to {soak.end:.1f} s bench time; anchor query at {soak.anchor:.1f} s"
            f"{f' (provoked by a {soak.provoked})' if soak.provoked else ' (no control: the soak start)'}; "
            f"NOT_FOUND until {soak.cot_set_at:.1f} s",
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
) -> dict[DataClass, Observation | None]:
    """When each class was first seen cleared within `eventually` of a query answered with
    the CoT: the next query, or one of timings.retries after it (answers lost on the air).
    Each wait starts from the query in the meters' log, so a polled observer's interval is
    set by eventually, not by the whole soak; a class seen cleared after one query keeps
    that first sighting, and the waits go on while a class is still shown."""
    settle = eventually(profile)
    cleared: dict[DataClass, Observation | None] = dict.fromkeys(classes)
    for n in range(1, 2 + profile.timings.retries):
        waiting = [dc for dc, seen in cleared.items() if seen is None]
        if not waiting or until <= bench.loop.now():
            break
        try:
            asked_at = bench.loop.wait_for(
                lambda n=n: answered_at(bench, profile, since, n), until - bench.loop.now(), "a periodic CoT query"
            )
        except TimeoutError:
            break
        found = bench.observing.first_seen(
            waiting,
            previous,
            new,
            lambda o: not o.shows_previous,
            max(0.0, asked_at + settle - bench.loop.now()),
            "the CoT learnt by a periodic query (the previous occupier's data cleared)",
        )
        cleared.update({dc: seen for dc, seen in found.items() if seen is not None})
    return cleared


def _settle(bench: Bench, profile: Profile, classes: list[DataClass]) -> Settled:
    """The start state: the meters push a CoT and the unit actions it (occupier N shown)."""
    steps.require_resident_shown(bench, classes)
    gone, resident, event = steps.new_occupier(bench)
    steps.push_cot_from_all(bench, profile, event)
    cleared = steps.clearings(bench, classes, gone, resident, eventually(profile))
    if not any(c.stayed_gone for c in cleared.values()):
        raise PreconditionNotMet(
            "nothing was cleared (and stayed gone) after the CoT that starts the soak, so whether it stays gone "
            "cannot be judged (see CLR-01..04)"
        )
    cot = f"the meters published a Change of Tenancy (Issuer Event ID 0x{event.issuer_event_id:08X})"
    return Settled(classes, gone, resident, cot, cleared)


def _retention(
    bench: Bench, watches: dict[DataClass, Watch], tenant: Tenant, other: Tenant, start: float
) -> dict[DataClass, Retention]:
    """NEG-01's evidence: each class's changes over part 1 (times from the soak's start)."""
    found = {}
    for dc, watch in watches.items():
        lost = frozenset(watch.removed) & tenant.items(dc)
        first = min((at for at, _added, removed in watch.changes if removed & lost), default=None)
        changes = "\n".join(f"+{at - start:.3f} s: added {sorted(a)} removed {sorted(r)}" for at, a, r in watch.changes)
        found[dc] = Retention(lost, first, watch.gone, bench.observing.observe(dc, tenant, other), changes)
    return found


def take_soak(bench: Bench, profile: Profile, case_id: str) -> QuerySoak:
    """The unit on the network, undisturbed but for one provoked query and what the meters
    answer: from a CoT actioned (occupier N), a query provoked by a rejoin (the anchor a),
    NOT_FOUND until a + max_interval/2, then a new CoT they hold but never push, until
    a + max_interval + eventually + clear_within: one periodic query and its actioning."""
    start = bench.loop.now()
    classes = steps.stored(profile)
    settled, settled_precondition = None, None
    if classes:
        with allure.step("Soak, start: a CoT pushed and actioned (the new occupier shown, the previous gone)"):
            try:
                settled = _settle(bench, profile, classes)
            except PreconditionNotMet as error:
                settled_precondition = error  # NEG-01's and CLR-08's to report; the soak goes on for the others
    retention: dict[DataClass, Retention] = {}
    retention_precondition = None
    tenant, other = bench.occupancy.resident, bench.occupancy.upcoming
    with contextlib.ExitStack() as stack:
        whole = stack.enter_context(steps.watching(bench, classes))
        # A class not cleared at the start shows N-1's data in the soak (CLR-08), whatever a
        # later refresh paints over it.
        at_start = (
            {dc: bench.observing.observe(dc, settled.gone, settled.resident) for dc in classes}
            if settled is not None
            else {}
        )
        with allure.step("Soak, part 1: the meters hold no CoT (Get CoT answered NOT_FOUND)"):
            bench.occupancy.set_meters(cot=None)
            if settled is not None:
                try:
                    for dc in classes:
                        bench.observing.require_shown(dc, settled.resident, settled.gone, role="new")
                except PreconditionNotMet as error:
                    retention_precondition = error
            with steps.watching(bench, classes) as part_1:
                how = steps.provocation(bench)
                provoked_at = bench.loop.now()
                anchors: dict[str, float] = {}
                if how is not None:
                    queried = steps.provoke_query(bench, profile, provoked_at)
                    provoked_at = queried.since
                    anchors = {s: t for s, t in queried.at.items() if t is not None}
                anchors = {s: anchors.get(s, provoked_at) for s in bench.meters}
                anchor = max(anchors.values())
                cot_set_at = part_boundary(profile, anchor)
                bench.observing.watch_for(
                    max(0.0, cot_set_at - bench.loop.now()), "the query soak, NOT_FOUND", tenant, other
                )
                part_1.stop()
                if settled is not None and retention_precondition is None:
                    retention = _retention(bench, part_1, settled.resident, settled.gone, start)
        precondition = settled_precondition or retention_precondition
        previous, new, event = steps.new_occupier(bench)  # held by the meters, never pushed
        cot_set_at = bench.loop.now()
        end = anchor + soak_length(profile)
        cleared_each: dict[DataClass, Observation | None] = {}
        with allure.step(
            f"Soak, part 2: the meters hold the new CoT until +{end - start:g} s of the soak (anchor + "
            "poll.max_interval + eventually + clear_within), never pushed; the unit stays on"
        ):
            if classes and precondition is None:
                cleared_each = learnt_by_query(bench, profile, classes, previous, new, cot_set_at, end)
            rest = end - bench.loop.now()
            if rest > 0:
                bench.observing.watch_for(rest, "the query soak, the meters holding a new CoT", new, previous)
        whole.stop()
        cleared = min((seen for seen in cleared_each.values() if seen is not None), key=lambda o: o.at, default=None)
        at_end = (
            {
                dc: (
                    at_start[dc]
                    if at_start[dc].shows_previous
                    else bench.observing.observe(dc, settled.gone, settled.resident)
                )
                for dc in classes
            }
            if settled is not None
            else {}
        )
    end = bench.loop.now()
    queries = {source: [q for q in m.cot_queries(provoked_at) if q.at <= end] for source, m in bench.meters.items()}
    if cleared is None:
        # POLL-07 judges that; the later cases need the unit to show who lives there now.
        with allure.step("The soak is over and its CoT was not seen actioned: the meters now push it"):
            steps.push_cot_from_all(bench, profile, event)
    pull = (
        PullByQuery(classes, previous, new, event, cleared, cleared_each) if classes and precondition is None else None
    )
    return QuerySoak(
        case_id,
        start,
        how,
        provoked_at,
        anchors,
        cot_set_at,
        end,
        queries,
        pull,
        precondition,
        settled,
        settled_precondition,
        retention,
        retention_precondition,
        dict(whole),
        at_end,
    )


def soak_per_meter(bench: Bench, soak: QuerySoak) -> Iterator[tuple[str, str, list[Query]]]:
    """Each meter's CoT queries over the soak (attached): (source, label, queries)."""
    for source, queries in soak.queries.items():
        label = bench.meters[source].label
        attach_text(
            f"{label} CoT queries",
            f"anchor query +{soak.anchors[source] - soak.start:.1f} s"
            f"{f' (after a {soak.provoked})' if soak.provoked else ''}; NOT_FOUND until "
            f"+{soak.cot_set_at - soak.start:.1f} s, then a new CoT held until +{soak.end - soak.start:.1f} s\n"
            + query_log(queries, soak.start),
        )
        yield source, label, queries
