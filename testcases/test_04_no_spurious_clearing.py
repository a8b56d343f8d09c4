"""No spurious clearing: NEG-01 .. NEG-05. A device that guesses a CoT must be caught too.

NEG-01 needs the unit's own query timer (NOT_FOUND answers to its periodic queries): it
reads the shared query soak (testcases/query_soak.py). NEG-02..05 provoke the query they
wait for (a rejoin or power cycle, steps.retained_until_queried) instead of waiting a
whole timings.observation_window.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import allure
import pytest

from harness.bench import Bench
from harness.catalogue import case
from harness.domain import DATA_CLASSES
from harness.errors import BenchError, PreconditionNotMet
from harness.esi.meter import CotEvent
from harness.plugin import applies
from harness.profile import Profile
from harness.zcl import codec
from harness.zcl.device_management import TENANCY_CHANGE_CONTROL_RESERVED_MASK
from harness.zcl.ids import MESSAGING
from testcases import steps
from testcases.query_soak import query_log, shared_soak
from testcases.steps import (
    DEVICE_MANAGEMENT,
    attach_text,
    eventually,
    new_occupier,
    push_cot_from_all,
    resident_shown,
    retained_until_queried,
    send_frame,
    stored_and_shown,
)

DAY = 86400
HOUR = 3600


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
@pytest.mark.soak
def test_neg_01(bench: Bench, profile: Profile) -> None:
    steps.require_stored(profile)
    soak = shared_soak(bench, profile, "NEG-01")
    if soak.settled_precondition is not None:
        raise soak.settled_precondition
    if soak.retention_precondition is not None:
        raise soak.retention_precondition
    settled = soak.settled
    if settled is None:  # the soak settles whenever the unit stores something and its precondition held
        raise BenchError("the query soak has no CoT actioned at its start: NEG-01 cannot judge it")
    answered = {source: [q for q in queries if q.at < soak.cot_set_at] for source, queries in soak.queries.items()}
    part_1 = soak.cot_set_at - soak.start
    how = f"a query provoked by a {soak.provoked}, then" if soak.provoked else "no query provoked (no control):"
    what = (
        f"no Change of Tenancy: the meters answered Get CoT NOT_FOUND for {soak.cot_set_at - soak.provoked_at:g} s "
        f"of the soak (to +{part_1:.1f} s; {how} the unit's own queries)"
    )
    attach_text(
        "CoT queries answered NOT_FOUND",
        "\n".join(f"{bench.meters[s].label}:\n" + query_log(queries, soak.start) for s, queries in answered.items()),
    )
    with allure.step(
        f"{settled.resident.name}'s data retained over part 1 of the soak (NOT_FOUND answers, to +{part_1:.1f} s)"
    ):
        for dc, kept in soak.retention.items():
            attach_text(
                f"{dc} over part 1",
                f"at its end: {kept.final.detail}; removed: {len(kept.lost)} item(s)\n{kept.changes}",
            )
        for dc, kept in soak.retention.items():
            assert not kept.lost and not kept.gone and kept.final.shows_previous, (
                f"{what}; expected {settled.resident.name}'s {dc} retained; "
                + (
                    f"{len(kept.lost)} item(s) were cleared (e.g. {sorted(kept.lost)[:3]}, first at "
                    f"+{(kept.first_lost_at or soak.start) - soak.start:.1f} s of the soak)"
                    if kept.lost
                    else "no item of it was seen removed"
                )
                + f"{'; an observation saw it gone' if kept.gone else ''}; at the end of part 1: {kept.final.detail}"
            )
    if not any(answered.values()):
        raise PreconditionNotMet(
            f"the unit made no CoT query in part 1 of the soak ({part_1:g} s, NOT_FOUND answered), so the NOT_FOUND "
            "path was never exercised (POLL-02/POLL-03 judge the queries)"
        )


def _new_occupier_kept(bench: Bench, profile: Profile, not_genuine: Callable[[CotEvent], CotEvent], what: str) -> None:
    """After a genuine CoT, the meters push `not_genuine(that CoT)`: nothing may be cleared."""
    classes, previous, new, event = _settled_new_occupier(bench, profile)
    pushed = not_genuine(event)
    retained_until_queried(
        bench,
        profile,
        classes,
        new,
        previous,
        lambda: push_cot_from_all(bench, profile, pushed),
        what.format(pushed=pushed.issuer_event_id, actioned=event.issuer_event_id),
    )


def same_event_again(event: CotEvent, now: int) -> list[tuple[str, CotEvent]]:
    """The CoT `event` delivered again, each a way a unit could mistake it for a new one.

    ZigBee SE 1.4 makes the Issuer Event ID what tells one piece of information from
    another (newer information has a larger one), and the harness's expectation for a
    repeated Issuer Event ID (gb-cot-behaviour.md) is that an event already actioned is not
    actioned again: no other field of the command makes it a new event.
    So the same Issuer Event ID is re-sent byte for byte, with an earlier and with a later
    implementation time (the later one `now`, the ZCL time at the resend: after the original's,
    not in the future, so actioned on receipt under either policy were it new), and with
    another Provider ID and Tariff Type and the reserved change-control bits (which DM-04
    says are ignored)."""
    return [
        ("byte for byte", event),
        (
            "with an earlier implementation time",
            dataclasses.replace(event, implementation_time=event.implementation_time - HOUR),
        ),
        (
            # A unit keying events on "newer ID or later date" takes this for a new one.
            "with a later implementation time (now)",
            dataclasses.replace(event, implementation_time=max(now, event.implementation_time + 1)),
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
    again = same_event_again(event, steps.zcl_now(bench))

    def deliver_again() -> None:
        for how, pushed in again:
            with allure.step(
                f"The meters deliver the same CoT again, {how}: Issuer Event ID 0x{pushed.issuer_event_id:08X}, "
                f"implementation time 0x{pushed.implementation_time:08X}, Provider ID 0x{pushed.provider_id:08X}, "
                f"Tariff Type 0x{pushed.tariff_type:02X}, change control 0x{pushed.change_control:08X}"
            ):
                push_cot_from_all(bench, profile, pushed)
        _not_found_for_a_while(bench, profile, event)

    retained_until_queried(
        bench,
        profile,
        classes,
        new,
        previous,
        deliver_again,
        f"the same CoT (Issuer Event ID 0x{event.issuer_event_id:08X}) delivered again "
        f"({'; '.join(how for how, _pushed in again)}; then, after a query answered NOT_FOUND, the meters' answer "
        "with it again)",
    )


def _not_found_for_a_while(bench: Bench, profile: Profile, event: CotEvent) -> None:
    """The meters answer NOT_FOUND to a query (provoked by a rejoin or power cycle), then
    hold the same CoT again, which the window's own provoked query is answered with: a
    meter restarting, or a comms hub's table rebuilt, must not make an event already
    actioned new again (a unit that "resynchronises" on NOT_FOUND forgets what it actioned).
    Without a control the unit's own query could take timings.observation_window: not done."""
    if steps.provocation(bench) is None:
        attach_text("NOT_FOUND, then the same CoT", "not done: the bench has neither rejoin nor power control")
        return
    with allure.step("The meters answer NOT_FOUND for a while (no CoT held), and the unit is made to ask them"):
        bench.occupancy.set_meters(cot=None)
        try:
            steps.provoke_query(bench, profile, bench.loop.now())
        finally:
            bench.occupancy.set_meters(cot=event)
    attach_text(
        "NOT_FOUND, then the same CoT",
        f"the meters hold the CoT of Issuer Event ID 0x{event.issuer_event_id:08X} again (already actioned)",
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


def _other_valid_commands(bench: Bench, change: CotEvent) -> list[tuple[str, int, bytes]]:
    """Valid server-to-client commands a meter sends an IHD/PPMID that are no Change of
    Tenancy, each a guess a unit could take for one (gb-cot-behaviour: "erroneous
    detection"): a Change of Supplier, and a new Site ID and a new CIN, each sent twice with
    different values (the home's identity as the unit holds it, then another: the change a
    unit guessing a new home would act on). Issuer Event IDs newer than any CoT actioned."""
    event_id, now = change.issuer_event_id, bench.occupancy.zcl_now()

    def dm(command: str, **fields: object) -> bytes:
        return codec.build(DEVICE_MANAGEMENT, command, tsn=bench.link.next_tsn(), **fields)

    sent = [
        (
            "Publish Change of Supplier",
            DEVICE_MANAGEMENT,
            dm(
                "publish_change_of_supplier",
                current_provider_id=0x00000001,
                issuer_event_id=event_id,
                tariff_type=0,
                proposed_provider_id=0x00000002,
                provider_change_implementation_time=0,
                provider_change_control=0x00000200,
                proposed_provider_name=b"New Supplier",
                proposed_provider_contact_details=b"0800 000 000",
            ),
        )
    ]
    for n, site_id in enumerate((b"SITE-0001", b"SITE-0002")):
        what = f"Update Site ID ({site_id.decode()})"
        frame = dm("update_site_id", issuer_event_id=event_id + n, site_id_time=now, provider_id=1, site_id=site_id)
        sent.append((what, DEVICE_MANAGEMENT, frame))
    for n, cin in enumerate((b"CIN-1001", b"CIN-1002")):
        frame = dm(
            "update_cin", issuer_event_id=event_id + n, implementation_time=now, provider_id=1, customer_id_number=cin
        )
        sent.append((f"Update CIN ({cin.decode()})", DEVICE_MANAGEMENT, frame))
    return sent


@case("NEG-04")
def test_neg_04(bench: Bench, profile: Profile) -> None:
    classes, resident, upcoming = resident_shown(bench, profile)
    change = bench.occupancy.cot_event()

    def other_commands() -> None:
        for source in steps.sources(profile):
            for what, cluster_id, frame in _other_valid_commands(bench, change):  # each meter its own TSNs
                send_frame(bench, source, cluster_id, frame, what)

    retained_until_queried(
        bench,
        profile,
        classes,
        resident,
        upcoming,
        other_commands,
        "valid commands that are no Change of Tenancy: Publish Change of Supplier, Update Site ID twice "
        "(SITE-0001, then SITE-0002), Update CIN twice (CIN-1001, then CIN-1002)",
    )
    # Cancel All Messages concerns the supplier messages (a unit may remove them: it is told
    # to); every other class must stay. Sent after the window above, which judged the
    # messages too, so that a unit clearing messages on another command is still caught.
    kept = [dc for dc in classes if not DATA_CLASSES[dc].cancelled_by_cancel_all]
    if not kept:
        attach_text("Cancel All Messages", "not sent: the unit stores no class but supplier messages")
        return

    def cancel_all_messages() -> None:
        for source in steps.sources(profile):
            frame = bench.meters[source].cancel_all_messages_frame(tsn=bench.link.next_tsn())
            send_frame(bench, source, MESSAGING, frame, "Cancel All Messages (implementation time now)")

    retained_until_queried(
        bench,
        profile,
        kept,
        resident,
        upcoming,
        cancel_all_messages,
        "Cancel All Messages (it may remove supplier messages, nothing else)",
    )


@case("NEG-05")
def test_neg_05(bench: Bench, profile: Profile) -> None:
    controls = bench.controls
    can_power, can_rejoin = controls.available("power_control"), controls.available("rejoin_control")
    applies(can_power or can_rejoin, "bench.power_control and bench.rejoin_control", "are both none")
    classes, resident, upcoming = resident_shown(bench, profile)

    def disturb() -> None:
        if can_power:
            with allure.step("Power-cycle the unit (no new CoT)"):
                since = bench.loop.now()
                controls.power_cycle()
                if can_rejoin:  # started up (its query after power-on made) before the rejoin
                    steps.await_each_queried(
                        bench,
                        since,
                        profile.timings.poll.after_join.total_seconds(),
                        "start-up after the power cycle (a CoT query at every meter)",
                    )
        elif can_rejoin:
            with allure.step("Make the unit rejoin (no new CoT)"):
                controls.rejoin()

    # The disturbance is the provocation: with both controls, the rejoin after the power
    # cycle is provoked as in NEG-02..04; with one, its own query ends the window.
    retained_until_queried(
        bench,
        profile,
        classes,
        resident,
        upcoming,
        disturb,
        "a power cycle / rejoin without a new CoT",
        provoked_by=None if can_power and can_rejoin else "power cycle" if can_power else "rejoin",
    )
    steps.require_responsive(bench, "the power cycle / rejoin")
