"""Reading a run's Allure results back: what a lab's report would show, case by case."""

from __future__ import annotations

import json
from pathlib import Path


def statuses(alluredir: Path) -> dict[str, str]:
    """as_id -> Allure status ("passed", "failed", "broken", "skipped")."""
    found: dict[str, str] = {}
    for path in alluredir.glob("*-result.json"):
        result = json.loads(path.read_text())
        labels = {label["name"]: label["value"] for label in result.get("labels", [])}
        if "as_id" in labels:
            found[labels["as_id"]] = result["status"]
    return found


def result_of(alluredir: Path, case_id: str) -> dict:
    for path in alluredir.glob("*-result.json"):
        result = json.loads(path.read_text())
        if {"name": "as_id", "value": case_id} in result.get("labels", []):
            return result
    raise KeyError(case_id)
