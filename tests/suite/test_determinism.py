"""Verdicts are a function of profile, model and seed: the same run gives the same verdicts.

docs/measurements.md has the long series (20 runs of each reference); these are the
samples CI repeats on every change.
"""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

import pytest

from harness.evidence.case_evidence import WHOLE_RUN_CAPTURE
from harness.report.runs import RunFolder
from harness.selftest import Entry, Outcome, run_entries
from tests.wire.wire_runs import MAC_DATA, read_packets

REPEATS = 3
AIR = ("--air", "loss=0.1,jitter=200ms", "--air-seed", "7")
OWN_TIMER = Entry(
    "determinism ClearsByOwnTimer", "sim-ihd.yaml", "tests.suite.own_timer_clearing:ClearsByOwnTimer", None
)
SAME_RUN = {
    "reference": Entry("determinism reference sim-ihd", "sim-ihd.yaml", None, None),
    "ClearsTooSlowly": Entry(
        "determinism ClearsTooSlowly", "sim-ihd.yaml", "harness.sim.variants:ClearsTooSlowly", None
    ),
    "KeepsTopUpHistory": Entry(
        "determinism KeepsTopUpHistory", "sim-ppmid.yaml", "harness.sim.variants:KeepsTopUpHistory", None
    ),
}
AIR_SEED = Entry("determinism reference sim-ihd, air seed 7", "sim-ihd.yaml", None, None)
CHOSEN = [OWN_TIMER, *SAME_RUN.values(), AIR_SEED]

Rounds = list[dict[str, Outcome]]


@pytest.fixture(scope="module")
def determinism_rounds(tmp_path_factory: pytest.TempPathFactory) -> Rounds:
    """REPEATS rounds of every run these tests compare, each round its own selftest template:
    a fresh interpreter (its own hash seed, its own import of everything) whose forked
    children make the round's runs one after another. A run is thus repeated in three
    processes that share nothing, as three `cot-harness run` processes would be, without
    paying the imports once per run. The rounds run side by side: they share nothing, so
    running them at once proves the same as one after another."""

    # Made here, not in the threads: pytest's TempPathFactory is not thread-safe (the first
    # mktemp makes the session's base folder, and two threads making it at once failed).
    workdirs = [tmp_path_factory.mktemp(f"round-{number + 1}") for number in range(REPEATS)]

    def one(workdir: Path) -> dict[str, Outcome]:
        ran = run_entries(CHOSEN, workdir, [], jobs=1, extra_for={AIR_SEED.name: AIR})
        return {outcome.entry.name: outcome for outcome in ran}

    with concurrent.futures.ThreadPoolExecutor(max_workers=REPEATS) as pool:
        return list(pool.map(one, workdirs))


def _verdicts(rounds: Rounds, entry: Entry) -> list[dict[str, str]]:
    """The entry's verdicts in each round; every run ended as a run of the suite does (0 or 1)."""
    runs = []
    for number, ran in enumerate(rounds, 1):
        outcome = ran[entry.name]
        assert outcome.exit in (0, 1), f"round {number}, {entry.name}: exit {outcome.exit}\n{outcome.output[-3000:]}"
        assert outcome.verdicts, f"round {number}, {entry.name}: the run wrote no results\n{outcome.output[-3000:]}"
        runs.append(outcome.verdicts)
    return runs


def test_a_device_that_clears_by_its_own_timer_passes_every_time(determinism_rounds: Rounds) -> None:
    runs = _verdicts(determinism_rounds, OWN_TIMER)
    for verdicts in runs:
        assert verdicts["CLR-05"] == "passed", verdicts
        assert set(verdicts.values()) <= {"passed", "skipped"}, verdicts
    assert all(run == runs[0] for run in runs), runs


@pytest.mark.parametrize("which", list(SAME_RUN))
def test_the_same_run_gives_the_same_verdicts(determinism_rounds: Rounds, which: str) -> None:
    runs = _verdicts(determinism_rounds, SAME_RUN[which])
    assert all(run == runs[0] for run in runs), runs


def test_the_same_air_seed_gives_the_same_verdicts(determinism_rounds: Rounds) -> None:
    runs = _verdicts(determinism_rounds, AIR_SEED)
    assert all(run == runs[0] for run in runs), runs
    assert set(runs[0].values()) <= {"passed", "skipped"}, runs[0]


def _air_timeline(outcome: Outcome) -> list[tuple[int, int, tuple[int, int, int] | None, int]]:
    """The run's whole-run capture as (microseconds since its first frame, MAC frame type,
    profile, cluster and source endpoint of a data frame, length): what crossed the air and
    when, in virtual time. Not the octets: zigpy draws its own ZDO sequence numbers at random."""
    assert outcome.results is not None
    packets = read_packets(RunFolder.of(str(outcome.results)).captures / WHOLE_RUN_CAPTURE)
    first = packets[0].micros
    return [
        (p.micros - first, p.mac_frame_type, p.aps()[:3] if p.mac_frame_type == MAC_DATA else None, len(p.data))
        for p in packets
    ]


def test_the_same_air_seed_gives_the_same_frames_at_the_same_virtual_times(determinism_rounds: Rounds) -> None:
    """Over a lossy, jittery air the three rounds (run side by side, so each on a loaded
    machine) carry the same frames at the same virtual times, to the microsecond: the
    simulation's clock moves only when the bench moves it (harness.sim.clock), so nothing
    the machine does in real time moves a delayed frame against another."""
    timelines = [_air_timeline(ran[AIR_SEED.name]) for ran in determinism_rounds]
    assert len(timelines[0]) > 1000, len(timelines[0])  # the whole suite's frames, not a stub

    for number, timeline in enumerate(timelines[1:], 2):
        differs = next((i for i, (a, b) in enumerate(zip(timelines[0], timeline, strict=False)) if a != b), None)
        assert differs is None and len(timeline) == len(timelines[0]), (
            f"round {number} differs from round 1 at frame {differs}: "
            f"{timelines[0][differs] if differs is not None else len(timelines[0])} against "
            f"{timeline[differs] if differs is not None else len(timeline)}"
        )
