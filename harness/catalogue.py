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
ZSE_SECURITY = "ZigBee SE 1.x security (CBKE, Annex C; APS link keys)"
GBCS_IMPL = "GBCS GCS09 / SE Publish CoT Implementation Date/Time, profile behaviour.implementation_time"
SECMP_SCOPE = (
    "SECMP0056 consultation: a CoT from the GPF alone clears all data or that fuel's, profile behaviour.clear_scope"
)

SECMP_ESI = "SECMP0056 (ESME / GPF): the meter exposes the Change of Tenancy on the HAN"
GBCS_COT = "GBCS ECS12 / GCS09 (DCC SR 3.2 Restrict Access for Change of Tenancy): executed on receipt"

_C, _B, _N = Severity.CRITICAL, Severity.BLOCKER, Severity.NORMAL


def _clearing(spec: DataClassSpec) -> tuple[str, str, str, str, Severity]:
    """The CLR case of one data class, in the words of its row in harness.domain."""
    return (
        spec.case_id,
        "Clearing",
        spec.case_title,
        f"{SMETS_CLEAR} {spec.requirement}: gone, and staying gone (watched for timings.clear_within after it is "
        "first seen gone: a copy re-shown from a cache has not been cleared; CLR-07 and CLR-08 watch longer)"
        + (
            "; before the CoT the meters send the resident's again in every form they relay one (Display "
            "Protected Message; critical importance, confirmation required): none may survive"
            if spec.pushed_by_supplier
            else ""
        ),
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
        "Default Response SUCCESS within response_timeout (a global command, client to server, "
        "not manufacturer-specific, the TSN echoed, naming Publish CoT, on the Smart Energy profile: a stack "
        "drops a frame of another profile for the meter's endpoint)",
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
        "Truncated Publish CoT (every payload length 0..16, disable-default-response clear and set): the "
        "declared malformed reply or silence (an error is answered even with the bit set), nothing cleared, "
        "the unit still answers",
        f"{ZCL_GENERAL}: MALFORMED_COMMAND; {SECMP_DETECT}",
        _C,
    ),
    (
        "DM-04",
        "Device Management client",
        "Reserved change-control bits (0xFFFF8000) and the reserved Tariff Type high nibble set: ignored, "
        "the CoT is still actioned",
        f"{ZSE_DM}: reserved bits shall be ignored",
        _N,
    ),
    (
        "DM-05",
        "Device Management client",
        "Unknown Device Management command: Default Response UNSUP_CLUSTER_COMMAND, nothing cleared; a "
        "manufacturer-specific command 0x00, a client-to-server one and a global one (Read Attributes), each "
        "with a Publish CoT body: nothing cleared, the unit still answers",
        f"{ZCL_GENERAL}: UNSUP_CLUSTER_COMMAND",
        _N,
    ),
    (
        "DM-06",
        "Device Management client",
        "A Publish CoT from an endpoint that is no declared ESI source (the bench's rogue endpoint, on the "
        "meters' own node) is ignored: nothing cleared",
        f"{ZSE_DM}: a client takes a CoT from the Device Management server (ESI) it discovered; "
        f"{SECMP_DETECT}; conformance catalogue, second edition: spoofing",
        _C,
    ),
    *(_clearing(spec) for spec in DATA_CLASSES.values()),  # CLR-01..04, one per data class
    (
        "CLR-05",
        "Clearing",
        "Clearing completes within clear_within; the latency is recorded",
        f"{SMETS_CLEAR}: promptly (profile timings.clear_within); the latency of a class is when it was first seen "
        "gone, if it then stayed gone for clear_within (one shown again has none: its CLR-01..04 case fails it); "
        "its CoT carries Tariff Type 0x01 (received), which is not the fuel (se-wire-reference)",
        _C,
    ),
    (
        "CLR-06",
        "Clearing",
        "After the CoT the new occupier's data is shown for every fuel the meters serve, not left blank",
        f"{SECMP_QUERY}: the new occupier is served: within timings.clear_within, each class a new occupier has "
        "from move-in is shown for every fuel of esi.sources (an observer answering yes/no for the class as a "
        "whole cannot be asked per fuel: there some of it shown is what is judged)",
        _N,
    ),
    (
        "CLR-07",
        "Clearing",
        "The previous occupier's data does not come back after a power cycle",
        f"{SMETS_CLEAR}: clearing is persistent: over two power cycles (the second once the unit has started "
        "up and queried every meter) and poll.after_join to start up, no stored class shows the previous "
        "occupier's data, nor showed it at any moment; a class that was not cleared before the power cycles "
        "is judged too",
        _C,
    ),
    (
        "CLR-08",
        "Clearing",
        "The previous occupier's data stays gone across the unit's own periodic refresh",
        f"{SMETS_CLEAR}: clearing is persistent beyond RAM: over the query soak (one poll.max_interval after "
        "a rejoin, plus eventually and clear_within, the unit left on and undisturbed), across every periodic "
        "refresh the unit makes, no stored class shows a previous occupier's data again (the one cleared before "
        "the soak, nor the one cleared by the CoT learnt in it); a class not cleared at the soak's start is judged too",
        _C,
    ),
    (
        "NEG-01",
        "No spurious clearing",
        "Without a CoT data is retained while the ESI answers Get CoT with NOT_FOUND: the query after a rejoin "
        "and the periodic queries of the first half of the query soak",
        SECMP_DETECT,
        _C,
    ),
    (
        "NEG-02",
        "No spurious clearing",
        "The same CoT (same Issuer Event ID) delivered again does not clear the new occupier's data: "
        "byte for byte, with an earlier or a later implementation time, or with another Provider ID, "
        "Tariff Type and reserved change-control bits; nor the meters answering it again after a query "
        "they answered NOT_FOUND (a meter restarting)",
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
    (
        "NEG-04",
        "No spurious clearing",
        "Valid Publish Change of Supplier, Update Site ID and Update CIN clear nothing; Cancel All Messages "
        "clears nothing but supplier messages",
        f"{SECMP_DETECT} (NEG-02..06: watched until eventually + clear_within after the unit's next CoT query, "
        "provoked by a rejoin or power cycle; the unit's own, within observation_window, where the bench has neither)",
        _C,
    ),
    ("NEG-05", "No spurious clearing", "A power cycle or rejoin without a new CoT clears nothing", SECMP_DETECT, _C),
    (
        "NEG-06",
        "No spurious clearing",
        "Issuer Event IDs are ordered as unsigned 32-bit integers over the whole range: 0x7FFFFFFF then "
        "0x80000000, and 0xFFFFFFFE then 0xFFFFFFFF, are each a new CoT and clear; a power cycle after "
        "0xFFFFFFFF (the meters still holding it) and a lower ID after them clear nothing",
        f"{ZSE_DM}: Issuer Event ID, a uint32 whose larger value is the newer information; {SECMP_DETECT}",
        _C,
    ),
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
        "The unit queries at least every poll.max_interval, also while the meters answer NOT_FOUND",
        f"{SECMP_QUERY} at least once every 24 hours",
        _C,
    ),
    (
        "POLL-04",
        "Query behaviour",
        "The unit does not query more often than poll.min_interval, also while the meters answer NOT_FOUND",
        f"{SECMP_QUERY}: HAN traffic budget (sub-GHz): over the soak, and over the whole run only the first "
        "query after each start of the unit (a join, a rejoin, a power cycle) may come sooner",
        _N,
    ),
    (
        "POLL-05",
        "Query behaviour",
        "A CoT set while the unit was off the network is learnt at its next "
        "query and every stored class cleared, without any push; the new occupier's data then shown for "
        "every fuel within clear_within (CLR-06's rule on the pull path)",
        f"{SECMP_QUERY}: pull model",
        _B,
    ),
    ("POLL-06", "Query behaviour", "A dual-fuel unit queries both ESME and GPF", f"{SECMP_QUERY} of each meter", _C),
    (
        "POLL-07",
        "Query behaviour",
        "A CoT set at the meters while the unit stays on, never pushed, is learnt at the unit's "
        "next periodic query (within poll.max_interval) and actioned: every stored class cleared",
        f"{SECMP_QUERY} at least once every 24 hours: pull model while on the network",
        _B,
    ),
    (
        "POLL-08",
        "Query behaviour",
        "Every CoT query the unit makes (after join, rejoin, periodic, while answered NOT_FOUND) "
        "uses the declared query_method",
        f"{SECMP_QUERY}, profile behaviour.query_method",
        _C,
    ),
    (
        "IMPL-01",
        "Implementation Date/Time",
        "A past implementation time is actioned on receipt, however old (a day, 30 days, a year, ten years)",
        GBCS_IMPL,
        _C,
    ),
    (
        "IMPL-02",
        "Implementation Date/Time",
        "A future implementation time is actioned as the declared policy says: on receipt, pushed or learnt "
        "by query, and never again at that time; or at that time, a power cycle while it is pending "
        "notwithstanding",
        GBCS_IMPL,
        _C,
    ),
    (
        "IMPL-03",
        "Implementation Date/Time",
        "Implementation time zero means now, pushed or learnt by query (learnt by query: every stored class cleared)",
        GBCS_IMPL,
        _N,
    ),
    (
        "IMPL-04",
        "Implementation Date/Time",
        "(scheduled only) 0xFFFFFFFF cancels a pending CoT; sent again, finding nothing pending, it clears nothing",
        GBCS_IMPL,
        _N,
    ),
    (
        "SCOPE-01",
        "Clear scope",
        "A CoT from the GPF alone clears what behaviour.clear_scope declares: every fuel's data (all) "
        "or the gas data (fuel), pushed by the GPF and learnt by the unit's query when the GPF alone holds it",
        SECMP_SCOPE,
        _C,
    ),
    (
        "SCOPE-02",
        "Clear scope",
        "(clear_scope fuel) A CoT from one meter alone leaves the other fuel's data, the other meter holding no new "
        "CoT: the GPF alone (the electricity data stays), then the ESME alone (the gas data stays)",
        f"{SECMP_SCOPE}; {SECMP_DETECT}",
        _C,
    ),
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
    (
        "ESI-01",
        "ESI role",
        "Before the CoT trigger, Get Change of Tenancy is answered NOT_FOUND, or with the earlier event "
        "behaviour.prior_issuer_event_id declares, and attributes 0x0200/0x0201 say the same (no CoT: "
        "0xFFFFFFFF and 0; or that event's Implementation Date/Time and Tenancy Change Control)",
        f"{SECMP_ESI}; {ZSE_DM} Get Change of Tenancy",
        _C,
    ),
    (
        "ESI-02",
        "ESI role",
        "After the CoT trigger, Get Change of Tenancy is answered with Publish Change of Tenancy carrying a newer "
        "Issuer Event ID than before, the same event each time it is asked",
        f"{SECMP_ESI}; {GBCS_COT}",
        _B,
    ),
    (
        "ESI-03",
        "ESI role",
        "Attributes 0x0200 (Change of Tenancy Update Date/Time) and 0x0201 (Proposed Tenancy Change Control) "
        "read back the Implementation Date/Time and Tenancy Change Control of the published CoT",
        f"{SECMP_ESI}: attributes 0x0200/0x0201",
        _C,
    ),
    (
        "ESI-04",
        "ESI role",
        "After the CoT: Get Top Up Log, Get Debt Repayment Log, Get Last Message, Get Profile (the latest "
        "intervals and, probed back over 48 h and further, any ending by the CoT) and the day, week and month "
        "history attributes return nothing dated before the CoT (the meter served the previous occupier's "
        "data before it); the current day's consumption and cost no more than delivered since the CoT; and "
        "still so, the CoT still held, past the next midnight and poll.max_interval after the trigger",
        f"{SECMP_ESI}; {GBCS_COT}: the date is the boundary from which the previous occupier's data is withheld",
        _B,
    ),
    (
        "ESI-05",
        "ESI role",
        "(behaviour.push_capable) The meter pushes Publish Change of Tenancy with the new event to the HAN "
        "within timings.cot_push_within of the trigger; every push carries the CoT Get Change of Tenancy answers, "
        "field for field",
        f"{SECMP_ESI}: a server may push Publish Change of Tenancy on receipt",
        _C,
    ),
    (
        "ESI-06",
        "ESI role",
        "The previous occupier's last active supplier message: after the CoT Get Last Message answers NOT_FOUND "
        "or a newer message dated at or after the CoT; any Cancel Message / Cancel All Messages the meter sends "
        "is recorded",
        f"{SECMP_ESI}; SECMP0056 consultation: how the ESME clears the last active supplier message",
        _C,
    ),
    (
        "ESI-07",
        "ESI role",
        "(behaviour.push_capable) Publish Change of Tenancy with the new CoT (the one Get Change of Tenancy "
        "answers) reaches every HAN client bound to the meter's Device Management server (two bound IHD "
        "endpoints), within timings.cot_push_within",
        f"{SECMP_ESI}: every bound or known HAN device learns of the CoT",
        _C,
    ),
    (
        "SEC-01",
        "Security",
        "After its install-code join the unit completes CBKE with the trust centre within its declared time",
        f"{ZSE_SECURITY}: Key Establishment (0x0800) after joining",
        _C,
    ),
    (
        "SEC-02",
        "Security",
        "Every Smart Energy frame the unit sends (but Basic, Identify, Time, Key Establishment) is APS-secured",
        f"{ZSE_SECURITY}: APS link-key security on Smart Energy clusters",
        _C,
    ),
    (
        "SEC-03",
        "Security",
        "A Publish Change of Tenancy without APS security clears nothing",
        f"{ZSE_SECURITY}: unsecured Smart Energy frames are ignored; {SECMP_DETECT}",
        _C,
    ),
    (
        "SEC-04",
        "Security",
        "A Publish Change of Tenancy APS-secured under the install-code key alone clears nothing",
        f"{ZSE_SECURITY}: only the CBKE link key secures Smart Energy frames; {SECMP_DETECT}",
        _C,
    ),
    (
        "SEC-05",
        "Security",
        "Offered a trust centre certificate from another CA, the unit terminates CBKE (UNKNOWN_ISSUER) and "
        "uses no Smart Energy cluster",
        f"{ZSE_SECURITY}: Key Establishment, the responder's certificate checked",
        _C,
    ),
    (
        "SEC-06",
        "Security",
        "Sent a wrong MACV, the unit terminates CBKE (BAD_KEY_CONFIRM) and uses no Smart Energy cluster",
        f"{ZSE_SECURITY}: Key Establishment, key confirmation",
        _C,
    ),
    (
        "SEC-07",
        "Security",
        "A Publish Change of Tenancy APS-secured from a node that is not the trust centre clears nothing",
        f"{ZSE_SECURITY}: a CoT only from the ESI it discovered; {SECMP_DETECT}",
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
