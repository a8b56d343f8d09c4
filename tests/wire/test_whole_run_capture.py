"""The whole run's capture (captures/whole-run.pcapng) holds every frame of the session's
trace, none twice, in order, with the very packets the cases' captures hold (octets, time,
numbering, notes) and the frames that crossed the air between two cases, which are in no
case's capture; and tshark reads it as it reads the cases' captures."""

from __future__ import annotations

import subprocess

import pytest
from wire_runs import MAC_DATA, REFERENCE_PROFILES, ReferenceRun, read_packets, tshark


@pytest.mark.parametrize("profile", REFERENCE_PROFILES)
def test_the_whole_run_capture_holds_every_frame_and_the_cases_packets_as_they_are(
    reference_runs: dict[str, ReferenceRun], profile: str
) -> None:
    run = reference_runs[profile]
    whole = read_packets(run.whole_run)
    seqs = [p.trace_seq for p in whole if p.mac_frame_type == MAC_DATA]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "a frame of the trace is missing or repeated"
    assert seqs[0] == 0, "the session's first frame is not the capture's first"
    by_seq = {p.trace_seq: p for p in whole if p.mac_frame_type == MAC_DATA}
    in_cases = [p for p in run.packets() if p.mac_frame_type == MAC_DATA]
    assert in_cases
    for packet in in_cases:
        same = by_seq[packet.trace_seq]
        # a case's first packet may add one note: which trace frames came before its capture
        extra = packet.comments[len(same.comments) :]
        assert (same.data, same.micros, same.comments) == (
            packet.data,
            packet.micros,
            packet.comments[: len(same.comments)],
        ), f"trace seq {packet.trace_seq}: {packet.capture}'s packet differs from the whole run's"
        assert all(note.startswith("trace frames seq") for note in extra), extra
    between = set(by_seq) - {p.trace_seq for p in in_cases}
    assert len(whole) >= len(run.packets()) + len(between)
    # the reference runs do send frames between cases (the unit's own queries): they are here
    assert between, "no frame outside the cases' captures: this test would prove nothing"


@pytest.mark.parametrize("profile", REFERENCE_PROFILES)
def test_tshark_reads_the_whole_run_capture_with_no_more_malformed_than_the_cases(
    reference_runs: dict[str, ReferenceRun], profile: str
) -> None:
    run = reference_runs[profile]

    def malformed(path: object) -> int:
        done = subprocess.run(
            [tshark(), "-r", str(path), "-Y", "_ws.malformed"], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        return len(done.stdout.splitlines())

    assert malformed(run.whole_run) == sum(malformed(c) for c in run.captures)
