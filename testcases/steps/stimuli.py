"""The occupier in residence shown, a new one moved in, and the frames that tell the unit:
each an Allure step saying what was sent."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import allure
from zigpy.zcl import foundation

from harness.bench import Bench
from harness.domain import DataClass
from harness.esi import servers
from harness.esi.meter import CotEvent
from harness.esi.tenant import Tenant
from harness.evidence.trace_text import describe_frame
from harness.observe.base import Observation
from harness.profile import ClearScope, Profile
from harness.radio.coordinator import DeliveryFailed
from harness.radio.trace import FrameRecord
from harness.zcl import codec
from harness.zcl.header import parse_header
from harness.zcl.ids import MESSAGING
from testcases.steps.answers import await_default_response
from testcases.steps.facts import (
    attach_text,
    require_stored,
    response_timeout,
    sources,
)


# -- the occupier's data -----------------------------------------------------------------
def require_resident_shown(bench: Bench, classes: Iterable[DataClass]) -> dict[DataClass, Observation]:
    """Precondition: the unit shows the occupier in residence (who becomes 'previous')."""
    resident, upcoming = bench.occupancy.resident, bench.occupancy.upcoming
    seen = {}
    with allure.step(f"Precondition: the unit shows {resident.name}'s data"):
        for dc in classes:
            seen[dc] = bench.observing.require_shown(dc, resident, upcoming)
            attach_text(f"{dc} before", seen[dc].detail)
    return seen


def stored_and_shown(bench: Bench, profile: Profile) -> list[DataClass]:
    """The precondition of most cases: the unit stores something (else not applicable) and
    shows the occupier in residence; the classes it stores."""
    classes = require_stored(profile)
    require_resident_shown(bench, classes)
    return classes


def resident_shown(bench: Bench, profile: Profile) -> tuple[list[DataClass], Tenant, Tenant]:
    """stored_and_shown, with the occupier in residence and the one who would move in next."""
    classes = stored_and_shown(bench, profile)
    return classes, bench.occupancy.resident, bench.occupancy.upcoming


def new_occupier(bench: Bench, **cot: int) -> tuple[Tenant, Tenant, CotEvent]:
    with allure.step("A new occupier moves in: the meters hold the CoT and serve only the new occupier's data"):
        previous, new, event = bench.occupancy.move_in(**cot)
        attach_text(
            "CoT held by the meters",
            f"Issuer Event ID 0x{event.issuer_event_id:08X}, implementation time 0x{event.implementation_time:08X}, "
            f"change control 0x{event.change_control:08X}; {previous.name} -> {new.name}",
        )
    return previous, new, event


def delivered(bench: Bench, send: Callable[[], FrameRecord], what: str) -> FrameRecord:
    """Send one frame; if the radio reports it undelivered (no MAC acknowledgement after its
    own retries), send it again up to timings.retries times, each time as a visible step.
    Still undelivered: bench trouble (DeliveryFailed), never a verdict on the unit."""
    retries = bench.profile.timings.retries
    for number in range(retries):
        try:
            return send()
        except DeliveryFailed as error:
            with allure.step(
                f"{what} not delivered ({error}): sending again ({number + 1} of timings.retries = {retries})"
            ):
                pass
    return send()  # the last attempt: undelivered again, DeliveryFailed is the bench's


def send_publish_cot(bench: Bench, source: str, event: CotEvent, **options: bool) -> FrameRecord:
    meter = bench.meters[source]
    with allure.step(f"{meter.label} sends Publish Change of Tenancy, Issuer Event ID 0x{event.issuer_event_id:08X}"):
        record = delivered(bench, lambda: bench.link.publish_cot(source, event, **options), "Publish CoT")
        attach_text("sent", describe_frame(record))
        return record


def push_cot_from_all(bench: Bench, profile: Profile, event: CotEvent, **options: bool) -> list[FrameRecord]:
    """Every declared meter publishes the CoT (as GB meters push it on receipt)."""
    return [send_publish_cot(bench, source, event, **options) for source in sources(profile)]


def sources_clearing_all(profile: Profile) -> list[str]:
    """The meters whose Publish CoT, between them, clear all of the previous occupier's data
    by the declaration. Under clear_scope all, one meter's CoT clears everything: the first
    declared, as single-push cases send it (SCOPE-01 judges the GPF alone). Under
    clear_scope fuel, each meter's CoT clears its own fuel, so every meter must publish it."""
    if profile.behaviour.clear_scope is ClearScope.FUEL:
        return sources(profile)
    return sources(profile)[:1]


def send_frame(bench: Bench, source: str, cluster_id: int, payload: bytes, what: str) -> FrameRecord:
    with allure.step(f"{bench.meters[source].label} sends {what}"):
        record = delivered(bench, lambda: bench.link.send(source, cluster_id, payload), what)
        attach_text("sent", describe_frame(record))
        return record


def unknown_command_frame(cluster_id: int, command_id: int, *, tsn: int, body: bytes = b"") -> bytes:
    """A cluster-specific server-to-client frame of a command `cluster_id` does not define,
    a Default Response wanted (zigpy's header; codec.build knows only defined commands)."""
    header = foundation.ZCLHeader.cluster(tsn, command_id, direction=foundation.Direction.Server_to_Client)
    header.frame_control = header.frame_control.replace(disable_default_response=False)
    return header.serialize() + body


# Message Control (wire reference, Messaging): bits 2-3 importance, 3 = critical; bit 7
# message confirmation required. A supplier message is one whatever its importance.
CRITICAL_CONFIRMATION_REQUIRED = 0x8C
# The forms a meter relays a supplier message in: each is the occupier's supplier message (a
# unit keeping protected ones in a secure store, or one awaiting the consumer's confirmation,
# "until confirmed", keeps the previous occupier's message over a CoT).
MESSAGE_FORMS = (
    ("display_protected_message", 0x00, "Display Protected Message"),
    ("display_message", CRITICAL_CONFIRMATION_REQUIRED, "Display Message, critical, confirmation required"),
)


def supplier_message_in_every_form(bench: Bench, profile: Profile) -> None:
    """Each meter sends the resident's supplier message again in each of MESSAGE_FORMS (the
    same message ID, so what the unit shows is still attributable), each acknowledged before
    the next so none is in flight when a CoT follows."""
    for source in sources(profile):
        meter = bench.meters[source]
        fields = bench.loop.call_on_loop(lambda meter=meter: servers.display_message_fields(meter))
        if fields is None:
            continue
        for command, control, words in MESSAGE_FORMS:
            frame = codec.build(
                MESSAGING, command, tsn=bench.link.next_tsn(), **(fields | {"message_control": control})
            )
            sent = send_frame(bench, source, MESSAGING, frame, f"the resident's supplier message again, as {words}")
            command_id = parse_header(frame).command_id
            await_default_response(bench, sent, response_timeout(profile), command_id=command_id, cluster_id=MESSAGING)
