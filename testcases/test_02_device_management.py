"""Device Management client (UUT = IHD or PPMID): DM-01 .. DM-06."""

from __future__ import annotations

import allure

from harness.bench import Bench
from harness.catalogue import case
from harness.esi.meter import CotEvent
from harness.evidence.measurements import record
from harness.plugin import applies
from harness.profile import MalformedReply, Profile
from harness.radio.trace import FrameRecord
from harness.zcl import Status
from harness.zcl.device_management import (
    TARIFF_TYPE_RESERVED_MASK,
    TENANCY_CHANGE_CONTROL_RESERVED_MASK,
    TariffType,
)
from testcases import steps
from testcases.steps import (
    DEVICE_MANAGEMENT,
    PUBLISH_COT,
    await_default_response,
    default_responses_seen,
    new_occupier,
    not_conforming,
    push_cot_from_all,
    require_responsive,
    resident_shown,
    response_timeout,
    retained,
    send_frame,
    send_publish_cot,
    status_of,
    stored_and_shown,
    unknown_command_frame,
)
from testcases.steps.false_cot import false_cot_clears_nothing

UNKNOWN_DM_COMMAND = 0x0F  # no Device Management server-to-client command has this ID
# DM-05's look-alikes of a Publish CoT: ZCL frame control bits (wire reference, "Conventions").
_FRAME_CLUSTER_SPECIFIC, _FRAME_MANUFACTURER_SPECIFIC, _FRAME_SERVER_TO_CLIENT = 0x01, 0x04, 0x08
LOOKALIKE_MANUFACTURER = 0x1234  # a manufacturer code of no meter on the bench (any serves)
TRUNCATIONS = 2 * 17  # DM-03: every length 0..16, disable-default-response clear and set


def _dm_client(profile: Profile) -> None:
    applies(not profile.identity.role.is_esi, "identity.role", f"is {profile.identity.role}, not a DM client")


@case("DM-01")
def test_dm_01(bench: Bench, profile: Profile) -> None:
    _dm_client(profile)
    timeout = response_timeout(profile)
    _previous, _new, event = new_occupier(bench)
    for source in steps.sources(profile):
        attempts: list[FrameRecord] = []

        def publish(source: str = source, attempts: list[FrameRecord] = attempts) -> FrameRecord | None:
            attempts.append(send_publish_cot(bench, source, event))  # the same CoT: a unit dedupes it
            return await_default_response(bench, attempts[-1], timeout)

        answer = steps.with_retries(bench, publish, "send the same Publish CoT")
        sent = attempts[-1]
        label = bench.meters[source].label
        with allure.step(
            f"The unit answers {label}'s Publish Change of Tenancy with a Default Response SUCCESS within "
            f"response_timeout ({timeout:g} s)"
        ):
            wrong = not_conforming(seen for frame in attempts for seen in default_responses_seen(bench, frame))
            assert answer is not None, (
                f"{label} sent Publish Change of Tenancy ({len(attempts)} attempt(s)); expected a "
                f"Default Response (a global command, client to server, not manufacturer-specific, the TSN echoed, "
                f"naming command 0x{steps.PUBLISH_COT:02X}) within response_timeout {timeout:g} s; "
                + (wrong.removeprefix("; ") if wrong else "the unit sent none")
            )
            record(f"{source} Default Response latency", answer.timestamp - sent.timestamp, "s", high=timeout)
            status = status_of(answer)
            assert status == Status.SUCCESS, (
                f"{label} sent Publish Change of Tenancy; expected Default Response SUCCESS; "
                f"the unit answered {status.name} (0x{int(status):02X})"
            )


@case("DM-02")
def test_dm_02(bench: Bench, profile: Profile) -> None:
    _dm_client(profile)
    classes = stored_and_shown(bench, profile)
    previous, new, event = new_occupier(bench)
    sent = push_cot_from_all(bench, profile, event, disable_default_response=True)
    timeout = response_timeout(profile)
    for frame in sent:
        await_default_response(bench, frame, timeout)
        with allure.step("No Default Response SUCCESS to a Publish CoT with disable-default-response set"):
            # A wrong Default Response (wrong direction, ...) is still one the unit must not send.
            successes = [seen for seen in default_responses_seen(bench, frame) if seen.status == Status.SUCCESS]
            assert not successes, (
                "sent Publish Change of Tenancy with disable-default-response set; expected no Default Response "
                f"on success; the unit answered Default Response SUCCESS{not_conforming(successes)}"
            )
    steps.assert_actioned(
        bench,
        classes,
        previous,
        new,
        steps.eventually(profile),
        "Publish Change of Tenancy with disable-default-response set",
    )


@case("DM-03")
def test_dm_03(bench: Bench, profile: Profile) -> None:
    _dm_client(profile)
    classes, resident, upcoming = resident_shown(bench, profile)
    source = steps.sources(profile)[0]
    meter = bench.meters[source]
    # A newer Issuer Event ID than any actioned: a unit that actions a malformed CoT clears.
    event = bench.occupancy.cot_event()
    timeout = response_timeout(profile)
    silent = profile.behaviour.malformed_reply is MalformedReply.SILENCE
    wrong: list[str] = []

    def send_truncations() -> None:
        # Each length twice: a Default Response wanted, then disable-default-response set. The
        # bit suppresses only the answer on success (wire reference: "then only on error"), so
        # the declared reply to a truncated frame is the same either way.
        for ddr in (False, True):
            for length in range(17):
                full = meter.publish_cot_frame(event, tsn=bench.link.next_tsn(), disable_default_response=ddr)
                frame = full[: 3 + length]
                how = f"{length} octets{', disable-default-response set' if ddr else ''}"
                sent = send_frame(bench, source, DEVICE_MANAGEMENT, frame, f"Publish CoT truncated to {how}")
                answer = await_default_response(bench, sent, timeout)
                seen = default_responses_seen(bench, sent)
                if silent and seen:
                    got = ", ".join("unreadable" if s.status is None else s.status.name for s in seen)
                    wrong.append(f"{how}: answered {got} (declared silence){not_conforming(seen)}")
                elif not silent and (answer is None or status_of(answer) != Status.MALFORMED_COMMAND):
                    got = "nothing" if answer is None else status_of(answer).name
                    wrong.append(f"{how}: expected MALFORMED_COMMAND, got {got}{not_conforming(seen)}")

    sent_what = f"{TRUNCATIONS} truncated Publish CoT frames (0..16 octets, disable-default-response clear and set)"
    # A unit may take up to clear_within to action a CoT: one that actions a truncated one
    # late must still be seen clearing, so the watch lasts as long as any case waits for one.
    retained(
        bench,
        classes,
        resident,
        upcoming,
        steps.eventually(profile),
        send_truncations,
        sent_what,
    )
    expected = "no answer" if silent else "Default Response MALFORMED_COMMAND"
    with allure.step(
        f"Each truncated Publish CoT answered as behaviour.malformed_reply {profile.behaviour.malformed_reply} "
        f"declares ({expected}), disable-default-response set or not"
    ):
        steps.attach_text("answered otherwise", "\n".join(wrong) or "none")
        assert not wrong, (
            f"sent {sent_what}; behaviour.malformed_reply is "
            f"{profile.behaviour.malformed_reply} ({expected}, an error answered even with "
            f"disable-default-response set); {len(wrong)} were answered differently:\n" + "\n".join(wrong)
        )
    require_responsive(bench, sent_what)


@case("DM-04")
def test_dm_04(bench: Bench, profile: Profile) -> None:
    _dm_client(profile)
    classes = stored_and_shown(bench, profile)
    # Every reserved bit of a genuine CoT set at once: the change-control bits 15-31 and the
    # Tariff Type's high nibble (wire reference: low nibble the enum, high nibble reserved),
    # the low nibble a defined tariff type. Reserved bits are ignored: it is still a CoT.
    previous, new, event = new_occupier(
        bench,
        change_control=0x00000200 | TENANCY_CHANGE_CONTROL_RESERVED_MASK,
        tariff_type=TARIFF_TYPE_RESERVED_MASK | TariffType.Delivered,
    )
    what = (
        f"Publish CoT with reserved change-control bits 0x{TENANCY_CHANGE_CONTROL_RESERVED_MASK:08X} and reserved "
        f"Tariff Type bits 0x{TARIFF_TYPE_RESERVED_MASK:02X} set (Tariff Type 0x{event.tariff_type:02X})"
    )
    for sent in push_cot_from_all(bench, profile, event):
        await_default_response(bench, sent, response_timeout(profile))
        with allure.step("The reserved bits are ignored: the Publish CoT is not rejected"):
            rejections = [s for s in default_responses_seen(bench, sent) if s.status not in (None, Status.SUCCESS)]
            assert not rejections, (
                f"sent {what}; the bits must be ignored; "
                f"the unit rejected it with {', '.join(s.status.name for s in rejections if s.status is not None)}"
            )
    steps.assert_actioned(bench, classes, previous, new, steps.eventually(profile), what)


def _publish_cot_lookalikes(bench: Bench, source: str, event: CotEvent) -> list[tuple[str, bytes]]:
    """Frames of the Device Management cluster carrying command ID 0x00 and a genuine Publish
    CoT body (an Issuer Event ID newer than any actioned) that are not a Publish CoT, each a
    header field a dispatcher keyed on cluster and command ID alone would overlook (wire
    reference, frame control): bit 2 set (a manufacturer's own command 0x00, in that
    manufacturer's ID space), bit 3 clear (client to server: command 0x00 is then Get
    Change of Tenancy, a meter's command, never an IHD's), and frame type 0 (global: command
    0x00 is then Read Attributes, whatever follows it)."""
    body = bench.meters[source].publish_cot_frame(event, tsn=0)[3:]
    manufacturer = _FRAME_MANUFACTURER_SPECIFIC | _FRAME_SERVER_TO_CLIENT | _FRAME_CLUSTER_SPECIFIC
    return [
        (
            f"a manufacturer-specific command 0x{PUBLISH_COT:02X} (manufacturer 0x{LOOKALIKE_MANUFACTURER:04X}) "
            "with a Publish CoT body",
            bytes([manufacturer, LOOKALIKE_MANUFACTURER & 0xFF, LOOKALIKE_MANUFACTURER >> 8, bench.link.next_tsn()])
            + bytes([PUBLISH_COT])
            + body,
        ),
        (
            f"a client-to-server command 0x{PUBLISH_COT:02X} (Get Change of Tenancy's ID) with a Publish CoT body",
            bytes([_FRAME_CLUSTER_SPECIFIC, bench.link.next_tsn(), PUBLISH_COT]) + body,
        ),
        (
            f"a global command 0x{PUBLISH_COT:02X} (Read Attributes), server to client, with a Publish CoT body",
            bytes([_FRAME_SERVER_TO_CLIENT, bench.link.next_tsn(), PUBLISH_COT]) + body,
        ),
    ]


@case("DM-05")
def test_dm_05(bench: Bench, profile: Profile) -> None:
    _dm_client(profile)
    classes, resident, upcoming = resident_shown(bench, profile)
    source = steps.sources(profile)[0]
    timeout = response_timeout(profile)
    answers: list[FrameRecord | None] = []
    wrong: list[str] = []  # a wrong Default Response, for the verdict's sentence
    # Newer than any Issuer Event ID the unit has actioned, and no meter holds it: only a
    # unit that takes a look-alike frame for a Publish CoT could clear.
    lookalikes = _publish_cot_lookalikes(bench, source, bench.occupancy.cot_event())

    def send_unknown() -> None:
        frame = unknown_command_frame(DEVICE_MANAGEMENT, UNKNOWN_DM_COMMAND, tsn=bench.link.next_tsn(), body=bytes(8))
        sent = send_frame(
            bench, source, DEVICE_MANAGEMENT, frame, f"Device Management command 0x{UNKNOWN_DM_COMMAND:02X}"
        )
        answers.append(await_default_response(bench, sent, timeout, command_id=UNKNOWN_DM_COMMAND))
        wrong.append(not_conforming(default_responses_seen(bench, sent, command_id=UNKNOWN_DM_COMMAND)))
        # The wire reference names no reply to these: they are judged by what they must not
        # do (clear) and by the unit still answering; what came back is evidence.
        for what, lookalike in lookalikes:
            sent = send_frame(bench, source, DEVICE_MANAGEMENT, lookalike, what)
            await_default_response(bench, sent, timeout, command_id=PUBLISH_COT)
            seen = default_responses_seen(bench, sent, command_id=PUBLISH_COT)
            steps.attach_text(
                "answered", "\n".join(s.describe() for s in seen) or "no Default Response (none is required)"
            )

    # As long as any case waits for a CoT to be actioned: a unit that takes a look-alike for
    # a Publish CoT and actions it late must still be seen clearing.
    retained(
        bench,
        classes,
        resident,
        upcoming,
        steps.eventually(profile),
        send_unknown,
        f"an unknown Device Management command (0x{UNKNOWN_DM_COMMAND:02X}), "
        + ", ".join(what for what, _frame in lookalikes),
    )
    answer = answers[0]
    with allure.step(
        f"The unit answers command 0x{UNKNOWN_DM_COMMAND:02X} with a Default Response UNSUP_CLUSTER_COMMAND "
        f"within {timeout:g} s"
    ):
        assert answer is not None and status_of(answer) == Status.UNSUP_CLUSTER_COMMAND, (
            f"sent Device Management command 0x{UNKNOWN_DM_COMMAND:02X}; expected Default Response "
            f"UNSUP_CLUSTER_COMMAND within {timeout:g} s; got "
            f"{'nothing' if answer is None else status_of(answer).name}{wrong[0]}"
        )
    require_responsive(bench, f"an unknown Device Management command and {len(lookalikes)} Publish CoT look-alikes")


@case("DM-06")
def test_dm_06(bench: Bench, profile: Profile) -> None:
    """A Publish CoT from the meters' node but from an endpoint that is no declared ESI
    (the bench's rogue endpoint: SE, Basic only, no Device Management server) is ignored."""
    _dm_client(profile)
    rogue = bench.link.rogue_endpoint
    # Only its source makes it false: the rogue endpoint is the meters' node, but no ESI.
    false_cot_clears_nothing(
        bench,
        profile,
        lambda event: (
            f"Coordinator endpoint {rogue} (no ESI: no Device Management server) sends Publish Change of "
            f"Tenancy, Issuer Event ID 0x{event.issuer_event_id:08X}"
        ),
        lambda frame: steps.delivered(
            bench, lambda: bench.link.send_from_rogue(DEVICE_MANAGEMENT, frame), "spoofed Publish CoT"
        ),
        lambda event: (
            f"a Publish Change of Tenancy (Issuer Event ID 0x{event.issuer_event_id:08X}) from coordinator "
            f"endpoint {rogue}, which is no declared ESI source"
        ),
        "a spoofed Publish Change of Tenancy",
    )
