"""Samples and their summary: median, min-max and, with five or more, the interquartile range."""

from __future__ import annotations

import dataclasses
import statistics

IQR_MIN_SAMPLES = 5  # below this the quartiles say nothing the min-max does not


@dataclasses.dataclass
class Figure:
    """One measured figure: its samples in `unit`, with the goal and the physical limit it
    is read against (free text, already in the figure's unit or saying its own)."""

    section: str
    name: str
    unit: str
    samples: list[float] = dataclasses.field(default_factory=list)
    goal: str = "—"
    limit: str = "—"
    note: str = ""

    def summary(self) -> dict[str, float | None]:
        if not self.samples:
            return {"median": None, "min": None, "max": None, "q1": None, "q3": None}
        ordered = sorted(self.samples)
        q1 = q3 = None
        if len(ordered) >= IQR_MIN_SAMPLES:
            # "inclusive": quartiles interpolated between samples, never outside them
            q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
        return {"median": statistics.median(ordered), "min": ordered[0], "max": ordered[-1], "q1": q1, "q3": q3}

    def as_json(self) -> dict[str, object]:
        return dataclasses.asdict(self) | {"summary": self.summary()}


def fmt(value: float | None) -> str:
    """A figure to three significant digits (bench times in seconds keep their integer part)."""
    if value is None:
        return "—"
    if abs(value) >= 1000:
        return f"{value:.0f}"
    return f"{value:.3g}"
