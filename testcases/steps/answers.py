"""What the unit answers: Default Responses judged on every header field, retries where
one lost frame would decide, and whether it still answers at all."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

import allure
from zigpy.zcl import foundation

from harness.bench import Bench
from harness.evidence.trace_text import describe_frame
from harness.radio.trace import FrameRecord
from harness.zcl import Status, codec
from harness.zcl.header import answers, parse_header
from testcases.steps.facts import (
    DEVICE_MANAGEMENT,
    PUBLISH_COT,
    T,
    attach_text,
    response_timeout,
)

# -- answers -----------------------------------------------------------------------------
DEFAULT_RESPONSE = int(foundation.GeneralCommand.Default_Response)


@dataclasses.dataclass(frozen=True)
class DefaultResponseSeen:
    """A frame from the unit that answers a sent frame as a Default Response (same cluster,
    the TSN echoed, header command ID 0x0B), and every rule of ZCL's Default Response it
    breaks; only one that breaks none counts as the Default Response."""

    record: FrameRecord
    status: Status | None  # None: the payload does not read as a Default Response
    faults: tuple[str, ...]

    @property
    def conforming(self) -> bool:
        return not self.faults

    def describe(self) -> str:
        status = "unreadable status" if self.status is None else self.status.name
        return f"TSN {parse_header(self.record.payload).tsn} ({status}): {'; '.join(self.faults)}"


def default_response_seen(
    record: FrameRecord,
    *,
    command_id: int,
    cluster_id: int,
    tsn: int,
    direction: codec.Direction = codec.Direction.TO_SERVER,
    manufacturer_code: int | None = None,
    endpoints: tuple[int, int] | None = None,
) -> DefaultResponseSeen | None:
    """`record` judged as the Default Response to a frame (TSN `tsn`, command `command_id`
    on `cluster_id`); None when it is no answer to it at all (another cluster, the TSN not
    echoed, another command). ZCL: a Default Response is a global command, sent the other
    way to the command it answers (`direction`: the unit, a client, answers a meter's
    server-to-client command client to server), manufacturer-specific exactly when that
    command was (`manufacturer_code`), naming that command's ID, with a status; and it goes
    back to the endpoint the command came from (`endpoints`: (from, to) of the command)."""
    if record.cluster_id != cluster_id or not answers(record.payload, tsn=tsn, command_id=DEFAULT_RESPONSE):
        return None
    header = parse_header(record.payload)
    faults = []
    if endpoints is not None:
        sender, receiver = endpoints
        if record.dst_ep != sender:
            faults.append(f"sent to endpoint {record.dst_ep}, not to the sender's endpoint {sender}")
        if record.src_ep != receiver:
            faults.append(f"sent from endpoint {record.src_ep}, not from endpoint {receiver} the command went to")
    if header.frame_type != 0:
        kind = "cluster-specific" if header.cluster_specific else f"reserved frame type {header.frame_type}"
        faults.append(f"{kind}, not a global command")
    if header.direction is not direction:
        words = {codec.Direction.TO_SERVER: "client to server", codec.Direction.TO_CLIENT: "server to client"}
        faults.append(
            f"direction bit says {words[header.direction]}, not {words[direction]} "
            f"(the answer to a {words[direction.flip()]} command)"
        )
    if header.manufacturer_code != manufacturer_code:
        if manufacturer_code is None:
            faults.append(
                f"manufacturer-specific (code 0x{header.manufacturer_code:04X}), answering a standard command"
            )
        elif header.manufacturer_code is None:
            faults.append(f"not manufacturer-specific, answering one of manufacturer 0x{manufacturer_code:04X}")
        else:
            faults.append(f"manufacturer code 0x{header.manufacturer_code:04X}, not 0x{manufacturer_code:04X}")
    status = None
    if header.frame_type == 0:
        try:
            frame = codec.decode(cluster_id, record.payload)
        except codec.ZclDecodeError as error:
            faults.append(f"payload is no Default Response: {error}")
        else:
            if int(frame.fields["command_id"]) != command_id:
                faults.append(f"names command 0x{int(frame.fields['command_id']):02X}, not 0x{command_id:02X}")
            status = Status(frame.fields["status"])
            if status not in list(Status):
                faults.append(f"status 0x{int(status):02X} is no ZCL status")
    return DefaultResponseSeen(record, status, tuple(faults))


def default_response_to(
    command_id: int,
    cluster_id: int,
    tsn: int,
    *,
    direction: codec.Direction = codec.Direction.TO_SERVER,
    manufacturer_code: int | None = None,
    endpoints: tuple[int, int] | None = None,
) -> Callable[[FrameRecord], bool]:
    """A conforming Default Response to one frame (default_response_seen with no fault):
    ZCL requires it to echo that frame's TSN, and the unit also answers Publish CoT frames
    the meters send in reply to its own queries."""

    def match(record: FrameRecord) -> bool:
        seen = default_response_seen(
            record,
            command_id=command_id,
            cluster_id=cluster_id,
            tsn=tsn,
            direction=direction,
            manufacturer_code=manufacturer_code,
            endpoints=endpoints,
        )
        return seen is not None and seen.conforming

    return match


def default_responses_seen(
    bench: Bench, sent: FrameRecord, *, command_id: int = PUBLISH_COT, cluster_id: int = DEVICE_MANAGEMENT
) -> list[DefaultResponseSeen]:
    """Every frame the unit sent since `sent` that answers it as a Default Response,
    conforming or not (the evidence of a wrong one, and what "no Default Response" judges)."""
    header = parse_header(sent.payload)
    unit = bench.link.address()
    found = []
    for frame in bench.link.frames_since(sent.seq):
        if frame.src_nwk != unit:  # the unit's frames only (what the harness sent has its own address)
            continue
        seen = default_response_seen(
            frame,
            command_id=command_id,
            cluster_id=cluster_id,
            tsn=header.tsn,
            direction=header.direction.flip(),
            manufacturer_code=header.manufacturer_code,
            endpoints=(sent.src_ep, sent.dst_ep),
        )
        if seen is not None:
            found.append(seen)
    return found


def not_conforming(seen: Iterable[DefaultResponseSeen]) -> str:
    """The wrong Default Responses among `seen`, for a verdict's sentence ("" if none)."""
    wrong = [s.describe() for s in seen if not s.conforming]
    return f"; it answered with frames that are no valid Default Response: {' | '.join(wrong)}" if wrong else ""


def await_default_response(
    bench: Bench,
    sent: FrameRecord,
    timeout: float,
    *,
    command_id: int = PUBLISH_COT,
    cluster_id: int = DEVICE_MANAGEMENT,
) -> FrameRecord | None:
    """The unit's conforming Default Response to `sent` (default_response_seen: same
    cluster, TSN and command, global, the other direction, manufacturer-specific exactly
    when `sent` is, a status, between the same two endpoints); an answer that breaks one
    of these is attached, not returned."""
    header = parse_header(sent.payload)
    with allure.step(f"Expect a Default Response from the unit within {timeout:g} s"):
        answer = bench.link.expect(
            default_response_to(
                command_id,
                cluster_id,
                header.tsn,
                direction=header.direction.flip(),
                manufacturer_code=header.manufacturer_code,
                endpoints=(sent.src_ep, sent.dst_ep),
            ),
            since=sent.seq,
            timeout=timeout,
            what="Default Response",
        )
        attach_text("received", describe_frame(answer) if answer else "nothing")
        if answer is None:
            wrong = default_responses_seen(bench, sent, command_id=command_id, cluster_id=cluster_id)
            if wrong:
                attach_text("not a valid Default Response", "\n".join(s.describe() for s in wrong))
        return answer


def status_of(answer: FrameRecord) -> Status:
    return Status(codec.decode(answer.cluster_id, answer.payload).fields["status"])


def with_retries(bench: Bench, attempt: Callable[[], T | None], what: str) -> T | None:
    """Where one lost frame would decide the verdict, the case tolerates loss: it tries
    again up to timings.retries times, each retry a visible step (never a hidden resend)."""
    retries = bench.profile.timings.retries
    for number in range(1 + retries):
        if number:
            with allure.step(f"No answer: {what} again ({number} of timings.retries = {retries}; tolerates loss)"):
                pass
        answer = attempt()
        if answer is not None:
            return answer
    return None


def require_responsive(bench: Bench, after: str) -> None:
    """The unit still answers a valid request (a device fault if not)."""
    with allure.step("The unit still answers a valid command (Read Attributes, Basic)"):
        answer = with_retries(bench, bench.link.ping, "read Basic")
        attach_text("received", describe_frame(answer) if answer else "nothing")
        assert answer is not None, (
            f"after {after}, the unit did not answer Read Attributes (Basic ZCL version) within "
            f"response_timeout {response_timeout(bench.profile):g} s "
            f"({1 + bench.profile.timings.retries} attempt(s)): it stopped responding"
        )
