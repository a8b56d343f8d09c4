"""captures/whole-run.pcapng from a stopped bench's trace: written beside the cases' captures
with every record, not written without a run folder or frames, and a write that fails is
recorded so that the run cannot exit 0 (harness.session_end)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from harness.evidence import case_evidence
from harness.evidence.pcapng import pcapng_bytes
from tests.evidence.golden_evidence import record_from_json

GOLDEN = Path(__file__).with_name("data") / "reference-ihd-evidence.json.gz"


class _Trace:
    def __init__(self, records: list[Any]) -> None:
        self.records = records

    def since(self, mark: int) -> list[Any]:
        return [r for r in self.records if r.seq >= mark]


def _bench(tmp_path: Path, records: list[Any]) -> Any:
    run = tmp_path / "run"
    (run / "allure-results").mkdir(parents=True)
    profile = SimpleNamespace(radio=SimpleNamespace(pan_id=0x1A2B, channel=15), identity_line=lambda: "UUT x")
    return SimpleNamespace(alluredir=str(run / "allure-results"), session_trace=_Trace(records), profile=profile)


@pytest.fixture(scope="module")
def records() -> list[Any]:
    return [record_from_json(f) for f in json.loads(gzip.decompress(GOLDEN.read_bytes()))["trace"]][:200]


def test_written_with_every_record(tmp_path: Path, records: list[Any]) -> None:
    bench = _bench(tmp_path, records)
    path = case_evidence.write_run_capture(bench)
    assert path == tmp_path / "run" / "captures" / case_evidence.WHOLE_RUN_CAPTURE
    expected = pcapng_bytes(records, pan_id=0x1A2B, channel=15, comment="whole run, 200 frames: UUT x")
    assert path.read_bytes() == expected


def test_nothing_without_a_run_folder_or_frames(tmp_path: Path, records: list[Any]) -> None:
    bench = _bench(tmp_path, [])
    assert case_evidence.write_run_capture(bench) is None
    bench = _bench(tmp_path / "b", records)
    bench.alluredir = None
    assert case_evidence.write_run_capture(bench) is None
    bench = _bench(tmp_path / "c", records)
    bench.session_trace = None  # the bench never started its coordinator
    assert case_evidence.write_run_capture(bench) is None


def test_a_write_that_fails_is_recorded(tmp_path: Path, records: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(case_evidence, "_not_written", [])
    bench = _bench(tmp_path, records)
    (tmp_path / "run" / "captures").write_text("a file where the folder goes")
    assert case_evidence.write_run_capture(bench) is None
    assert len(case_evidence.not_written()) == 1 and "captures" in case_evidence.not_written()[0]
