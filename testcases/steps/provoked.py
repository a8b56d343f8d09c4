"""A query provoked instead of waited for: the window after a stimulus in which a unit that
would clear on it (at once, later within the actioning time, or at its next query) must
be seen to.

A unit learns what the meters hold by querying them (SECMP0056's pull model). POLL-02
proves it queries within poll.after_rejoin of a rejoin, POLL-01 within poll.after_join of
a power-on; so rather than waiting a whole timings.observation_window for the unit's own
query timer, a case makes the unit rejoin (or power-cycles it), waits for that query at
every declared meter, and watches `eventually` + clear_within after the last of them was
answered: the time any CoT the unit had taken from the stimulus or from that answer is
given to show (EVENTUALLY_FACTOR x clear_within), and the clear_within hold on top that a
clearing must last (steps.clearing.cleared_hold).

Without rejoin and power control, or when the unit queries no meter after the provocation
(POLL-01/02 fail it), the window falls back to the long path: the unit's own query, waited
for up to timings.observation_window from the stimulus, then the same settle time.
"""

from __future__ import annotations

import dataclasses
import math

import allure

from harness.applicability import has_control
from harness.applicability import provocation as declared_provocation
from harness.bench import Bench
from harness.profile import Profile
from testcases.steps.facts import attach_text, clear_within, eventually, response_timeout, sources


def settle_after_query(profile: Profile) -> float:
    """How long is watched after the provoked query was answered: eventually + clear_within."""
    return eventually(profile) + clear_within(profile)


def restart_how(profile: Profile) -> str | None:
    """How `restart` restarts the unit on this profile's bench: a power cycle where the bench
    has power control (what a unit keeps in RAM only is lost), else a rejoin, else None."""
    return "power cycle" if has_control(profile, "power_control") else declared_provocation(profile)


def scheduled_lead(profile: Profile) -> float:
    """How far ahead IMPL-02 and IMPL-04 date a CoT a scheduling unit (behaviour.
    implementation_time scheduled) must hold pending: past everything the case does while it
    is pending, so that a unit that actions it too early is seen to before the time comes.
    That is the CoT pushed from every source and acknowledged, then a power cycle (else a
    rejoin) and the start-up query at every meter (IMPL-02), or the cancel pushed from every
    source (IMPL-04), each wait to its deadline; then `eventually` + clear_within, the
    longest a unit that wrongly took the CoT as due on receipt, on its start-up query or on
    the cancel may take to show it. Rounded up to a whole minute, as a lab would date it.
    A fixed hour held a scheduled IHD's bench for two hours outside the soak phase."""
    how = restart_how(profile)
    restarted = query_deadline(profile, how) if how is not None else 0.0
    pushes = 2 * len(sources(profile)) * response_timeout(profile)
    return 60.0 * math.ceil((pushes + restarted + settle_after_query(profile)) / 60.0)


def provocation(bench: Bench) -> str | None:
    """How a query is provoked on this bench: 'rejoin', 'power cycle', or None (no control)."""
    if bench.controls.available("rejoin_control"):
        return "rejoin"
    if bench.controls.available("power_control"):
        return "power cycle"
    return None


def query_deadline(profile: Profile, how: str | None) -> float:
    """How soon the provoked query must come (POLL-02 / POLL-01 prove it does)."""
    poll = profile.timings.poll
    if how == "rejoin":
        return poll.after_rejoin.total_seconds()
    if how == "power cycle":
        return poll.after_join.total_seconds()
    return profile.timings.observation_window.total_seconds()


def provoked_window(profile: Profile, how: str | None) -> float:
    """Bench time of the window on a conforming unit, at most (each wait to its deadline):
    the query's deadline, then the settle time after it. The estimate (testcases/bench_time.py)
    and the cases read the same figures."""
    return query_deadline(profile, how) + settle_after_query(profile)


@dataclasses.dataclass(frozen=True)
class Queried:
    """The query that ends a provoked window: when each meter was first queried after `since`."""

    how: str  # "the rejoin", "the power cycle", "the unit's own query timer"
    since: float
    at: dict[str, float | None]  # meter -> first CoT query at or after `since` (None: none by the deadline)

    @property
    def last(self) -> float | None:
        """The last meter's query (a meter never queried is POLL-01/02's and POLL-06's to judge,
        not a reason to wait for the unit's own timer); None: no meter was queried."""
        return max((t for t in self.at.values() if t is not None), default=None)


def await_each_queried(bench: Bench, since: float, timeout: float, what: str) -> dict[str, float | None]:
    """When each declared meter first had a CoT query at or after `since`, waited up to
    `timeout` for all of them (read on the bench loop)."""

    def firsts() -> dict[str, float | None]:
        return {source: (qs[0].at if (qs := m.cot_queries(since)) else None) for source, m in bench.meters.items()}

    try:
        bench.loop.wait_for(lambda: all(t is not None for t in firsts().values()), max(0.0, timeout), what)
    except TimeoutError:
        pass
    return bench.loop.call_on_loop(firsts)


def provoke_query(bench: Bench, profile: Profile, started: float, provoked_by: str | None = None) -> Queried:
    """Make the unit query every declared meter: a rejoin (or a power cycle), then its query
    within poll.after_rejoin (after_join); without controls, or if that query does not come,
    the unit's own query, up to timings.observation_window from `started` (the stimulus).
    provoked_by: the stimulus (from `started`) was itself that rejoin or power cycle.
    Each wait is a step saying which path it took; the meters' queries are attached."""
    how = provoked_by or provocation(bench)
    found: dict[str, float | None] = {source: None for source in bench.meters}
    if how is not None:
        deadline = query_deadline(profile, how)
        field = "poll.after_rejoin" if how == "rejoin" else "poll.after_join"
        proof = "POLL-02" if how == "rejoin" else "POLL-01"
        title = (
            f"The CoT query that follows the {how} (waited up to {field}, {deadline:g} s; {proof} judges it)"
            if provoked_by
            else f"Provoke a CoT query by a {how} ({proof} proves one follows within {field}, {deadline:g} s)"
        )
        with allure.step(title):
            since = started if provoked_by else bench.loop.now()
            if provoked_by is None and how == "rejoin":
                bench.controls.rejoin()
            elif provoked_by is None:
                bench.controls.power_cycle()
            found = await_each_queried(
                bench, since, since + deadline - bench.loop.now(), f"a CoT query at every meter after the {how}"
            )
            attach_text(
                f"CoT queries after the {how}",
                "\n".join(
                    f"{bench.meters[s].label}: " + (f"+{t - since:.1f} s" if t is not None else "none in time")
                    for s, t in found.items()
                ),
            )
        queried = Queried(f"the {how}", since, found)
        if queried.last is not None:  # the provocation worked, at one meter at least
            return queried
    window = profile.timings.observation_window.total_seconds()
    remaining = started + window - bench.loop.now()
    missing = [s for s, t in found.items() if t is None]
    with allure.step(
        f"Wait for the unit's own CoT query (the long path: no query provoked{'' if how is None else ' in time'}), "
        f"up to timings.observation_window ({window:g} s) from the stimulus"
    ):
        since = bench.loop.now()
        later = await_each_queried(bench, since, remaining, "the unit's own CoT query at every meter")
        for source in missing:
            found[source] = later[source]
        attach_text(
            "CoT queries (the unit's own timer)",
            "\n".join(
                f"{bench.meters[s].label}: " + (f"+{t - started:.1f} s from the stimulus" if t is not None else "none")
                for s, t in found.items()
            ),
        )
    return Queried("the unit's own query timer", since, found)


def restart(bench: Bench, profile: Profile, what: str) -> str | None:
    """Power-cycle the unit (else make it rejoin) and wait for its start-up CoT query at every
    meter, up to poll.after_join (after_rejoin): what a unit keeps in RAM only (a pending
    CoT's timer, the last Issuer Event ID) is lost by the power cycle, and what it learns again
    comes from that query. `what`: the state it is restarted in, for the step. Which it was
    ("power cycle", "rejoin"), or None: the bench has neither control (nothing done)."""
    how = "power cycle" if bench.controls.available("power_control") else provocation(bench)
    if how is None:
        attach_text(f"restart {what}", "not done: the bench has no power or rejoin control")
        return None
    with allure.step(f"{'Power-cycle' if how == 'power cycle' else 'Make the unit rejoin'} {what}"):
        since = bench.loop.now()
        if how == "power cycle":
            bench.controls.power_cycle()
        else:
            bench.controls.rejoin()
        found = await_each_queried(
            bench, since, query_deadline(profile, how), f"a CoT query at every meter after the {how}"
        )
        attach_text(
            f"CoT queries after the {how}",
            "\n".join(
                f"{bench.meters[s].label}: " + (f"+{t - since:.1f} s" if t is not None else "none in time")
                for s, t in found.items()
            ),
        )
    return how
