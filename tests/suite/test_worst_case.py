"""testcases.bench_time.worst_case(): the bench time of each case when a conforming unit
takes every wait it is allowed to its deadline.

The estimate (ESTIMATES) counts a wait a conforming unit ends early as nothing; the worst
case counts it to its deadline. These tests hold it to that: never below the estimate,
nothing for a case that does not apply, each early-ending wait counted at its deadline
(the deadlines from the same step functions the cases wait with), and above what the
reference devices' runs of the session (tests/conftest.py) really held the bench for.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.applicability import not_applicable, provocation
from harness.catalogue import CASES
from harness.profile import Profile, load_profile
from harness.reference_profiles import profiles_dir
from harness.selftest import Outcome
from harness.sim.matrix import REFERENCES
from testcases.bench_time import ESTIMATES, worst_case
from testcases.steps import eventually, query_deadline

# A clearing a conforming unit makes at once, waited for up to `eventually` before its hold.
CLEARINGS = ("CLR-01", "CLR-02", "CLR-03", "CLR-04", "CLR-05", "DM-04", "IMPL-01", "POLL-05")
# A run's frames take virtual time of their own that no estimate counts: while a frame is in
# flight the bench clock runs in real time (harness/bench/loop.py), a few milliseconds a
# frame on a quiet machine, tens on a loaded one (a meter's ROB-01, ~130 frames, once held
# 2.6 s more than its worst case at load 14). So the slack is per frame of the case, with a
# margin no load reaches, and never a bound on the unit's own timing.
FRAME_TIME_S = 2.0
FRAME_SLACK_S = 0.25


def _profile(name: str) -> Profile:
    return load_profile(profiles_dir() / name)


@pytest.mark.parametrize("name", REFERENCES)
def test_the_worst_case_is_never_below_the_estimate(name: str) -> None:
    profile = _profile(name)
    worst = worst_case(profile)
    assert set(worst) == set(CASES)
    below = {c: (worst[c], f(profile)) for c, f in ESTIMATES.items() if worst[c] < f(profile)}
    assert not below, f"{name}: worst case below the estimate (worst, estimate): {below}"


@pytest.mark.parametrize("name", REFERENCES)
def test_a_case_that_does_not_apply_costs_nothing_even_at_worst(name: str) -> None:
    profile = _profile(name)
    worst = worst_case(profile)
    costly = {c: worst[c] for c in CASES if not_applicable(c, profile) is not None and worst[c]}
    assert not costly, f"{name}: cases not applicable, yet a worst-case bench time: {costly}"


@pytest.mark.parametrize("name", REFERENCES)
def test_every_wait_a_conforming_unit_ends_early_is_counted_to_its_deadline(name: str) -> None:
    profile = _profile(name)
    worst = worst_case(profile)
    estimate = {c: f(profile) for c, f in ESTIMATES.items()}
    how = provocation(profile)
    query = query_deadline(profile, how) if how is not None else 0.0
    actioned = eventually(profile)
    wanted = {c: actioned for c in CLEARINGS}
    wanted |= {"NEG-02": query + actioned, "NEG-03": query + actioned, "NEG-04": query, "NEG-05": query}
    wanted |= {"NEG-06": 2 * (query + 2 * actioned), "CLR-08": query + actioned}
    short = {
        c: (worst[c] - estimate[c], extra)
        for c, extra in wanted.items()
        if estimate[c] and worst[c] - estimate[c] < extra
    }
    assert not short, f"{name}: waits not counted to their deadline (counted, deadline): {short}"
    if not profile.identity.role.is_esi:  # a meter's cases (ESI) answer at once: no such wait
        assert any(estimate[c] for c in wanted), f"{name}: no case with an early-ending wait applies"


def _frames(results: Path, result: dict[str, object]) -> int:
    """Frames in the case's frame trace attachment (one numbered line each)."""
    count = 0
    for attachment in result.get("attachments", []):  # type: ignore[union-attr]
        if attachment["name"].endswith("frame trace"):
            text = (results / attachment["source"]).read_text(encoding="utf-8", errors="replace")
            count += sum(1 for line in text.splitlines() if line.split(" +", 1)[0].strip().isdigit())
    return count


def _bench_times(results: Path) -> dict[str, tuple[float, int]]:
    """Each case's bench time and the frames it exchanged."""
    found = {}
    for path in results.glob("*-result.json"):
        result = json.loads(path.read_text(encoding="utf-8"))
        case_id = next((label["value"] for label in result["labels"] if label["name"] == "as_id"), None)
        seconds = next((p["value"] for p in result.get("parameters", []) if p["name"] == "bench time (s)"), None)
        if case_id and seconds is not None:
            found[case_id] = (float(seconds.strip("'")), _frames(results, result))
    return found


@pytest.mark.parametrize("name", REFERENCES)
def test_the_reference_runs_stay_within_the_worst_case(reference_outcomes: list[Outcome], name: str) -> None:
    """What each case of a conforming unit's run held the bench for (the session's matrix
    run of the reference device) is within its worst case: a plan made from it never books
    a bench too short."""
    outcome = next(o for o in reference_outcomes if o.entry.spec is None and o.entry.profile == name)
    assert outcome.results is not None, outcome.problems
    measured = _bench_times(outcome.results)
    assert measured, f"{name}: the run recorded no bench time"
    worst = worst_case(_profile(name))
    over = {
        c: (seconds, worst[c], frames)
        for c, (seconds, frames) in measured.items()
        if seconds > worst[c] + FRAME_TIME_S + FRAME_SLACK_S * frames
    }
    assert not over, f"{name}: cases that held the bench longer than their worst case (run, worst, frames): {over}"
