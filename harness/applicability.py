"""Which cases apply to a device, decided from its profile alone, as data.

One table, read twice: by the plugin before a case runs (a case that does not apply is skipped
naming the profile field, before its fixtures touch the bench) and by `cot-harness plan`
(harness.plan), which says before anything is opened which cases will run and why the others
will not. A case's own `applies(...)` calls in testcases/ say the same; tests/test_plan.py
checks, over every reference profile, that the table and the runs agree.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from harness.domain import DATA_CLASSES, DataClass
from harness.profile import ClearScope, ImplementationTime, Profile, SecurityMode

__all__ = ["NEEDS_STORED_DATA", "RULES", "Rule", "dual_fuel", "has_control", "not_applicable", "provocation"]


@dataclasses.dataclass(frozen=True)
class Rule:
    """A case applies only when `holds(profile)`; otherwise the skip reason names `field`."""

    field: str
    holds: Callable[[Profile], bool]
    why: Callable[[Profile], str]

    def reason(self, profile: Profile) -> str | None:
        return None if self.holds(profile) else f"not applicable: {self.field} {self.why(profile)}"


def _sources(profile: Profile) -> list[str]:
    return sorted(str(source.value) for source in profile.esi.sources)


def dual_fuel(profile: Profile) -> bool:
    return {"esme", "gpf"} <= set(_sources(profile))


def has_control(profile: Profile, capability: str) -> bool:
    """The bench can do it (power_control, rejoin_control), by whatever means."""
    return getattr(profile.bench, capability).by != "none"


def provocation(profile: Profile) -> str | None:
    """How the bench makes the unit query: "rejoin", else "power cycle", else None
    (testcases.steps.provocation decides the same on a running bench)."""
    if has_control(profile, "rejoin_control"):
        return "rejoin"
    if has_control(profile, "power_control"):
        return "power cycle"
    return None


def _available(capability: str) -> Callable[[Profile], bool]:
    return lambda profile: has_control(profile, capability)


_DM_CLIENT = Rule(
    "identity.role", lambda p: not p.identity.role.is_esi, lambda p: f"is {p.identity.role}, not a DM client"
)
_STORES_ANY = Rule(
    "stores", lambda p: bool(p.stores), lambda p: "is empty: there is no data whose clearing could be observed"
)
_SCOPE_DUAL = Rule(
    "esi.sources",
    dual_fuel,
    lambda p: f"is {_sources(p)}: a CoT from the GPF alone needs a dual-fuel home (esme and gpf)",
)


def _stores(data_class: DataClass) -> Rule:
    return Rule("stores", lambda p: data_class in p.stores, lambda p: f"does not include {data_class}")


_CBKE = Rule(
    "radio.security",
    lambda p: p.radio.security is SecurityMode.CBKE,
    lambda p: f"is {p.radio.security}, not cbke: the bench runs no key establishment with the unit",
)
_POWER = Rule("bench.power_control", _available("power_control"), lambda p: "is none")
_REJOIN = Rule("bench.rejoin_control", _available("rejoin_control"), lambda p: "is none")

# Case ID -> the rules it must meet, in the order its code judges them (the first unmet one
# is the reason given).
_OWN: dict[str, tuple[Rule, ...]] = {
    **{row.case_id: (_stores(row.data_class),) for row in DATA_CLASSES.values()},
    **{f"DM-0{n}": (_DM_CLIENT,) for n in range(1, 7)},
    "CLR-06": (
        _STORES_ANY,
        Rule(
            "stores",
            lambda p: any(DATA_CLASSES[DataClass(dc)].served_at_move_in for dc in p.stores),
            lambda p: "holds only supplier_messages, and a new occupier has none yet",
        ),
    ),
    "CLR-07": (_POWER,),
    "NEG-05": (
        Rule(
            "bench.power_control and bench.rejoin_control",
            lambda p: _available("power_control")(p) or _available("rejoin_control")(p),
            lambda p: "are both none",
        ),
    ),
    "POLL-01": (_POWER,),
    "POLL-02": (_REJOIN,),
    "POLL-06": (Rule("esi.sources", dual_fuel, lambda p: f"is {_sources(p)}, not dual fuel (esme and gpf)"),),
    "IMPL-04": (
        Rule(
            "behaviour.implementation_time",
            lambda p: p.behaviour.implementation_time is ImplementationTime.SCHEDULED,
            lambda p: "is on_receipt: 0xFFFFFFFF cancels only a scheduled CoT",
        ),
    ),
    **{f"SEC-0{n}": (_CBKE,) for n in (1, 2, 5, 6)},
    **{f"SEC-0{n}": (_CBKE, _STORES_ANY) for n in (3, 4)},
    "SEC-07": (_CBKE, _STORES_ANY, Rule("bench.foreign_node", _available("foreign_node"), lambda p: "is none")),
    "SCOPE-01": (_SCOPE_DUAL,),
    "SCOPE-02": (
        _SCOPE_DUAL,
        Rule(
            "behaviour.clear_scope",
            lambda p: p.behaviour.clear_scope is ClearScope.FUEL,
            lambda p: "is all: a CoT from the GPF alone clears every fuel's data (SCOPE-01)",
        ),
    ),
}
_METER = Rule(
    "identity.role", lambda p: p.identity.role.is_esi, lambda p: f"is {p.identity.role}, not a meter (esme or gpf)"
)
_COT_TRIGGER = Rule("bench.cot_trigger", _available("cot_trigger"), lambda p: "is none")
_PUSH = Rule(
    "behaviour.push_capable", lambda p: p.behaviour.push_capable, lambda p: "is false: the meter does not push"
)
ESI_RULES: dict[str, tuple[Rule, ...]] = {
    "ESI-01": (_METER,),
    "ESI-02": (_METER, _COT_TRIGGER),
    "ESI-03": (_METER, _COT_TRIGGER),
    "ESI-04": (_METER, _COT_TRIGGER),
    "ESI-05": (_METER, _COT_TRIGGER, _PUSH),
    "ESI-06": (_METER, _COT_TRIGGER),
    "ESI-07": (_METER, _COT_TRIGGER, _PUSH),
}
# Every case but the bench's own and the ESI cases judges a DM client (IHD/PPMID): for a
# meter under test the harness plays the IHD, so they do not apply (named first, as the reason).
DM_CLIENT_ONLY_EXCEPT = frozenset({"BENCH-01", "PROF-01"})  # PROF-01 checks a meter's servers

# The cases that judge the unit's stored data: with `stores` empty there is nothing to judge.
NEEDS_STORED_DATA = frozenset(
    {f"DM-0{n}" for n in range(2, 7)}
    | {"CLR-05", "CLR-07", "CLR-08", "POLL-05", "POLL-07", "ROB-01", "ROB-02", "SCOPE-01", "SCOPE-02"}
    | {f"NEG-0{n}" for n in range(1, 7)}
    | {f"IMPL-0{n}" for n in range(1, 5)}
)
RULES: dict[str, tuple[Rule, ...]] = {
    case_id: _OWN.get(case_id, ()) + ((_STORES_ANY,) if case_id in NEEDS_STORED_DATA else ())
    for case_id in sorted(set(_OWN) | NEEDS_STORED_DATA)
}
RULES |= ESI_RULES


# Cases that judge either role: for a meter under test they need only the HAN client the
# harness plays (testcases/steps/meter_robustness.py), so a DM client's rules (stores) are not its.
BOTH_ROLES = frozenset({"ROB-01", "ROB-02"})


def _dm_client_first(case_id: str) -> tuple[Rule, ...]:
    own = RULES.get(case_id, ())
    if case_id in ESI_RULES or case_id in DM_CLIENT_ONLY_EXCEPT or _DM_CLIENT in own:
        return own
    return (_DM_CLIENT, *own)


def not_applicable(case_id: str, profile: Profile) -> str | None:
    """The skip reason when the case does not apply to this profile, else None."""
    if case_id in BOTH_ROLES and profile.identity.role.is_esi:
        return None
    for rule in _dm_client_first(case_id):
        reason = rule.reason(profile)
        if reason is not None:
            return reason
    return None
