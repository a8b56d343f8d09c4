"""Clear scope: SCOPE-01, SCOPE-02. What a CoT from one meter alone clears (behaviour.clear_scope).

In GB each meter receives the CoT on its own (ECS12 at the ESME, GCS09 at the GPF), and the
public material does not settle what a display clears when only the GPF has published it:
everything (`all`) or the gas data only (`fuel`). The profile declares it; SCOPE-01
publishes the CoT from the GPF alone and judges each fuel's data apart, then has the unit
learn one from the GPF alone by its own query (a provoked one), the ESME holding no new CoT.

Under `fuel` the ESME has not received the CoT yet: it still serves the previous occupier
and holds no new CoT, so the electricity data has no reason to go. Afterwards the ESME
receives it too, so that later cases start from one occupier at both meters. Under `all`
both meters hold the CoT (the unit learns it either way) but only the GPF publishes it.

SCOPE-02 (`fuel` only) judges what must stay, from each meter in turn: the GPF alone (the
electricity data stays), then the ESME alone (the gas data stays), the other meter holding
no new CoT each time. A CoT from one meter clears that fuel and nothing else, whichever
meter it is: a unit treating the ESME as the household's meter is right on the GPF's CoT.

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
    _learnt_from_the_gpf_alone(bench, profile, classes, must_go)


def _learnt_from_the_gpf_alone(bench: Bench, profile: Profile, classes: list[DataClass], must_go: list[Fuel]) -> None:
    """The same rule when the CoT is learnt by the unit's own query, never pushed: only the
    GPF's answer carries it. The ESME holds no new CoT (it answers the one already actioned);
    under clear_scope all it already serves the new occupier (its data restricted, its Device
    Management server not told yet), so the unit re-fetching it shows no previous data. A unit
    whose gas query task clears the gas screens only is caught here; when both meters answer
    with the CoT, the ESME's answer hides it."""
    scope = profile.behaviour.clear_scope
    esme = bench.meters[ESME]
    held = bench.loop.call_on_loop(lambda: (esme.tenant, esme.cot, esme.message_published))
    _both_fuels_shown(bench, profile)
    with allure.step("Learnt by query: the GPF alone holds a new CoT, never pushed"):
        previous, new, event = steps.new_occupier(bench)
        tenant = held[0] if scope is ClearScope.FUEL else new
        _set_meter(bench, ESME, tenant, held[1], held[2])
        try:
            queried = steps.provoke_query(bench, profile, bench.loop.now())
            asked_at = queried.at.get(GPF)
            if asked_at is None:
                raise PreconditionNotMet(
                    f"no CoT query reached the GPF after {queried.how} (POLL-01..03 judge that): a CoT learnt from "
                    "the GPF alone by query could not be judged"
                )
            for fuel in must_go:
                assert_cleared(
                    bench,
                    classes,
                    fuel_share(previous, fuel),
                    fuel_share(new, fuel),
                    max(0.0, asked_at + eventually(profile) - bench.loop.now()),
                    f"the GPF alone held a Change of Tenancy (Issuer Event ID 0x{event.issuer_event_id:08X}, never "
                    f"pushed; the ESME holds no new CoT); after {queried.how} the unit queried the GPF "
                    f"({asked_at - queried.since:.1f} s later) and was answered with it; behaviour.clear_scope "
                    f"{scope}: the previous occupier's {fuel} data must go",
                )
        finally:
            if scope is ClearScope.FUEL:
                _esme_receives_it(bench, profile, classes, previous, new, event)
            else:
                _set_meter(bench, ESME, new, event, held[2])


# SCOPE-02's rounds: the meter that publishes alone, and the fuel (the other meter's) that
# must stay. Both meters: a unit that takes one meter (say the ESME) as the household's and
# clears every fuel on its CoT is right on the GPF's CoT alone.
LONE_PUBLISHERS: tuple[tuple[str, Fuel], ...] = ((GPF, Fuel.ELECTRICITY), (ESME, Fuel.GAS))
_OTHER = {GPF: ESME, ESME: GPF}
_LABEL = {GPF: "GPF", ESME: "ESME"}


def _cot_at_one(bench: Bench, publisher: str) -> tuple[Tenant, Tenant, CotEvent]:
    """A new occupier, the meter other than `publisher` not having received the CoT yet: it
    still serves the previous occupier and holds no new CoT (clear_scope fuel only)."""
    other = bench.meters[_OTHER[publisher]]
    held = bench.loop.call_on_loop(lambda: (other.tenant, other.cot, other.message_published))
    previous, new, event = steps.new_occupier(bench)
    with allure.step(
        f"The {_LABEL[_OTHER[publisher]]} has not received the CoT yet: it still serves {previous.name} and holds "
        "no new CoT"
    ):
        _set_meter(bench, _OTHER[publisher], *held)
    return previous, new, event


def _other_receives_it(
    bench: Bench,
    profile: Profile,
    classes: list[DataClass],
    previous: Tenant,
    new: Tenant,
    event: CotEvent,
    publisher: str,
) -> None:
    """The meter other than `publisher` then receives the CoT and publishes it, so the next
    round or case starts from one occupier at both meters (judged by the CLR cases, not here)."""
    source = _OTHER[publisher]
    fuel = bench.meters[source].fuel
    with allure.step(f"The {_LABEL[source]} receives the CoT too and publishes it (the state later cases start from)"):
        _set_meter(bench, source, new, event, False)
        send_publish_cot(bench, source, event)
        found = bench.observing.first_seen(
            classes,
            fuel_share(previous, fuel),
            fuel_share(new, fuel),
            lambda o: not o.shows_previous,
            eventually(profile),
            f"the {fuel} data cleared on the {_LABEL[source]}'s CoT",
        )
        attach_text(
            f"after the {_LABEL[source]}'s CoT",
            "\n".join(f"{dc}: {'cleared: ' + seen.detail if seen else 'not cleared'}" for dc, seen in found.items()),
        )


def _lone_cot_keeps_other_fuel(bench: Bench, profile: Profile, publisher: str, kept: Fuel) -> None:
    """One round of SCOPE-02: `publisher` alone publishes a CoT, its own fuel's data goes
    (else nothing is shown by keeping the other), and `kept` (the other meter's fuel) stays."""
    classes = _both_fuels_shown(bench, profile)
    previous, new, event = _cot_at_one(bench, publisher)
    gone_fuel = bench.meters[publisher].fuel
    label, other = _LABEL[publisher], _LABEL[_OTHER[publisher]]
    window = eventually(profile)

    def publishes_and_own_fuel_goes() -> None:
        send_publish_cot(bench, publisher, event)
        gone = bench.observing.first_seen(
            classes,
            fuel_share(previous, gone_fuel),
            fuel_share(new, gone_fuel),
            lambda o: not o.shows_previous,
            window,
            f"the {gone_fuel} data cleared on the {label}'s CoT",
            until="any",
        )
        if not any(gone.values()):
            # Keeping the other fuel's data proves nothing if the CoT was not actioned at all.
            raise PreconditionNotMet(
                f"the {label}'s CoT cleared none of the previous occupier's {gone_fuel} data within {window:g} s "
                f"(SCOPE-01 and the CLR cases judge that), so keeping the {kept} data shows nothing"
            )

    try:
        retained(
            bench,
            classes,
            fuel_share(previous, kept),
            fuel_share(new, kept),
            window,
            publishes_and_own_fuel_goes,
            f"the {label} alone published a Change of Tenancy (Issuer Event ID 0x{event.issuer_event_id:08X}) and the "
            f"unit cleared {gone_fuel} data; the {other} holds no new CoT and still serves {previous.name}; "
            f"behaviour.clear_scope fuel: the {kept} data must stay",
        )
    finally:
        _other_receives_it(bench, profile, classes, previous, new, event, publisher)


@case("SCOPE-02")
def test_scope_02(bench: Bench, profile: Profile) -> None:
    _dual_fuel(profile)
    applies(
        profile.behaviour.clear_scope is ClearScope.FUEL,
        "behaviour.clear_scope",
        "is all: a CoT from the GPF alone clears every fuel's data (SCOPE-01)",
    )
    for publisher, kept in LONE_PUBLISHERS:
        with allure.step(f"A CoT from the {_LABEL[publisher]} alone: the {kept} data stays"):
            _lone_cot_keeps_other_fuel(bench, profile, publisher, kept)
