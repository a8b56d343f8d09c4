"""No spurious clearing: NEG-01 .. NEG-05. A device that guesses a CoT must be caught too."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import allure

from harness.bench import Bench
from harness.catalogue import case
from harness.errors import PreconditionNotMet
from harness.esi.meter import CotEvent
from harness.plugin import applies
from harness.profile import Profile
from harness.zcl import codec
from harness.zcl.device_management import TENANCY_CHANGE_CONTROL_RESERVED_MASK
from testcases import steps
from testcases.steps import (
    DEVICE_MANAGEMENT,
    attach_text,
    eventually,
    new_occupier,
    push_cot_from_all,
    resident_shown,
    retained,
    send_frame,
    stored_and_shown,
)

DAY = 86400
HOUR = 3600


def _window(profile: Profile) -> float:
    return profile.timings.observation_window.total_seconds()


def _settled_new_occupier(bench: Bench, profile: Profile):  # noqa: ANN202
    """A CoT actioned and the new occupier's data shown: the state the NEG cases disturb."""
    classes = stored_and_shown(bench, profile)
    previous, new, event = new_occupier(bench)
    push_cot_from_all(bench, profile, event)
    steps.assert_actioned(
        bench, classes, previous, new, eventually(profile), "the meters published a Change of Tenancy"
    )
    for dc in classes:
        bench.observing.require_shown(dc, new, previous, role="new")
    return classes, previous, new, event


@case("NEG-01")
def test_neg_01(bench: Bench, profile: Profile) -> None:
    classes, resident, upcoming = resident_shown(bench, profile)
    window = _window(profile)
    started = bench.loop.now()

    def meters_have_no_cot() -> None:
        with allure.step("The meters hold no CoT: Get Change of Tenancy is answered NOT_FOUND"):
            bench.occupancy.set_meters(cot=None)

    retained(bench, classes, resident, upcoming, window, meters_have_no_cot, "no Change of Tenancy")
    queries = [q for m in bench.meters.values() for q in m.cot_queries(since=started)]
    attach_text("CoT queries answered NOT_FOUND", f"{len(queries)} during the {window:g} s window")
    if not queries:
        raise PreconditionNotMet(
            f"the unit made no CoT query during timings.observation_window ({window:g} s), so the NOT_FOUND "
            f"path was never exercised: make the window longer than timings.poll.max_interval"
        )


def _new_occupier_kept(bench: Bench, profile: Profile, not_genuine: Callable[[CotEvent], CotEvent], what: str) -> None:
    """After a genuine CoT, the meters push `not_genuine(that CoT)`: nothing may be cleared."""
    classes, previous, new, event = _settled_new_occupier(bench, profile)
    pushed = not_genuine(event)
    retained(
        bench,
        classes,
        new,
        previous,
        _window(profile),
        lambda: push_cot_from_all(bench, profile, pushed),
        what.format(pushed=pushed.issuer_event_id, actioned=event.issuer_event_id),
    )


def same_event_again(event: CotEvent) -> list[tuple[str, CotEvent]]:
    """The CoT `event` delivered again, each a way a unit could mistake it for a new one.

    ZigBee SE 1.4 makes the Issuer Event ID what tells one piece of information from
    another (newer information has a larger one), and the harness's expectation for a
    repeated Issuer Event ID (gb-cot-behaviour.md) is that an event already actioned is not
    actioned again: no other field of the command makes it a new event.
    So the same Issuer Event ID is re-sent byte for byte, with another implementation time
    (in the past, so actioned on receipt under either policy), and with another Provider
    ID and Tariff Type and the reserved change-control bits (which DM-04 says are ignored)."""
    return [
        ("byte for byte", event),
        (
            "with another implementation time",
            dataclasses.replace(event, implementation_time=event.implementation_time - HOUR),
        ),
        (
            "with another Provider ID and Tariff Type, reserved change-control bits set",
            dataclasses.replace(
                event,
                provider_id=event.provider_id ^ 0x00000001,
                tariff_type=event.tariff_type ^ 0x01,
                change_control=event.change_control | TENANCY_CHANGE_CONTROL_RESERVED_MASK,
            ),
        ),
    ]


@case("NEG-02")
def test_neg_02(bench: Bench, profile: Profile) -> None:
    classes, previous, new, event = _settled_new_occupier(bench, profile)
    again = same_event_again(event)

    def deliver_again() -> None:
        for how, pushed in again:
            with allure.step(
                f"The meters deliver the same CoT again, {how}: Issuer Event ID 0x{pushed.issuer_event_id:08X}, "
                f"implementation time 0x{pushed.implementation_time:08X}, Provider ID 0x{pushed.provider_id:08X}, "
                f"Tariff Type 0x{pushed.tariff_type:02X}, change control 0x{pushed.change_control:08X}"
            ):
                push_cot_from_all(bench, profile, pushed)

    retained(
        bench,
        classes,
        new,
        previous,
        _window(profile),
        deliver_again,
        f"the same CoT (Issuer Event ID 0x{event.issuer_event_id:08X}) delivered again "
        f"({'; '.join(how for how, _pushed in again)})",
    )


@case("NEG-03")
def test_neg_03(bench: Bench, profile: Profile) -> None:
    def older(event: CotEvent) -> CotEvent:
        return CotEvent(
            issuer_event_id=event.issuer_event_id - DAY, implementation_time=bench.occupancy.zcl_now() - DAY
        )

    _new_occupier_kept(
        bench,
        profile,
        older,
        "a CoT with an older Issuer Event ID (0x{pushed:08X} < 0x{actioned:08X})",
    )


@case("NEG-04")
def test_neg_04(bench: Bench, profile: Profile) -> None:
    classes, resident, upcoming = resident_shown(bench, profile)
    change = bench.occupancy.cot_event()

    def change_of_supplier() -> None:
        for source in steps.sources(profile):
            frame = codec.build(
                DEVICE_MANAGEMENT,
                "publish_change_of_supplier",
                tsn=bench.link.next_tsn(),
                current_provider_id=0x00000001,
                issuer_event_id=change.issuer_event_id,
                tariff_type=0,
                proposed_provider_id=0x00000002,
                provider_change_implementation_time=0,
                provider_change_control=0x00000200,
                proposed_provider_name=b"New Supplier",
                proposed_provider_contact_details=b"0800 000 000",
            )
            send_frame(bench, source, DEVICE_MANAGEMENT, frame, "Publish Change of Supplier")

    retained(bench, classes, resident, upcoming, _window(profile), change_of_supplier, "a Change of Supplier")


@case("NEG-05")
def test_neg_05(bench: Bench, profile: Profile) -> None:
    controls = bench.controls
    can_power, can_rejoin = controls.available("power_control"), controls.available("rejoin_control")
    applies(can_power or can_rejoin, "bench.power_control and bench.rejoin_control", "are both none")
    classes, resident, upcoming = resident_shown(bench, profile)

    def disturb() -> None:
        if can_power:
            with allure.step("Power-cycle the unit (no new CoT)"):
                controls.power_cycle()
                bench.loop.hold(profile.timings.poll.after_join.total_seconds(), "start-up after the power cycle")
        if can_rejoin:
            with allure.step("Make the unit rejoin (no new CoT)"):
                controls.rejoin()

    retained(bench, classes, resident, upcoming, _window(profile), disturb, "a power cycle / rejoin without a new CoT")
    steps.require_responsive(bench, "the power cycle / rejoin")
