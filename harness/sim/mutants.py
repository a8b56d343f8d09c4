"""Mutants: faulty models derived systematically from the reference devices' hooks.

The fault-variant matrix (harness.sim.matrix) proves each case against the faults its
authors thought of. Mutants are the faults nobody listed: every hook of the reference
device broken by every operator that applies to it (skipped, delayed past the declared
limit, applied to one fuel only, state kept in RAM instead of flash, a wrong header
field, the other query method, a looser or stricter rule). `cot-harness selftest
--mutants` runs each against the suite and scores it: caught in a case whose requirement
it breaks, caught elsewhere, only inconclusive (broken), or survived. A survivor is either
caught after a fix or listed in MUTATIONS with the reason it is equivalent (it breaks no
requirement the catalogue can observe).

Each mutant is a class of this module ("harness.sim.mutants:<name>"), so a run loads it as
a lab's own model is loaded.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from zigpy.zcl import foundation

from harness.profile import QueryMethod
from harness.sim.devices.ihd import DualFuelIHD, ReferenceIHD
from harness.sim.devices.ppmid import ReferencePPMID
from harness.sim.devices.reference import ReferenceDevice
from harness.zcl import codec

Method = Callable[..., Any]
IHD, PPMID, DUAL, SCHEDULED = "sim-ihd.yaml", "sim-ppmid.yaml", "sim-dual-fuel-ihd.yaml", "sim-ihd-scheduled.yaml"
FUEL_SCOPE = "sim-dual-fuel-ihd-fuel-scope.yaml"
READ_ATTRIBUTES = "sim-ihd-read-attributes.yaml"
BASES: dict[str, type[ReferenceDevice]] = {
    IHD: ReferenceIHD,
    PPMID: ReferencePPMID,
    DUAL: DualFuelIHD,
    SCHEDULED: ReferenceIHD,
    FUEL_SCOPE: DualFuelIHD,
    READ_ATTRIBUTES: ReferenceIHD,
}
PAST_THE_LIMIT = 1.5  # a delayed hook runs this many times its limit later ...
MARGIN_S = 1.0  # ... plus this


@dataclasses.dataclass(frozen=True)
class Mutation:
    """One hook broken one way, on one reference profile."""

    hook: str  # a method of ReferenceDevice (or a class attribute, for "attribute")
    operator: str  # a key of OPERATORS
    profile: str  # the reference profile (device_profiles/) it runs on
    breaks: tuple[str, ...]  # the cases whose requirement it breaks
    argument: str = ""  # the operator's argument: a timing path, a value
    equivalent: str = ""  # why no case can observe it (the score counts it apart)

    @property
    def name(self) -> str:
        base = BASES[self.profile].__name__
        suffix = f"_{self.argument.replace('.', '_')}" if self.argument else ""
        profile = (
            "" if self.profile in (IHD, PPMID, DUAL) else f"_on_{self.profile.removesuffix('.yaml').replace('-', '_')}"
        )
        return f"{base}_{self.hook}_{self.operator}{suffix}{profile}"


def _timing(device: ReferenceDevice, path: str) -> float:
    value: Any = device.world.profile.timings
    for part in path.split("."):
        value = getattr(value, part)
    return float(value.total_seconds())


# -- operators: (original method, argument) -> the broken method ------------------------
def _skip(original: Method, argument: str) -> Method:
    def skipped(self: ReferenceDevice, *args: Any, **kwargs: Any) -> None:
        return None

    return skipped


def _delay(original: Method, argument: str) -> Method:
    def delayed(self: ReferenceDevice, *args: Any, **kwargs: Any) -> None:
        later = PAST_THE_LIMIT * _timing(self, argument) + MARGIN_S
        self.world.clock.call_later(later, lambda: original(self, *args, **kwargs))

    return delayed


def _one_fuel(original: Method, argument: str) -> Method:
    """What the reference does for every fuel (fuel=None) it does for `argument` only."""

    def one_fuel(self: ReferenceDevice, *args: Any, **kwargs: Any) -> Any:
        *rest, fuel = args
        return original(self, *rest, argument if fuel is None else fuel, **kwargs)

    return one_fuel


def _wrong_direction(original: Method, argument: str) -> Method:
    """A Default Response sent with the server-to-client direction bit (it is a client's)."""

    def wrong(self: ReferenceDevice, to: Any, zcl: Any, status: foundation.Status) -> None:
        frame = codec.default_response(
            zcl.command_id, status, tsn=zcl.tsn, direction=zcl.direction, cluster_id=zcl.cluster_id
        )
        self.reply(to, frame)

    return wrong


def _wrong_tsn(original: Method, argument: str) -> Method:
    def wrong(self: ReferenceDevice, to: Any, zcl: Any, status: foundation.Status) -> None:
        frame = codec.default_response(
            zcl.command_id, status, tsn=(zcl.tsn + 1) & 0xFF, direction=zcl.direction.flip(), cluster_id=zcl.cluster_id
        )
        self.reply(to, frame)

    return wrong


def _other_query_method(original: Method, argument: str) -> Method:
    def other(self: ReferenceDevice, meter: Any) -> None:
        declared = self.behaviour.query_method
        flipped = (
            QueryMethod.GET_CHANGE_OF_TENANCY
            if declared is QueryMethod.READ_ATTRIBUTES
            else QueryMethod.READ_ATTRIBUTES
        )
        self.behaviour = self.behaviour.model_copy(update={"query_method": flipped})
        try:
            original(self, meter)
        finally:
            self.behaviour = self.behaviour.model_copy(update={"query_method": declared})

    return other


def _always(original: Method, argument: str) -> Method:
    """A predicate that answers `argument` ("true": every event is new)."""

    def always(self: ReferenceDevice, *args: Any, **kwargs: Any) -> bool:
        return argument == "true"

    return always


def _returns(original: Method, argument: str) -> Method:
    """A hook that always answers `argument` (e.g. scope_of: "all" whatever the meter)."""

    def returns(self: ReferenceDevice, *args: Any, **kwargs: Any) -> str:
        return argument

    return returns


def _any_meter(original: Method, argument: str) -> Method:
    """cot_source: any endpoint of a known meter's node counts as that meter."""

    def any_meter(self: ReferenceDevice, frame: Any) -> Any:
        return next((m for m in self.known_meters() if m.nwk == frame.src_nwk), None)

    return any_meter


def _unequal(original: Method, argument: str) -> Method:
    """is_new_event: any other Issuer Event ID is new (an older one too)."""

    def unequal(self: ReferenceDevice, issuer_event_id: int, scope: str) -> bool:
        last = self.last_actioned.get(scope)
        return last is None or issuer_event_id != last

    return unequal


def _forget_on_power_off(original: Method, argument: str) -> Method:
    """Power off loses `argument` (a flash state kept in RAM instead)."""

    def forgetful(self: ReferenceDevice) -> None:
        original(self)
        if argument == "last_actioned":
            self.last_actioned.clear()
        elif argument == "display":
            # The display written before the last CoT is what flash holds: it comes back.
            saved = getattr(self, "_flash_display", None)
            if saved is not None:
                for data_class, items in saved.items():
                    self.display.add(data_class, items)

    return forgetful


OPERATORS: dict[str, Callable[[Method, str], Method]] = {
    "skip": _skip,
    "delay": _delay,
    "one_fuel": _one_fuel,
    "wrong_direction": _wrong_direction,
    "wrong_tsn": _wrong_tsn,
    "other_query_method": _other_query_method,
    "always": _always,
    "unequal": _unequal,
    "returns": _returns,
    "any_meter": _any_meter,
    "forget_on_power_off": _forget_on_power_off,
}


def _remember_display_before_cot(original: Method) -> Method:
    """For the display-in-RAM mutant: what flash held when the CoT was actioned."""

    def action_cot(self: ReferenceDevice, issuer_event_id: int, scope: str) -> None:
        self._flash_display = {dc: self.display.items(dc) or frozenset() for dc in self.stores}  # type: ignore[attr-defined]
        original(self, issuer_event_id, scope)

    return action_cot


CLEARING = ("CLR-01", "CLR-02", "CLR-03", "CLR-04", "CLR-05", "CLR-07", "CLR-08")
MUTATIONS: tuple[Mutation, ...] = (
    # clearing
    Mutation("clear", "skip", IHD, CLEARING),
    Mutation("clear", "skip", PPMID, CLEARING),
    Mutation("clear", "delay", IHD, ("CLR-05",), "clear_within"),
    Mutation("clear", "one_fuel", DUAL, ("CLR-01", "CLR-04"), "electricity"),
    Mutation("action_cot", "skip", IHD, CLEARING),
    Mutation("action_cot", "delay", PPMID, ("CLR-05",), "clear_within"),
    Mutation("fetch_new_occupier", "skip", IHD, ("CLR-06",)),
    Mutation("fetch_new_occupier", "delay", IHD, ("CLR-06",), "clear_within"),
    Mutation("fetch_new_occupier", "one_fuel", DUAL, ("CLR-06",), "electricity"),
    Mutation("on_power_off", "forget_on_power_off", IHD, ("CLR-07",), "display"),
    Mutation("on_power_off", "forget_on_power_off", IHD, ("NEG-05",), "last_actioned"),
    # Default Response
    Mutation("default_response", "skip", IHD, ("DM-01",)),
    Mutation("default_response", "delay", IHD, ("DM-01",), "response_timeout"),
    Mutation("default_response", "wrong_direction", IHD, ("DM-01",)),
    Mutation("default_response", "wrong_tsn", IHD, ("DM-01",)),
    Mutation("on_malformed", "skip", IHD, ("DM-03",)),
    # events
    Mutation("is_new_event", "always", IHD, ("NEG-02", "ROB-02"), "true"),
    Mutation("is_new_event", "unequal", IHD, ("NEG-03",)),
    Mutation("on_pushed_cot", "skip", IHD, ("DM-02", "CLR-01", "CLR-04")),
    Mutation("cancel_scheduled", "skip", SCHEDULED, ("IMPL-04",)),
    Mutation("schedule_cot", "skip", SCHEDULED, ("IMPL-02",)),
    # queries
    Mutation("query_cot", "skip", IHD, ("POLL-01", "POLL-05")),
    Mutation("query_cot", "delay", IHD, ("POLL-01",), "poll.after_join"),
    Mutation("query_cot", "other_query_method", IHD, ("POLL-01",)),
    Mutation("schedule_poll", "skip", IHD, ("POLL-03",)),
    Mutation("poll_interval", "attribute", IHD, ("POLL-03",), str(30 * 3600)),  # beyond max_interval 24 h
    Mutation("poll_interval", "attribute", IHD, ("POLL-04",), "900"),  # under min_interval 1 h
    Mutation("query_cot", "skip", DUAL, ("POLL-01", "POLL-06")),
    Mutation("cot_source", "any_meter", IHD, ("DM-06",)),
    # the other query method and the other reference devices
    Mutation("_on_cot_attributes", "skip", READ_ATTRIBUTES, ("POLL-05", "POLL-07")),
    Mutation("query_cot", "other_query_method", READ_ATTRIBUTES, ("POLL-01", "POLL-08")),
    Mutation("clear", "delay", PPMID, ("CLR-05",), "clear_within"),
    Mutation("on_power_off", "forget_on_power_off", PPMID, ("CLR-07",), "display"),
    Mutation("clear", "one_fuel", DUAL, ("CLR-01", "CLR-04"), "gas"),
    Mutation("fetch_new_occupier", "one_fuel", DUAL, ("CLR-06",), "gas"),
    Mutation("query_cot", "delay", DUAL, ("POLL-01",), "poll.after_join"),
    # clear scope
    Mutation("scope_of", "returns", FUEL_SCOPE, ("SCOPE-02",), "all"),
    # messages
    Mutation(
        "on_messaging",
        "skip",
        IHD,
        (),
        equivalent="pushed messages are neither shown nor acknowledged, but the unit still takes the occupier's "
        "message by Get Last Message at its next fetch, and no catalogue requirement covers Display Message "
        "handling itself (the meters-under-test cases will)",
    ),
)


def _mutant_class(mutation: Mutation) -> type[ReferenceDevice]:
    base = BASES[mutation.profile]
    original = getattr(base, mutation.hook)
    if mutation.operator == "attribute":  # a declared number changed (seconds)
        broken: Any = type(original)(float(mutation.argument))
    else:
        broken = OPERATORS[mutation.operator](original, mutation.argument)
    attributes: dict[str, Any] = {
        mutation.hook: broken,
        "__doc__": f"Mutant: {base.__name__}.{mutation.hook} broken by {mutation.operator}"
        + (f" ({mutation.argument})" if mutation.argument else ""),
        "__module__": __name__,
    }
    if mutation.operator == "forget_on_power_off" and mutation.argument == "display":
        attributes["action_cot"] = _remember_display_before_cot(base.action_cot)
    return type(mutation.name, (base,), attributes)


MUTANTS: dict[str, tuple[Mutation, type[ReferenceDevice]]] = {}
for _mutation in MUTATIONS:
    _cls = _mutant_class(_mutation)
    MUTANTS[_mutation.name] = (_mutation, _cls)
    globals()[_mutation.name] = _cls

if len(MUTANTS) != len(MUTATIONS):  # two mutations would load as one class
    raise RuntimeError("harness.sim.mutants: mutation names are not unique")
