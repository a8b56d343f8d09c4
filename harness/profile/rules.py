"""The rules of a profile that span sections, e.g. install_code security needs an install code.

Separate from the models because each rule is reported at the field the engineer should
change, which is rarely the section that makes it necessary; ``Profile`` runs them all
after its sections validate and raises them as one error.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from harness.durations import format_duration
from harness.profile.choices import SecurityMode
from harness.profile.fields import SIM_PATH
from harness.profile.sections import Bench, Simulated

if TYPE_CHECKING:
    from harness.profile.document import Profile


def rule_violations(p: Profile) -> Iterator[tuple[tuple[str, ...], str]]:
    """Rules spanning sections, each reported at the field the engineer should change."""
    role = p.identity.role
    if not role.is_esi and not p.esi.sources:
        yield (
            ("esi", "sources"),
            f"a {role} needs at least one ESI source to query (esme, gpf)",
        )
    if role.is_esi and p.esi.sources:
        # For a meter under test the harness plays the IHD, not the meters: never a silent ignore.
        yield (
            ("esi", "sources"),
            f"a {role} under test is asked by the harness's IHD; the harness plays no meter then: leave this empty",
        )
    if p.radio.network == "join":
        yield (
            ("radio", "network"),
            "join is not possible: zigpy-znp drives a Z-Stack coordinator, which forms a network and cannot join "
            "another coordinator's (a comms hub's); use form and pair the unit with the harness's network",
        )
    if p.radio.security is SecurityMode.INSTALL_CODE and p.identity.install_code is None:
        yield (
            ("identity", "install_code"),
            "required when radio.security is install_code",
        )
    if p.radio.security is SecurityMode.CBKE:
        if p.identity.install_code is None:
            yield ("identity", "install_code"), "required when radio.security is cbke (the unit joins with it first)"
        if p.radio.cbke is None:
            yield ("radio", "cbke"), "required when radio.security is cbke: the trust centre's certificate and keys"
        elif p.radio.cbke.credential(p.radio.cbke.suite) is None:
            yield (
                ("radio", "cbke", f"suite_{p.radio.cbke.suite}"),
                f"required: radio.cbke.suite is {p.radio.cbke.suite}, the trust centre needs that suite's material",
            )
    for data_class in p.stores:
        if data_class not in p.observe:
            yield (
                ("observe", data_class),
                f"{data_class} is in stores: say how to observe it",
            )
    for data_class in p.observe:
        if data_class not in p.stores:
            # Otherwise the CLR case would silently become "not applicable".
            yield (
                ("observe", data_class),
                f"{data_class} is not in stores: add it there or drop this",
            )
    if p.simulation is None and p.is_simulated:
        yield ("simulation",), f"required when radio.path is '{SIM_PATH}'"
    yield from _remote_simulation_violations(p)
    if not p.is_simulated and not has_remote_simulation(p):
        specs = [(("bench", name), getattr(p.bench, name)) for name in Bench.model_fields]
        specs += [(("observe", data_class), spec) for data_class, spec in p.observe.items()]
        for loc, spec in specs:
            if isinstance(spec, Simulated):
                yield (*loc, "by"), f"simulation needs radio.path '{SIM_PATH}' or simulation.control"
    poll = p.timings.poll
    if poll.min_interval >= poll.max_interval:
        limit = format_duration(poll.max_interval)
        yield (
            ("timings", "poll", "min_interval"),
            f"must be shorter than timings.poll.max_interval ({limit})",
        )


def has_remote_simulation(p: Profile) -> bool:
    """The radio path reaches a standalone emulator (cot-harness emulate) whose control
    endpoint the profile names: simulated, though not started by the harness."""
    return p.simulation is not None and p.simulation.control is not None and not p.is_simulated


def _remote_simulation_violations(p: Profile) -> Iterator[tuple[tuple[str, ...], str]]:
    simulation = p.simulation
    if simulation is None:
        return
    if p.is_simulated and simulation.control is not None:
        yield (
            ("simulation", "control"),
            f"only with a standalone emulator (cot-harness emulate) the radio path reaches: with radio.path "
            f"'{SIM_PATH}' the harness starts its own; drop this, or set radio.path to the emulator's serial port",
        )
    if not p.is_simulated and simulation.control is None:
        yield (
            ("simulation", "control"),
            f"required when radio.path is not '{SIM_PATH}': the tcp://host:port of the control endpoint of the "
            f"emulator that radio.path reaches (cot-harness emulate --control); for a real stick drop simulation",
        )
    if not p.is_simulated and isinstance(p.bench.foreign_node, Simulated):
        yield (
            ("bench", "foreign_node", "by"),
            "a standalone emulator does not offer the foreign node over its control endpoint (the unit's link key "
            "would cross it): set by: none, and SEC-07 is not applicable (cot-harness emulate --write-profile does)",
        )
    if not p.is_simulated:
        for name in ("air", "seed"):
            if name in simulation.model_fields_set:
                yield (
                    ("simulation", name),
                    "the standalone emulator's own (set in its cot-harness emulate --profile): drop it here",
                )
