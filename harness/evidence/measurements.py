"""Measurements with units and limits (OpenHTF style), recorded by a case and attached to Allure.

A case calls `record("clearing latency", 0.006, "s", high=10)` while it runs; the plugin calls
`begin_case()` before the case body and `end_case()` after it, which attaches everything
recorded as a JSON document (for tools: `harness.report.diff` reads it back) and as a table
(for people), and sets each measurement as an Allure parameter.

Recording does not decide the verdict: a case asserts on `record(...).passed` with a sentence
a lab engineer understands, as every other check does. The parameters are `excluded` from
Allure's history id, otherwise every new latency would make Allure see a new test and lose the
case's history.
"""

from __future__ import annotations

import dataclasses
import json
import math
import threading
from collections.abc import Iterable, Mapping
from typing import Any

import allure

__all__ = [
    "JSON_ATTACHMENT",
    "SCHEMA",
    "Measurement",
    "attach_measurements",
    "begin_case",
    "end_case",
    "measurements_json",
    "measurements_table",
    "parse_measurements_json",
    "record",
]

SCHEMA = "cot-harness/measurements/1"  # the JSON attachment says what it is, whatever its name
JSON_ATTACHMENT = "measurements (JSON)"
TABLE_ATTACHMENT = "measurements (table)"


@dataclasses.dataclass(frozen=True)
class Measurement:
    """One measured value; `low` and `high` are inclusive limits, either may be absent."""

    name: str
    value: float
    unit: str
    low: float | None = None
    high: float | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("a measurement needs a name")
        for field in ("value", "low", "high"):
            number = getattr(self, field)
            # bool is an int to Python, but True is not a latency.
            if (number is not None or field == "value") and (
                isinstance(number, bool) or not isinstance(number, int | float)
            ):
                raise TypeError(f"measurement {self.name!r}: {field} must be a number, got {number!r}")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"measurement {self.name!r}: low {self.low} is above high {self.high}")

    @property
    def passed(self) -> bool:
        """Within the limits (inclusive); with no limits, any real number passes, NaN never."""
        if math.isnan(self.value):
            return False
        return (self.low is None or self.value >= self.low) and (self.high is None or self.value <= self.high)

    @property
    def has_limits(self) -> bool:
        return self.low is not None or self.high is not None

    @property
    def parameter_name(self) -> str:
        """`clearing latency (s)`: the Allure parameter name, as the cases already write them."""
        return f"{self.name} ({self.unit})" if self.unit else self.name

    def value_text(self) -> str:
        return _number(self.value)

    def limits_text(self) -> str:
        if self.low is not None and self.high is not None:
            return f"{_number(self.low)} .. {_number(self.high)}"
        if self.low is not None:
            return f">= {_number(self.low)}"
        if self.high is not None:
            return f"<= {_number(self.high)}"
        return "none"

    def verdict_text(self) -> str:
        if not self.has_limits:
            return "recorded"
        return "pass" if self.passed else "FAIL"

    def as_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "passed": self.passed}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Measurement:
        return cls(
            name=str(data["name"]),
            value=float(data["value"]),
            unit=str(data.get("unit", "")),
            low=None if data.get("low") is None else float(data["low"]),
            high=None if data.get("high") is None else float(data["high"]),
        )


def _number(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:.6g}"


def measurements_json(measurements: Iterable[Measurement]) -> str:
    # NaN is written as null: JSON has no NaN and strict readers refuse Python's.
    items = [{**m.as_dict(), "value": None if math.isnan(m.value) else m.value} for m in measurements]
    return json.dumps({"schema": SCHEMA, "measurements": items}, indent=2) + "\n"


def parse_measurements_json(text: str | bytes) -> list[Measurement] | None:
    """The measurements of a JSON attachment, or None when it is not one of ours."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        return None
    return [
        Measurement.from_dict({**item, "value": math.nan if item["value"] is None else item["value"]})
        for item in data.get("measurements", [])
    ]


def measurements_table(measurements: Iterable[Measurement]) -> str:
    """A Markdown table that is also readable as plain text (columns padded)."""
    rows = [["measurement", "value", "unit", "limits", "verdict"]]
    rows += [[m.name, m.value_text(), m.unit, m.limits_text(), m.verdict_text()] for m in measurements]
    cells = [[cell.replace("|", "\\|") for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines) + "\n"


def attach_measurements(measurements: Iterable[Measurement]) -> None:
    """Attach to the current Allure test: JSON, table, and one parameter per measurement."""
    items = list(measurements)
    if not items:
        return
    allure.attach(measurements_json(items), name=JSON_ATTACHMENT, attachment_type=allure.attachment_type.JSON)
    allure.attach(measurements_table(items), name=TABLE_ATTACHMENT, attachment_type=allure.attachment_type.TEXT)
    for m in items:
        allure.dynamic.parameter(m.parameter_name, m.value_text(), excluded=True)


# --- the per-case collector --------------------------------------------------------------------
# Module level so that case code needs no fixture to record; the plugin brackets every case with
# begin_case()/end_case(). A lock, because bench callbacks may record from the bench thread.

_lock = threading.Lock()
_current: list[Measurement] | None = None


def begin_case() -> None:
    """Start collecting for a new case (what an earlier case left unflushed is dropped)."""
    global _current
    with _lock:
        _current = []


def record(name: str, value: float, unit: str, *, low: float | None = None, high: float | None = None) -> Measurement:
    """Record a measurement of the running case and return it, so the case can assert on it."""
    measurement = Measurement(name, value, unit, low, high)
    with _lock:
        if _current is None:
            # Dropping it silently would lose evidence; this is a harness bug, so say so.
            raise RuntimeError(f"record({name!r}) outside a case: begin_case() was not called")
        if any(m.name == name for m in _current):
            raise ValueError(f"measurement {name!r} recorded twice in one case")
        _current.append(measurement)
    return measurement


def end_case() -> list[Measurement]:
    """Stop collecting, attach what the case recorded to Allure, and return it."""
    global _current
    with _lock:
        taken, _current = _current or [], None
    attach_measurements(taken)
    return taken
