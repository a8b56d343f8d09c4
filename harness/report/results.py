"""Reading an allure-results folder back: one CaseResult per conformance case.

A case's evidence is split over two kinds of file: the *-result.json of the test (steps and
their attachments, labels, parameters) and the *-container.json of its fixtures, because the
plugin attaches the frame trace and the capture in the `conformance_case` fixture's teardown.
Both are gathered here, so no reader of results forgets half of the evidence.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.evidence.measurements import Measurement, parse_measurements_json
from harness.report.properties import parse_properties

__all__ = [
    "Attachment",
    "CaseResult",
    "environment_of",
    "mark_unfinished",
    "measurements_of",
    "read_cases",
    "verdict_of",
]

CASE_LABEL = "as_id"


@dataclass(frozen=True)
class Attachment:
    name: str
    source: str  # file name inside the results folder
    type: str | None


@dataclass
class CaseResult:
    case_id: str
    name: str
    status: str
    message: str
    labels: dict[str, str]
    parameters: dict[str, str]
    attachments: list[Attachment] = field(default_factory=list)
    stop: int = 0

    @property
    def verdict(self) -> str:
        return verdict_of(self.status, self.message)


def verdict_of(status: str, message: str) -> str:
    """Allure's status in the plan's words: a skip is "not applicable" or "blocked" (the
    plugin's own skip reasons say which); anything else keeps Allure's name."""
    if status == "skipped":
        text = message.lower()
        if "not applicable" in text:
            return "not applicable"
        if "blocked" in text:
            return "blocked"
    return status or "unknown"


def _load(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # a half-written file of an interrupted run: not a result
    return data if isinstance(data, dict) else None


def _attachments(node: dict[str, Any]) -> Iterator[Attachment]:
    for item in node.get("attachments", []) or []:
        if isinstance(item, dict) and item.get("source"):
            yield Attachment(str(item.get("name") or item["source"]), str(item["source"]), item.get("type"))
    for step in node.get("steps", []) or []:
        if isinstance(step, dict):
            yield from _attachments(step)


def _parameter_value(value: object) -> str:
    # allure-pytest writes repr() of the value: "'0.006'" for the string 0.006.
    text = str(value)
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def read_cases(alluredir: Path) -> dict[str, CaseResult]:
    """case ID -> its result; when a case ran more than once (a rerun), the last one counts."""
    alluredir = Path(alluredir)
    fixture_attachments: dict[str, list[Attachment]] = {}
    for path in sorted(alluredir.glob("*-container.json")):
        container = _load(path)
        if container is None:
            continue
        found = [
            a
            for fixture in (container.get("befores") or []) + (container.get("afters") or [])
            if isinstance(fixture, dict)
            for a in _attachments(fixture)
        ]
        for child in container.get("children") or []:
            fixture_attachments.setdefault(str(child), []).extend(found)
    cases: dict[str, CaseResult] = {}
    for path in sorted(alluredir.glob("*-result.json")):
        result = _load(path)
        if result is None:
            continue
        labels = {
            str(label.get("name")): str(label.get("value"))
            for label in result.get("labels") or []
            if isinstance(label, dict)
        }
        case_id = labels.get(CASE_LABEL)
        if case_id is None:
            continue  # not a conformance case (e.g. a lab's own helper test)
        details = result.get("statusDetails") or {}
        case = CaseResult(
            case_id=case_id,
            name=str(result.get("name", "")),
            status=str(result.get("status", "unknown")),
            message=str(details.get("message") or ""),
            labels=labels,
            parameters={
                str(p.get("name")): _parameter_value(p.get("value"))
                for p in result.get("parameters") or []
                if isinstance(p, dict)
            },
            attachments=[*_attachments(result), *fixture_attachments.get(str(result.get("uuid")), [])],
            stop=int(result.get("stop") or 0),
        )
        if case_id not in cases or case.stop >= cases[case_id].stop:
            cases[case_id] = case
    return cases


def measurements_of(alluredir: Path, case: CaseResult) -> list[Measurement]:
    """The measurements a case attached as JSON (empty when it attached none)."""
    found: list[Measurement] = []
    for attachment in case.attachments:
        if attachment.type not in (None, "application/json") or not attachment.source.endswith(".json"):
            continue
        path = Path(alluredir) / attachment.source
        if path.is_file():
            found += parse_measurements_json(path.read_bytes()) or []
    return found


def environment_of(alluredir: Path) -> dict[str, str]:
    path = Path(alluredir) / "environment.properties"
    if not path.is_file():
        return {}
    return parse_properties(path.read_text(encoding="utf-8", errors="replace"))


def mark_unfinished(alluredir: Path, case_id: str, message: str) -> list[str]:
    """Make the results of a case that did not finish say broken with `message`, where they
    say passed, or skipped without a reason (allure-pytest's default for a case it never got
    a report for). Returns the names of the files changed.

    The plugin's last word on the case an interrupt stopped: allure-pytest writes the status
    of the last report it processed, which, when the interrupt cut the reports short, is the
    passed setup.
    """
    changed: list[str] = []
    for path in sorted(Path(alluredir).glob("*-result.json")):
        result = _load(path)
        if result is None or {"name": CASE_LABEL, "value": case_id} not in (result.get("labels") or []):
            continue
        details = result.get("statusDetails") or {}
        if not (result.get("status") == "passed" or (result.get("status") == "skipped" and not details.get("message"))):
            continue
        result["status"] = "broken"
        result["statusDetails"] = {**details, "message": message}
        partial = path.with_name(path.name + ".partial")
        partial.write_text(json.dumps(result), encoding="utf-8")
        os.replace(partial, path)  # never a half-written result, even if this is interrupted
        changed.append(path.name)
    return changed
