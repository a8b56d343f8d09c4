"""`python -m benchmarks` runs and prints its table: structure only, never a time (no test
may depend on the machine's speed)."""

from __future__ import annotations

import subprocess
import sys

from benchmarks.inprocess import FRAME_ROWS
from benchmarks.report import HEADER
from tests.suite.conftest import REPO


def test_quick_frame_section_prints_every_frame_cost_row() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", "frame"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,  # a wide margin on a loaded machine: this bounds a hang, it judges no speed
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert HEADER[0] in lines and HEADER[1] in lines, done.stdout
    rows = [line for line in lines if line.startswith("| frame |")]
    names = [row.split("|")[2].strip() for row in rows]
    assert names == list(FRAME_ROWS), done.stdout
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert len(cells) == len(HEADER[0].strip("|").split("|")), row
        assert cells[3] == "1" and cells[4] != "—", row  # one sample, and a median printed
    assert "physical limit" in HEADER[0] and "4.256 ms" in done.stdout


def test_the_cpu_section_counts_each_frame_of_a_trace_once(tmp_path) -> None:  # noqa: ANN001
    """benchmarks.run_cpu divides a run's CPU by the frames of its traces: it must count the
    lines trace_text writes, one per frame, and nothing else of an attachment."""
    from benchmarks.limits import answer_record, cot_record
    from benchmarks.run_cpu import _trace_frames
    from harness.evidence.trace_text import trace_text

    (tmp_path / "a-attachment.txt").write_text(trace_text([cot_record(0), answer_record()]))
    (tmp_path / "b-attachment.txt").write_text(trace_text([cot_record(5)]) + "a note: +3 s, 0x0000\n")
    (tmp_path / "c-attachment.txt").write_text(trace_text([]))
    assert _trace_frames(tmp_path) == 3


def test_one_cpu_sample_runs_the_suite_as_the_selftest_template_does() -> None:
    """The cpu section's child (benchmarks.run_cpu) uses the selftest template's own steps
    (preload, form_stick): a sample that cannot run prints "a run failed or hung" instead of
    a figure, which no other test would notice."""
    from benchmarks.run_cpu import REFERENCE, _sample

    sample = _sample(*REFERENCE)
    assert sample is not None, "benchmarks.run_cpu did not run: python -m benchmarks.run_cpu sim-ihd.yaml - DIR"
    assert sample["exit"] == 0 and sample["frames"] > 0 and sample["cpu"] > 0, sample
