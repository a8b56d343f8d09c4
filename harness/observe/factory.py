"""One observer per data class the profile declares, as its `observe` section says."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from harness.domain import DataClass, Fuel
from harness.errors import ObserverError
from harness.observe.base import Observer
from harness.observe.command import CommandObserver
from harness.observe.operator import Answers, OperatorObserver, Terminal
from harness.observe.simulation import SimulationObserver
from harness.observe.zcl import ZclObserver, ZclReadFn
from harness.profile import CommandHook, EsiSource, OperatorStep, Profile, Role, Simulated, ZclRead

_SOURCE_FUEL = {EsiSource.ESME: Fuel.ELECTRICITY, EsiSource.GPF: Fuel.GAS}
_ROLE_FUEL = {Role.ESME: Fuel.ELECTRICITY, Role.GPF: Fuel.GAS}


def build_observers(
    profile: Profile,
    *,
    simulation: SimulationObserver | None,
    zcl_read: ZclReadFn | None,
    now: Callable[[], float],
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> dict[DataClass, Observer]:
    """Raises ObserverError, naming the profile field, when an entry cannot be served here."""
    observers: dict[DataClass, Observer] = {}
    operator: OperatorObserver | None = None
    for data_class, spec in profile.observe.items():
        where = f"observe.{data_class}"
        if isinstance(spec, Simulated):
            if simulation is None:
                raise ObserverError(f"{where} is by simulation, but this bench has no simulated device")
            observers[data_class] = simulation
        elif isinstance(spec, CommandHook):
            folder = profile.source_path.parent if profile.source_path is not None else None
            observers[data_class] = CommandObserver(spec, now, cwd=folder, secrets=profile.secrets())
        elif isinstance(spec, OperatorStep):
            # One for all: the answers file is read once and consumed in one order.
            operator = operator or build_operator(profile, now=now, stdin=stdin, stdout=stdout)
            observers[data_class] = operator
        elif isinstance(spec, ZclRead):
            if zcl_read is None:
                raise ObserverError(f"{where} is by zcl, but this bench cannot read the unit's attributes")
            fuel = _zcl_fuel(profile)
            observers[data_class] = ZclObserver(zcl_read, spec, profile.identity.endpoint, fuel, now)
        else:  # a new kind of entry in profile.py must not fall through to "no observer"
            raise ObserverError(f"{where}: no observer for by: {spec.by}")
    return observers


def build_operator(
    profile: Profile,
    *,
    now: Callable[[], float],
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> OperatorObserver:
    """The operator for every `by: operator` observe entry, and for bench instructions."""
    prompts = {dc: spec.prompt for dc, spec in profile.observe.items() if isinstance(spec, OperatorStep)}
    answers = Answers.load(profile.answers_file) if profile.answers_file is not None else None
    return OperatorObserver(prompts, answers, _terminal(stdin, stdout), now, display=profile.identity.model)


def _terminal(stdin: TextIO | None, stdout: TextIO | None) -> Terminal | None:
    typed = stdin if stdin is not None else sys.stdin
    shown = stdout if stdout is not None else sys.stdout
    try:
        interactive = typed is not None and typed.isatty()
    except (ValueError, OSError):  # closed, or replaced by something that is not a file
        interactive = False
    return (typed, shown) if interactive else None


def _zcl_fuel(profile: Profile) -> Fuel:
    # The attribute's value is judged as the fuel of the meter it mirrors: the UUT's own
    # fuel for a meter under test, else the first ESI source the profile lists.
    role = profile.identity.role
    if role in _ROLE_FUEL:
        return _ROLE_FUEL[role]
    if not profile.esi.sources:
        raise ObserverError("observe by zcl needs esi.sources to know which fuel the attribute is")
    return _SOURCE_FUEL[profile.esi.sources[0]]
