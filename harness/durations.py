"""Durations as lab engineers write them in profiles: "500ms", "5s", "2m", "3h", "1d" or seconds.

Every wait in the harness is "until a condition or a deadline"; the deadlines come from the
profile, so they are read here once into `datetime.timedelta` and never handled as bare floats.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, WithJsonSchema

_UNITS = {
    "d": timedelta(days=1),
    "h": timedelta(hours=1),
    "m": timedelta(minutes=1),
    "s": timedelta(seconds=1),
    "ms": timedelta(milliseconds=1),
}
_TEXT = r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)"
_TEXT_RE = re.compile(r"\s*" + _TEXT + r"\s*")
_EXPECTED = "expected a duration like '500ms', '5s', '2m', '3h', '1d' or a number of seconds"


def parse_duration(value: object) -> timedelta:
    """Read a profile duration; raises ValueError with a message fit for a lab engineer."""
    if isinstance(value, timedelta):
        return value
    # YAML reads `yes`/`on` as booleans, which Python would happily treat as 1 second.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _checked(float(value), timedelta(seconds=1))
    if isinstance(value, str):
        match = _TEXT_RE.fullmatch(value)
        if match:
            return _checked(float(match[1]), _UNITS[match[2]])
    raise ValueError(_EXPECTED)


def _checked(amount: float, unit: timedelta) -> timedelta:
    # timedelta raises OverflowError (which pydantic does not turn into a validation error)
    # for inf or absurd values, and a cryptic message for NaN.
    if not math.isfinite(amount):
        raise ValueError(_EXPECTED)
    try:
        return amount * unit
    except OverflowError:
        raise ValueError("duration too long") from None


def format_duration(value: timedelta) -> str:
    """The shortest profile spelling of `value` that reads back exactly ("90s", "1d")."""
    if not value:
        return "0s"
    sign = "-" if value < timedelta(0) else ""
    value = abs(value)
    for name, unit in _UNITS.items():
        if value % unit == timedelta(0):
            return f"{sign}{value // unit}{name}"
    # Finer than a millisecond: seconds with the fraction, still accepted by parse_duration.
    return f"{sign}{value.total_seconds()!r}s"


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("must be longer than zero")
    return value


def _not_negative(value: timedelta) -> timedelta:
    if value < timedelta(0):
        raise ValueError("must not be negative")
    return value


def _schema(number: dict[str, float]) -> WithJsonSchema:
    return WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": rf"^\s*{_TEXT}\s*$"},
                {"type": "number", **number},
            ]
        }
    )


# Dumped as text in JSON (evidence manifests, the schema's defaults), as timedelta in Python.
_AS_TEXT = PlainSerializer(format_duration, return_type=str, when_used="json")

Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    AfterValidator(_positive),
    _AS_TEXT,
    _schema({"exclusiveMinimum": 0}),
]
"""A deadline or interval: must be longer than zero."""

NonNegativeDuration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    AfterValidator(_not_negative),
    _AS_TEXT,
    _schema({"minimum": 0}),
]
"""A delay that may be zero (simulated air delay and jitter)."""
