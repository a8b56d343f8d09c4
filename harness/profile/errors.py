"""``ProfileError``, and pydantic's validation errors retold in the profile's own terms.

Separate from loading because the translation (dotted field paths without pydantic's union
branch names, YAML words instead of Python ones) is its own small grammar, and the CLI and
the plugin only need the error type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.profile.fields import QUOTE_HINT

# The exit status of a command refused for its profile (`cot-harness profile validate`, and
# `run` before any radio): one value, so a script can tell a profile error from a device's.
# It is harness.cli.Exit.PROFILE_ERROR of the exit-code table (tests/profile/test_preflight.py
# keeps the two equal); defined here so the profile layer needs nothing of the CLI.
EXIT_PROFILE_ERROR = 8


class ProfileError(Exception):
    """A profile that cannot be used: the file, and each offending field with what was expected."""

    def __init__(self, file: Path | None, errors: Sequence[tuple[str, str]]) -> None:
        self.file = file
        # One line each, whatever the source message looked like.
        self.errors = [(path, " ".join(msg.split())) for path, msg in errors]
        super().__init__(file, self.errors)

    def _where(self) -> str:
        return str(self.file) if self.file is not None else "profile"

    def __str__(self) -> str:
        count = len(self.errors)
        details = "; ".join(f"{path}: {msg}" if path else msg for path, msg in self.errors)
        return f"{self._where()}: {count} error{'' if count == 1 else 's'}: {details}"

    def lines(self) -> list[str]:
        return [f"{self._where()}: {path}: {msg}" if path else f"{self._where()}: {msg}" for path, msg in self.errors]


# pydantic's wording, where it speaks of Python rather than of the YAML the engineer wrote.
_PLAIN_WORDS = {
    "dict_type": "expected a mapping (key: value)",
    "model_type": "expected a mapping (key: value)",
    "model_attributes_type": "expected a mapping such as {by: operator}",
    "list_type": "expected a list ([a, b] or lines starting '- ')",
    "extra_forbidden": "unknown field (check its spelling against the profile schema)",
    "union_tag_not_found": "field required",
}


def describe_error(error: Any, data: Mapping[str, Any]) -> tuple[str, str]:
    """A pydantic error as (dotted field path, message in the profile's own terms)."""
    loc, kind = list(error["loc"]), error["type"]
    msg = _PLAIN_WORDS.get(kind, error["msg"])
    ctx = error.get("ctx") or {}
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        loc.append("by")
    if kind == "value_error":
        msg = str(ctx["error"])  # drop pydantic's "Value error, " prefix
    elif kind == "union_tag_invalid":
        msg = f"{ctx['tag']!r} is not one of {ctx['expected_tags']}"
    elif kind == "string_type" and isinstance(error.get("input"), int | float):
        msg = f"{msg}; {QUOTE_HINT}"
    if loc and loc[-1] == "[key]":
        loc.pop()
        msg = f"unknown key; {msg.replace('Input should be', 'expected')}"
    return _dotted(loc, data), msg[:1].lower() + msg[1:]


def _dotted(loc: Sequence[str | int], data: object) -> str:
    """'bench.power_control.command', leaving out the union branch names pydantic adds to loc."""
    parts: list[str] = []
    node, may_be_tag = data, True
    for seg in loc:
        # Only bench controls and observe entries have a `by`; pydantic puts its value once in
        # loc, right after the field (the branch may share its name: by: command, command: []).
        if may_be_tag and isinstance(node, Mapping) and seg == node.get("by"):
            may_be_tag = False
            continue
        parts.append(f"[{seg}]" if isinstance(seg, int) else f".{seg}")
        node = _child(node, seg)
        may_be_tag = True
    return "".join(parts).lstrip(".")


def _child(node: object, seg: str | int) -> object:
    if isinstance(node, Mapping):
        return node.get(seg)
    if isinstance(node, list) and isinstance(seg, int) and seg < len(node):
        return node[seg]
    return None
