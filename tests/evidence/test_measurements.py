"""Measurements: limits, the per-case collector, and what really lands in Allure's results when
a case records them (a real pytest + allure-pytest run in a subprocess)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness.evidence import measurements
from harness.evidence.measurements import (
    Measurement,
    measurements_json,
    measurements_table,
    parse_measurements_json,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("value", "low", "high", "passed"),
    [
        (5.0, None, None, True),
        (10.0, None, 10.0, True),  # limits are inclusive
        (10.001, None, 10.0, False),
        (0.5, 0.5, 1.0, True),
        (0.49, 0.5, None, False),
        (math.nan, None, None, False),  # NaN is no measurement
        (math.nan, 0.0, 1.0, False),
    ],
)
def test_passed_against_limits(value: float, low: float | None, high: float | None, passed: bool) -> None:
    assert Measurement("latency", value, "s", low, high).passed is passed


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        (("", 1.0, "s"), ValueError),
        (("latency", "0.1", "s"), TypeError),
        (("latency", True, "s"), TypeError),
        (("latency", 1.0, "s", 2.0, 1.0), ValueError),
    ],
)
def test_bad_measurements_are_refused(fields: tuple[object, ...], error: type[Exception]) -> None:
    with pytest.raises(error):
        Measurement(*fields)  # type: ignore[arg-type]


def test_json_round_trip_and_a_table_people_can_read() -> None:
    items = [
        Measurement("clearing latency", 0.006, "s", high=10.0),
        Measurement("frames | sent", 3, "frames"),
        Measurement("rssi", math.nan, "dBm", low=-90.0),
    ]
    back = parse_measurements_json(measurements_json(items))
    assert back is not None
    assert [(m.name, m.unit, m.low, m.high) for m in back] == [(m.name, m.unit, m.low, m.high) for m in items]
    assert back[0].value == 0.006 and back[1].value == 3 and math.isnan(back[2].value)
    json.loads(measurements_json(items))  # strict JSON: NaN written as null
    assert parse_measurements_json('{"measurements": []}') is None  # not ours: no schema
    table = measurements_table(items).splitlines()
    assert table[0].split("|")[1].strip() == "measurement"
    assert "| clearing latency | 0.006" in table[2] and "<= 10" in table[2] and "pass" in table[2]
    assert "frames \\| sent" in table[3] and "recorded" in table[3]
    assert "FAIL" in table[4]
    assert len({len(line) for line in table}) == 1  # padded columns


def test_the_collector_brackets_a_case() -> None:
    with pytest.raises(RuntimeError, match="outside a case"):
        measurements.record("latency", 1.0, "s")
    measurements.begin_case()
    m = measurements.record("latency", 1.0, "s", high=0.5)
    assert m.passed is False  # the case decides what to do with it
    with pytest.raises(ValueError, match="twice"):
        measurements.record("latency", 2.0, "s")
    assert measurements.end_case() == [m]  # outside a test, attaching to Allure is a no-op
    assert measurements.end_case() == []
    with pytest.raises(RuntimeError):
        measurements.record("latency", 1.0, "s")


CASE = textwrap.dedent(
    """
    import pytest
    from harness.evidence import measurements

    @pytest.fixture(autouse=True)
    def case():
        measurements.begin_case()  # what the plugin does around a conformance case
        yield
        measurements.end_case()

    def test_clearing():
        measurements.record("clearing latency", {latency}, "s", high=10)
    """
)


def allure_result(tmp: Path, latency: float) -> tuple[dict, list[dict]]:
    tmp.mkdir()
    (tmp / "test_case.py").write_text(CASE.format(latency=latency))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:cot_harness"]
        + ["--alluredir", "allure-results", "test_case.py"],
        cwd=tmp,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    results = tmp / "allure-results"
    [result] = [json.loads(p.read_text()) for p in results.glob("*-result.json")]
    containers = [json.loads(p.read_text()) for p in results.glob("*-container.json")]
    return result, containers


def test_end_case_attaches_json_and_table_and_sets_excluded_parameters(tmp_path: Path) -> None:
    result, containers = allure_result(tmp_path / "a", 0.25)
    [param] = [p for p in result["parameters"] if p["name"] == "clearing latency (s)"]
    assert param["value"] == "'0.25'" and param["excluded"] is True
    # Attached in the fixture's teardown, so Allure files them under the fixture's container.
    attachments = [a for c in containers for f in c.get("afters", []) for a in f.get("attachments", [])]
    by_name = {a["name"]: a for a in attachments}
    assert by_name["measurements (JSON)"]["type"] == "application/json"
    assert by_name["measurements (table)"]["type"] == "text/plain"
    parsed = parse_measurements_json(
        (tmp_path / "a" / "allure-results" / by_name["measurements (JSON)"]["source"]).read_text()
    )
    assert parsed == [Measurement("clearing latency", 0.25, "s", high=10.0)]

    # A new latency must not make Allure see a new test: same history id.
    other, _ = allure_result(tmp_path / "b", 7.5)
    assert other["historyId"] == result["historyId"]
