"""Clear scope: SCOPE-01, SCOPE-02. What a CoT from the GPF alone clears (behaviour.clear_scope).

In GB each meter receives the CoT on its own (ECS12 at the ESME, GCS09 at the GPF), and the
public material does not settle what a display clears when only the GPF has published it:
everything (`all`) or the gas data only (`fuel`). The profile declares it; these cases
publish the CoT from the GPF alone and judge each fuel's data apart.

Under `fuel` the ESME has not received the CoT yet: it still serves the previous occupier
and holds no new CoT, so the electricity data has no reason to go. Afterwards the ESME
receives it too, so that later cases start from one occupier at both meters. Under `all`
both meters hold the CoT (the unit learns it either way) but only the GPF publishes it.

The module sorts before test_08_event_id_range.py: NEG-06 must be the last case of a run.
"""

from __future__ import annotations

import allure

from harness.bench import Bench
from harness.catalogue import case
from harness.domain import DataClass, Fuel
from harness.errors import PreconditionNotMet
from harness.esi.meter import CotEvent
from harness.esi.tenant import Tenant
from harness.plugin import applies
from harness.profile import ClearScope, Profile
from testcases import steps
from testcases.steps import assert_cleared, attach_text, eventually, retained, send_publish_cot

ESME, GPF = "esme", "gpf"


def fuel_share(tenant: Tenant, fuel: Fuel) -> Tenant:
    """One fuel's part of an occupier's data, judged as if the occupier had no other: every
    observer (exact items, a yes/no hook, a person) is then asked about that fuel only."""
    records = {dc: {fuel: by_fuel[fuel]} for dc, by_fuel in tenant.records.items() if fuel in by_fuel}
    return Tenant(f"{tenant.name} ({fuel})", records)


def _dual_fuel(profile: Profile) -> None:
    declared = set(steps.sources(profile))
    applies(
        declared >= {ESME, GPF},
        "esi.sources",
        f"is {sorted(declared)}: a CoT from the GPF alone needs a dual-fuel home (esme and gpf)",
    )


def _both_fuels_shown(bench: Bench, profile: Profile) -> list[DataClass]:
    """Precondition: the unit shows the resident's electricity and gas data, each fuel apart
    (a fuel never shown could not tell clearing from never having had it)."""
    classes = steps.require_stored(profile)
    resident, upcoming = bench.occupancy.resident, bench.occupancy.upcoming
    with allure.step(f"Precondition: the unit shows {resident.name}'s electricity and gas data"):
        for dc in classes:
            for fuel in Fuel:
                seen = bench.observing.require_shown(dc, fuel_share(resident, fuel), fuel_share(upcoming, fuel))
                attach_text(f"{dc} ({fuel}) before", seen.detail)
    return classes


def _cot_at_the_gpf(bench: Bench, profile: Profile) -> tuple[Tenant, Tenant, CotEvent]:
    """A new occupier; under clear_scope fuel the ESME has not received the CoT yet."""
    esme = bench.meters[ESME]
    held = bench.loop.call_on_loop(lambda: (esme.tenant, esme.cot, esme.message_published))
    previous, new, event = steps.new_occupier(bench)
    if profile.behaviour.clear_scope is ClearScope.FUEL:
        with allure.step(
            f"The ESME has not received the CoT yet: it still serves {previous.name} and holds no new CoT"
        ):
            _set_meter(bench, ESME, *held)
    return previous, new, event


def _set_meter(bench: Bench, source: str, tenant: Tenant, cot: CotEvent | None, message_published: bool) -> None:
    meter = bench.meters[source]

    def apply() -> None:
        meter.tenant, meter.cot, meter.message_published = tenant, cot, message_published

    bench.loop.call_on_loop(apply)


def _esme_receives_it(
    bench: Bench, profile: Profile, classes: list[DataClass], previous: Tenant, new: Tenant, event: CotEvent
) -> None:
    """Under clear_scope fuel, the ESME then receives the CoT and publishes it, so the next
    case starts from one occupier at both meters (judged by the CLR cases, not here)."""
    if profile.behaviour.clear_scope is not ClearScope.FUEL:
        return
    with allure.step("The ESME receives the CoT too and publishes it (the state later cases start from)"):
        _set_meter(bench, ESME, new, event, False)
        send_publish_cot(bench, ESME, event)
        found = bench.observing.first_seen(
            classes,
            fuel_share(previous, Fuel.ELECTRICITY),
            fuel_share(new, Fuel.ELECTRICITY),
            lambda o: not o.shows_previous,
            eventually(profile),
            "the electricity data cleared on the ESME's CoT",
        )
        attach_text(
            "after the ESME's CoT",
            "\n".join(f"{dc}: {'cleared: ' + seen.detail if seen else 'not cleared'}" for dc, seen in found.items()),
        )


@case("SCOPE-01")
def test_scope_01(bench: Bench, profile: Profile) -> None:
    _dual_fuel(profile)
    classes = _both_fuels_shown(bench, profile)
    scope = profile.behaviour.clear_scope
    previous, new, event = _cot_at_the_gpf(bench, profile)
    # all: every fuel's data goes; fuel: the gas data (SCOPE-02 judges what must stay).
    must_go = [Fuel.GAS] if scope is ClearScope.FUEL else list(Fuel)
    try:
        send_publish_cot(bench, GPF, event)
        esme = "the ESME holds no new CoT yet" if scope is ClearScope.FUEL else "the ESME published nothing"
        for fuel in must_go:
            assert_cleared(
                bench,
                classes,
                fuel_share(previous, fuel),
                fuel_share(new, fuel),
                eventually(profile),
                f"the GPF alone published a Change of Tenancy (Issuer Event ID 0x{event.issuer_event_id:08X}; "
                f"{esme}); behaviour.clear_scope {scope}: the previous occupier's {fuel} data must go",
            )
    finally:
        _esme_receives_it(bench, profile, classes, previous, new, event)


@case("SCOPE-02")
def test_scope_02(bench: Bench, profile: Profile) -> None:
    _dual_fuel(profile)
    applies(
        profile.behaviour.clear_scope is ClearScope.FUEL,
        "behaviour.clear_scope",
        "is all: a CoT from the GPF alone clears every fuel's data (SCOPE-01)",
    )
    classes = _both_fuels_shown(bench, profile)
    previous, new, event = _cot_at_the_gpf(bench, profile)
    window = eventually(profile)

    def gpf_publishes_and_gas_goes() -> None:
        send_publish_cot(bench, GPF, event)
        gone = bench.observing.first_seen(
            classes,
            fuel_share(previous, Fuel.GAS),
            fuel_share(new, Fuel.GAS),
            lambda o: not o.shows_previous,
            window,
            "the gas data cleared on the GPF's CoT",
            until="any",
        )
        if not any(gone.values()):
            # Keeping the electricity data proves nothing if the CoT was not actioned at all.
            raise PreconditionNotMet(
                f"the GPF's CoT cleared none of the previous occupier's gas data within {window:g} s "
                "(SCOPE-01 judges that), so keeping the electricity data shows nothing"
            )

    try:
        retained(
            bench,
            classes,
            fuel_share(previous, Fuel.ELECTRICITY),
            fuel_share(new, Fuel.ELECTRICITY),
            window,
            gpf_publishes_and_gas_goes,
            f"the GPF alone published a Change of Tenancy (Issuer Event ID 0x{event.issuer_event_id:08X}) and the "
            f"unit cleared gas data; the ESME holds no new CoT and still serves {previous.name}; "
            "behaviour.clear_scope fuel: the electricity data must stay",
        )
    finally:
        _esme_receives_it(bench, profile, classes, previous, new, event)
