"""The conformance plan as data: one entry per case ID of shared/spec/conformance-catalogue.md.

Case modules name their ID and nothing else about the plan; titles, the requirement a case
traces to and its severity live here (the clearing case of each data class, CLR-01..04, is
built from its row of harness.domain.DATA_CLASSES), so the plan and the Allure report cannot drift.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Final

import pytest

from harness.domain import DATA_CLASSES, DataClassSpec


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


# Where each requirement comes from (shared/spec/gb-cot-behaviour.md gives the reasons).
SMETS_CLEAR = "SECMP0056 (SMETS2 IHD / PPMID): on a Change of Tenancy clear"
SECMP_QUERY = "SECMP0056 refinement: IHD/PPMID query the CoT"
SECMP_DETECT = "SECMP0056 consultation: no erroneous CoT detection"
ZSE_DM = "ZigBee SE 1.4 Device Management (0x0708)"
ZCL_GENERAL = "ZCL general command handling (Default Response)"
GBCS_IMPL = "GBCS GCS09 / SE Publish CoT Implementation Date/Time, profile behaviour.implementation_time"

_C, _B, _N = Severity.CRITICAL, Severity.BLOCKER, Severity.NORMAL


def _clearing(spec: DataClassSpec) -> tuple[str, str, str, str, Severity]:
    """The CLR case of one data class, in the words of its row in harness.domain."""
    return (
        spec.case_id,
        "Clearing",
        spec.case_title,
        f"{SMETS_CLEAR} {spec.requirement}",
        _B,
    )


_PLAN: tuple[tuple[str, str, str, str, Severity], ...] = (
    (
        "BENCH-01",
        "Bench and declaration",
        "Pre-flight: coordinator up, network as configured, unit joined and answering",
        "Harness pre-flight: a bench fault is never reported as a device failure",
        _B,
    ),
    (
        "PROF-01",
        "Bench and declaration",
        "Declared vs actual: the simple descriptor matches the profile",
        "Profile declaration (PICS) checked against the device's SE simple descriptor",
        _C,
    ),
    (
        "DM-01",
        "Device Management client",
        "Publish Change of Tenancy from each ESI source is answered with "
        "Default Response SUCCESS within response_timeout",
        f"{ZSE_DM}; {ZCL_GENERAL}",
        _C,
    ),
    (
        "DM-02",
        "Device Management client",
        "With disable-default-response set: no Default Response on success, and the CoT is still actioned",
        f"{ZCL_GENERAL}: disable-default-response",
        _N,
    ),
    (
        "DM-03",
        "Device Management client",
        "Truncated Publish CoT (every payload length 0..16): the declared "
        "malformed reply or silence, nothing cleared, the unit still answers",
        f"{ZCL_GENERAL}: MALFORMED_COMMAND; {SECMP_DETECT}",
        _C,
    ),
    (
        "DM-04",
        "Device Management client",
        "Reserved change-control bits (0xFFFF8000) set: ignored, the CoT is still actioned",
        f"{ZSE_DM}: reserved bits shall be ignored",
        _N,
    ),
    (
        "DM-05",
        "Device Management client",
        "Unknown Device Management command: Default Response UNSUP_CLUSTER_COMMAND, nothing cleared",
        f"{ZCL_GENERAL}: UNSUP_CLUSTER_COMMAND",
        _N,
    ),
    *(_clearing(spec) for spec in DATA_CLASSES.values()),  # CLR-01..04, one per data class
    (
        "CLR-05",
        "Clearing",
        "Clearing completes within clear_within; the latency is recorded",
        f"{SMETS_CLEAR}: promptly (profile timings.clear_within)",
        _C,
    ),
    (
        "CLR-06",
        "Clearing",
        "After the CoT the new occupier's data is shown, not left blank",
        f"{SECMP_QUERY}: the new occupier is served",
        _N,
    ),
    (
        "CLR-07",
        "Clearing",
        "The previous occupier's data does not come back after a power cycle",
        f"{SMETS_CLEAR}: clearing is persistent",
        _C,
    ),
    (
        "NEG-01",
        "No spurious clearing",
        "Without a CoT data is retained over the observation window, "
        "including when the ESI answers Get CoT with NOT_FOUND",
        SECMP_DETECT,
        _C,
    ),
    (
        "NEG-02",
        "No spurious clearing",
        "The same CoT (same Issuer Event ID) delivered again does not clear the new occupier's data",
        f"{SECMP_DETECT}; {ZSE_DM}: Issuer Event ID",
        _C,
    ),
    (
        "NEG-03",
        "No spurious clearing",
        "A CoT with an older Issuer Event ID than the last actioned is ignored",
        f"{SECMP_DETECT}; {ZSE_DM}: Issuer Event ID",
        _C,
    ),
    ("NEG-04", "No spurious clearing", "Publish Change of Supplier clears nothing", SECMP_DETECT, _C),
    ("NEG-05", "No spurious clearing", "A power cycle or rejoin without a new CoT clears nothing", SECMP_DETECT, _C),
    (
        "POLL-01",
        "Query behaviour",
        "After power-on or join the unit queries each declared ESI within poll.after_join by the declared query_method",
        f"{SECMP_QUERY} at power-up",
        _C,
    ),
    (
        "POLL-02",
        "Query behaviour",
        "After a rejoin the unit queries within poll.after_rejoin",
        f"{SECMP_QUERY} after rejoin / disconnection",
        _C,
    ),
    (
        "POLL-03",
        "Query behaviour",
        "The unit queries at least every poll.max_interval",
        f"{SECMP_QUERY} at least once every 24 hours",
        _C,
    ),
    (
        "POLL-04",
        "Query behaviour",
        "The unit does not query more often than poll.min_interval",
        f"{SECMP_QUERY}: HAN traffic budget (sub-GHz)",
        _N,
    ),
    (
        "POLL-05",
        "Query behaviour",
        "A CoT set while the unit was off the network is learnt at its next "
        "query and the data cleared, without any push",
        f"{SECMP_QUERY}: pull model",
        _B,
    ),
    ("POLL-06", "Query behaviour", "A dual-fuel unit queries both ESME and GPF", f"{SECMP_QUERY} of each meter", _C),
    ("IMPL-01", "Implementation Date/Time", "A past implementation time is actioned on receipt", GBCS_IMPL, _C),
    (
        "IMPL-02",
        "Implementation Date/Time",
        "A future implementation time is actioned as the declared policy says (on receipt, or at that time)",
        GBCS_IMPL,
        _C,
    ),
    ("IMPL-03", "Implementation Date/Time", "Implementation time zero means now", GBCS_IMPL, _N),
    ("IMPL-04", "Implementation Date/Time", "(scheduled only) 0xFFFFFFFF cancels a pending CoT", GBCS_IMPL, _N),
    (
        "ROB-01",
        "Robustness",
        "Fuzzed Device Management, Messaging and Prepayment frames: the unit stays responsive and clears nothing",
        f"{ZCL_GENERAL}; {SECMP_DETECT}",
        _C,
    ),
    (
        "ROB-02",
        "Robustness",
        "A burst of identical Publish CoT frames: one clearing, the unit stays responsive",
        f"{ZSE_DM}: duplicate delivery; {SECMP_DETECT}",
        _C,
    ),
)

CASES: Final[dict[str, CaseSpec]] = {
    case_id: CaseSpec(case_id, section, title, requirement, severity)
    for case_id, section, title, requirement, severity in _PLAN
}


def case(case_id: str) -> pytest.MarkDecorator:
    """Tie a test to its catalogue entry (an unknown ID is an error at import)."""
    if case_id not in CASES:
        raise KeyError(f"{case_id} is not in harness.catalogue.CASES")
    return pytest.mark.case(case_id)
