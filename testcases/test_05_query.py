"""Query behaviour (the SECMP0056 pull model): POLL-01 .. POLL-06.

The meters log every request with the bench time it arrived; these cases judge that log.
POLL-03 and POLL-04 need days of observation: virtual time in simulation, a soak run
(marker `soak`) on hardware.
"""

from __future__ import annotations

from collections.abc import Iterator

import allure
import pytest

from harness.bench import Bench
from harness.catalogue import case
from harness.esi.meter import Query
from harness.evidence.measurements import record
from harness.plugin import applies
from harness.profile import Profile, QueryMethod
from harness.zcl.codec import Direction
from harness.zcl.header import header_or_none, tsn_of
from testcases import steps
from testcases.steps import attach_text, eventually, stored_and_shown

QUERY_COMMAND = {
    QueryMethod.GET_CHANGE_OF_TENANCY: "get_change_of_tenancy",
    QueryMethod.READ_ATTRIBUTES: "read_attributes",
}


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
        first = in_time[0]
        record(f"{source} CoT query latency after {event}", first.at - since, "s", high=timeout)
        assert first.command == QUERY_COMMAND[method], (
            f"after {event}, {label} was queried by {first.command}; behaviour.query_method declares {method}"
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


def _soak(bench: Bench, profile: Profile) -> tuple[float, float, dict[str, list[Query]]]:
    """Observe the unit, undisturbed, for two max_intervals and a bit (virtual in simulation)."""
    if not bench.han.virtual_time and not bench.soak:
        pytest.skip("soak case on hardware: run with --soak (it lasts 2.2 x timings.poll.max_interval)")
    window = 2.2 * profile.timings.poll.max_interval.total_seconds()
    since = bench.loop.now()
    with allure.step(f"Watch the unit's CoT queries for {window:g} s, undisturbed"):
        bench.loop.hold(window, "the query soak")
    return since, bench.loop.now(), {source: m.cot_queries(since) for source, m in bench.meters.items()}


def _soak_per_meter(bench: Bench, profile: Profile) -> Iterator[tuple[str, str, list[Query], float, float]]:
    """Each meter's CoT queries over one soak (attached): (source, label, queries, start, end)."""
    start, end, found = _soak(bench, profile)
    for source, queries in found.items():
        label = bench.meters[source].label
        attach_text(f"{label} CoT queries", _log(queries, start))
        yield source, label, queries, start, end


@case("POLL-03")
@pytest.mark.soak
def test_poll_03(bench: Bench, profile: Profile) -> None:
    limit = profile.timings.poll.max_interval.total_seconds()
    for source, label, queries, start, end in _soak_per_meter(bench, profile):
        times = [start] + [q.at for q in queries] + [end]
        worst = max(b - a for a, b in zip(times, times[1:], strict=False))
        record(f"{source} longest gap between CoT queries", worst, "s", high=limit)
        record(f"{source} CoT queries in the soak", len(queries), "queries")
        assert worst <= limit, (
            f"{label}: {len(queries)} CoT queries in {end - start:g} s; the longest time without one was "
            f"{worst:g} s, more than poll.max_interval ({limit:g} s)"
        )


@case("POLL-04")
@pytest.mark.soak
def test_poll_04(bench: Bench, profile: Profile) -> None:
    limit = profile.timings.poll.min_interval.total_seconds()
    for source, label, queries, _start, _end in _soak_per_meter(bench, profile):
        gaps = [b.at - a.at for a, b in zip(queries, queries[1:], strict=False)]
        shortest = min(gaps, default=float("inf"))
        record(f"{source} shortest gap between CoT queries", shortest if gaps else 0.0, "s", low=limit)
        assert shortest >= limit, (
            f"{label}: two CoT queries only {shortest:g} s apart, less than poll.min_interval ({limit:g} s) "
            f"({len(queries)} queries while undisturbed)"
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
    answered = {tsn_of(q.record.payload) for m in bench.meters.values() for q in m.queries}
    pushed = [
        r
        for r in bench.link.frames_since(0)
        if r.timestamp >= since
        and r.direction == "tx"
        and r.cluster_id == steps.DEVICE_MANAGEMENT
        and r.dst_nwk == bench.uut_nwk
        and _is_publish_cot(r.payload)
        and tsn_of(r.payload) not in answered
    ]
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
