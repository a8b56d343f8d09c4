"""The conformance plan as data: one entry per case ID of shared/spec/conformance-catalogue.md.

Case modules name their ID and nothing else about the plan; titles, the requirement a case
traces to and its severity live here only, so the plan and the Allure report cannot drift.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Final

import pytest


class Severity(enum.StrEnum):
    BLOCKER = "blocker"
    CRITICAL = "critical"
    NORMAL = "normal"
    MINOR = "minor"


@dataclasses.dataclass(frozen=True)
class CaseSpec:
    case_id: str
    section: str
    title: str
    requirement: str
    severity: Severity


SECMP0056_IHD = "SECMP0056 / SMETS2 IHD & PPMID: act on Change of Tenancy"
ZSE_DM = "ZigBee SE 1.4 Device Management cluster (0x0708)"

CASES: Final[dict[str, CaseSpec]] = {
    spec.case_id: spec
    for spec in (
        CaseSpec(
            "DM-01",
            "Device Management client",
            "Publish Change of Tenancy from each ESI source is answered with Default Response SUCCESS",
            f"{ZSE_DM}: a client answers Publish Change of Tenancy with a Default Response",
            Severity.CRITICAL,
        ),
        CaseSpec(
            "CLR-01",
            "Clearing",
            "The previous occupier's consumption history is gone after the Change of Tenancy",
            f"{SECMP0056_IHD}: clear historic consumption data",
            Severity.BLOCKER,
        ),
    )
}


def case(case_id: str) -> pytest.MarkDecorator:
    """Tie a test to its catalogue entry (an unknown ID is an error at import)."""
    if case_id not in CASES:
        raise KeyError(f"{case_id} is not in harness.catalogue.CASES")
    return pytest.mark.case(case_id)
