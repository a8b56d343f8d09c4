"""What the plugin keeps of each case while it runs: its evidence, attached once, and the
bench time it held.

A case is opened when its bench is in hand (its frame trace marked, its measurements
begun) and closed by `attach_evidence`: normally at the end of its call, so the frame
trace, sequence chart, pcapng and measurements are the Allure case's own attachments; for
a call that raised, beside the step that failed; for a case whose call never ran (setup
failed or was interrupted), from the case fixture's teardown. Whichever comes first
attaches; the others find nothing open.

Each closed case's bench time (virtual in simulation, the wall clock on hardware) is a
"bench time" measurement of the case and a term of the run's total (the terminal summary
line and `run.bench_time` of the environment).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from harness.errors import FatalBenchError
from harness.evidence import case_evidence, measurements

if TYPE_CHECKING:
    from harness.bench import Bench

BENCH_TIME = "bench time"  # a measurement of every case: the time it held the bench (virtual in simulation)
_OPEN_CASE = pytest.StashKey[tuple["Bench", int, str, float]]()  # a case whose evidence is not attached yet
_BENCH_TIMES = pytest.StashKey[list[float]]()  # the bench time of each case that ran (seconds)


def open_case(item: pytest.Item, bench: Bench, case_id: str) -> None:
    """The case starts on the bench: its frames from here on, its bench time from now."""
    item.stash[_OPEN_CASE] = (bench, bench.link.mark(), case_id, bench.loop.now())
    case_evidence.begin_case()


def check_unit_on_air(item: pytest.Item, unmet: BaseException) -> None:
    """The case ended on an unmet precondition: if the unit is off the air, UnitSilent (from
    the probe, chained to what the case saw) is the verdict's cause, so the rest are blocked
    instead of each ending the same way. The caller attaches the evidence either way."""
    opened = item.stash.get(_OPEN_CASE, None)
    if opened is None or not opened[0].loop.running:
        return
    try:
        opened[0].link.check_on_air()
    except FatalBenchError as gone:
        raise gone from unmet


def attach_evidence(item: pytest.Item) -> None:
    """The case's frames (trace, sequence chart, pcapng) and measurements, attached once."""
    opened = item.stash.get(_OPEN_CASE, None)
    if opened is None:
        return
    del item.stash[_OPEN_CASE]
    bench, mark, case_id, started = opened
    if bench.loop.running:
        # What a lab books: on hardware the wall clock, in simulation the virtual one.
        seconds = bench.loop.now() - started
        measurements.record(BENCH_TIME, round(seconds, 3), "s")
        item.config.stash.setdefault(_BENCH_TIMES, []).append(seconds)
    case_evidence.end_case(bench, mark, case_id)


def attach_evidence_of_failed_call(item: pytest.Item) -> None:
    """As attach_evidence, for a call that raised: the case's own failure is the one to
    report, so evidence that cannot be attached is said and recorded (the run then cannot
    exit 0), never raised over it."""
    try:
        attach_evidence(item)
    except Exception as error:  # noqa: BLE001 - the case's own failure is the one to report
        print(f"cot-harness: the evidence of {item.nodeid} was not attached: {type(error).__name__}: {error}")
        case_evidence.record_not_written(f"{item.nodeid}: {type(error).__name__}: {error}")


def bench_seconds(config: pytest.Config) -> float | None:
    """The run's bench time: the sum over the cases that ran (None: no case ran)."""
    return sum(config.stash.get(_BENCH_TIMES, [])) or None


def bench_time_line(config: pytest.Config) -> str | None:
    """The terminal summary's bench-time line (None: no case ran)."""
    spent = config.stash.get(_BENCH_TIMES, [])
    if not spent:
        return None
    total = sum(spent)
    return (
        f"bench time {total:.0f} s ({total / 3600:.1f} h) over {len(spent)} cases"
        " (each case's is its 'bench time' measurement)"
    )


__all__ = [
    "BENCH_TIME",
    "attach_evidence",
    "attach_evidence_of_failed_call",
    "bench_seconds",
    "bench_time_line",
    "open_case",
]
