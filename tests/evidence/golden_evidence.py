"""A real run's frames and the per-case evidence they made, kept to prove that a faster
evidence writer still writes the same octets (tests/evidence/test_golden_evidence.py).

`python tests/evidence/golden_evidence.py OUT.json.gz` runs the reference IHD's whole suite
in this process (as a selftest child does), keeps every case's records and the arguments its
evidence was made with, and stores them with the SHA-256 of the text trace, the sequence chart
and the pcapng the code on PYTHONPATH makes of them. Run it with the tree whose output is the
reference (PYTHONPATH=<that tree>): the stored digests are that tree's, the test compares the
code under test with them. It also checks that its replay writes exactly the captures the run
wrote, so the replay is the run's evidence and not an approximation of it.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from harness.radio.trace import Direction, FrameRecord

PROFILE = "sim-ihd.yaml"


def record_to_json(record: FrameRecord) -> dict[str, Any]:
    fields = dataclasses.asdict(record)
    fields["payload"] = record.payload.hex()
    fields["direction"] = record.direction.value
    return fields


def record_from_json(fields: dict[str, Any]) -> FrameRecord:
    values = dict(fields)
    values["payload"] = bytes.fromhex(values["payload"])
    values["direction"] = Direction(values["direction"])
    return FrameRecord(**values)


def history_of(trace: Sequence[FrameRecord]) -> Callable[[int], Sequence[FrameRecord]]:
    return lambda mark: trace[mark:]


def evidence_of(case: dict[str, Any], trace: Sequence[FrameRecord], air: Any) -> dict[str, bytes]:
    """The three per-case files, as case_evidence.end_case makes them, from the code imported now."""
    from harness.evidence.msc import sequence_chart_svg
    from harness.evidence.pcapng import pcapng_bytes
    from harness.evidence.trace_text import trace_text

    records = list(trace[case["mark"] : case["end"]])
    lifelines = {(int(nwk), int(ep)): label for nwk, ep, label in case["lifelines"]}
    out = {
        "trace": trace_text(records).encode(),
        "chart": sequence_chart_svg(
            records,
            harness_label="harness",
            uut_label=case["uut_label"],
            lifelines=lifelines,
            title=case["title"],
        ).encode(),
    }
    if records:
        out["pcapng"] = pcapng_bytes(
            records, pan_id=case["pan_id"], channel=case["channel"], comment=case["comment"], air=air
        )
    return out


def _record_run(workdir: Path) -> tuple[list[dict[str, Any]], list[FrameRecord], Path]:
    import pytest

    from harness import selftest
    from harness.catalogue import CASES
    from harness.evidence import case_evidence

    cases: list[dict[str, Any]] = []
    trace: list[FrameRecord] = []
    original = case_evidence.end_case

    def keeping(bench: Any, mark: int, case_id: str) -> None:
        records = bench.link.frames_since(mark)
        cases.append(
            {
                "case_id": case_id,
                "mark": mark,
                "end": mark + len(records),
                "uut_label": case_evidence.uut_label(bench),
                "lifelines": [[nwk, ep, label] for (nwk, ep), label in case_evidence.lifelines(bench).items()],
                "title": f"{case_id} {CASES[case_id].title}",
                "pan_id": bench.profile.radio.pan_id,
                "channel": bench.profile.radio.channel,
                "comment": f"{case_id} {bench.profile.identity_line()}",
            }
        )
        trace[:] = bench.link.frames_since(0)
        original(bench, mark, case_id)

    entry = selftest.Entry(f"reference {PROFILE}", PROFILE, None, None)
    args, folder = selftest.pytest_args(entry, workdir, [])
    case_evidence.end_case = keeping  # type: ignore[assignment]
    try:
        code = int(pytest.main(args))
    finally:
        case_evidence.end_case = original  # type: ignore[assignment]
    if code != 0:
        raise SystemExit(f"the reference run ended {code}")
    return cases, trace, folder / "captures"


def main(out: str) -> int:
    from harness.evidence.pcapng import RunAir

    with tempfile.TemporaryDirectory(prefix="cot-golden-") as workdir:
        cases, trace, captures = _record_run(Path(workdir))
        air = RunAir(history=history_of(trace))
        for case in cases:
            made = evidence_of(case, trace, air)
            case["sha256"] = {kind: hashlib.sha256(data).hexdigest() for kind, data in made.items()}
            if "pcapng" in made and (captures / f"{case['case_id']}.pcapng").read_bytes() != made["pcapng"]:
                raise SystemExit(f"{case['case_id']}: the replay's capture is not the run's")
    document = {"profile": PROFILE, "trace": [record_to_json(r) for r in trace], "cases": cases}
    Path(out).write_bytes(gzip.compress(json.dumps(document, sort_keys=True).encode(), mtime=0))
    print(f"{out}: {len(cases)} cases, {len(trace)} frames")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
