"""The IHD the harness plays when the unit under test is a meter (ESME or GPF).

A GB IHD is a HAN client of the meter: it binds to the meter's Device Management and
Messaging servers (so the meter knows whom to push to), asks Get Change of Tenancy or reads
attributes 0x0200/0x0201, and fetches the occupier's logs, last message and history. This
module makes exactly those requests from the coordinator's HAN client endpoints
(harness.radio.coordinator.HAN_CLIENT_ENDPOINTS), each sent once through bench.link, and
returns the meter's answers decoded; judging them is the cases' (testcases/test_07b_meter.py).

Answers and pushes. An answer is the meter's frame from the endpoint the request went to, to
the requesting endpoint, on its cluster, server to client, echoing the request's TSN, and of a
command that answers the request (ANSWER_COMMANDS) or a Default Response naming the request's
command ID. A push (Publish CoT, Cancel All Messages, Display Message sent unasked) cannot always
be told from an answer by its octets: the reference meters and GB meters push to the bound
endpoints, which are the endpoints the IHD asks from, with the same command, direction and frame
control (the Disable Default Response bit is set on responses only from ZCL revision 6, which
the SE 1.x meters in GB need not follow; both go as APS-acknowledged unicasts), and the push
takes its TSN from the meter's own counter, which can equal that of a request in flight
(docs/meters.md, "Answers and pushes"). So the pairing is conservative where a pass rests on it:
a frame that could be a request's answer (the first after it, or within timings.response_timeout
of it a duplicate of that answer) is never counted as a push (`received_since`).

Where a push comes from. A push counts only from the meter's own endpoint (identity.endpoint,
the one hosting its Device Management and Messaging servers, which the IHD bound to) on the
Smart Energy profile (0x0109): an IHD honouring GB's spoofing rule drops a Publish CoT or a
message from any other endpoint or profile, so such a frame is not the push reaching it (it
is kept, for the evidence and for `sent_since`). A check that fails on what the meter sent
(ESI-06: nothing of the previous occupier's after the CoT) reads `sent_since` instead: every
frame of the meter's, answer or push, from whichever endpoint, but a late or repeated answer
to a request made before its mark.
"""

from __future__ import annotations

import bisect
import dataclasses
import threading
from typing import TYPE_CHECKING, Protocol

import zigpy.types as zt
import zigpy.zdo.types as zdo_t
from zigpy.zcl import foundation

from harness.errors import BenchError
from harness.radio.trace import Direction as Way
from harness.radio.trace import FrameRecord
from harness.zcl import codec, ids
from harness.zcl.attributes import read_values
from harness.zcl.codec import Direction, ZclDecodeError, ZclFrame
from harness.zcl.header import header_or_none, parse_header
from harness.zcl.logs import LogAssembler, is_log_part

if TYPE_CHECKING:
    from collections.abc import Callable

ZDO_PROFILE = 0x0000
BIND_REQ, BIND_RSP = zdo_t.ZDOCmd.Bind_req, zdo_t.ZDOCmd.Bind_rsp
# The servers an IHD binds to on the meter: Device Management (Publish CoT pushed on receipt)
# and Messaging (Display Message, Cancel Message, Cancel All Messages).
BOUND_CLUSTERS = (ids.DEVICE_MANAGEMENT, ids.MESSAGING)


def clusters_bound_by(endpoints: tuple[int, ...]) -> dict[int, tuple[int, ...]]:
    """The servers each HAN client endpoint binds to: every endpoint Device Management (each
    must get the pushed CoT), all but the last Messaging too. The last binds Device Management
    alone, as a PPMID without a message screen does, so the client set of the meter's DM
    bindings differs from its Messaging one: a meter pushing Publish CoT to the clients bound to
    Messaging misses it."""
    return {ep: BOUND_CLUSTERS if ep != endpoints[-1] else (ids.DEVICE_MANAGEMENT,) for ep in endpoints}


# What a meter answers each request with (besides a Default Response): a frame on the same
# cluster echoing the TSN but another command (a push that happens to reuse the TSN) is no answer.
ANSWER_COMMANDS = {
    "get_change_of_tenancy": {"publish_change_of_tenancy"},
    "get_top_up_log": {"publish_top_up_log"},
    "get_debt_repayment_log": {"publish_debt_log"},
    "get_last_message": {"display_message", "display_protected_message"},
    "get_message_cancellation": {"cancel_all_messages"},
    "get_profile": {"get_profile_response"},
    "read_attributes": {"read_attributes_rsp"},
}
DEFAULT_RESPONSE = "default_response"


def addressed_as_answer(record: FrameRecord, sent: FrameRecord) -> bool:
    """Whether `record` is addressed as the answer to the request `sent`, by its header alone:
    from the endpoint the request went to, to the endpoint it came from, on its cluster, server
    to client, with its TSN (and manufacturer code). Whether its command answers the request is
    `answers_command`'s, on the decoded frame."""
    request, header = header_or_none(sent.payload), header_or_none(record.payload)
    return (
        request is not None
        and header is not None
        and record.cluster_id == sent.cluster_id
        and record.src_ep == sent.dst_ep
        and record.dst_ep == sent.src_ep
        and header.direction is Direction.TO_CLIENT
        and header.tsn == request.tsn
        and header.manufacturer_code == request.manufacturer_code
    )


def answers_command(zcl: ZclFrame, command: str, command_id: int) -> bool:
    """Whether the decoded frame answers a `command` request (ID `command_id`): one of its
    answer commands, or a Default Response naming that command ID."""
    if zcl.command_name == DEFAULT_RESPONSE:
        return not zcl.is_cluster_specific and int(zcl.fields["command_id"]) == command_id
    return zcl.command_name in ANSWER_COMMANDS.get(command, set())


@dataclasses.dataclass
class _Asked:
    """A request a HAN client endpoint made, as the trace showed it (for telling pushes apart)."""

    record: FrameRecord
    command: str
    command_id: int
    manufacturer_code: int | None
    answered: bool = False  # a frame that could be its answer has arrived
    answer: bytes | None = None  # that frame's octets: a later one the same is its duplicate


@dataclasses.dataclass(frozen=True)
class Answer:
    """The meter's answer to one request: its frames decoded (a split log assembled into
    one), or nothing at the deadline."""

    sent: FrameRecord
    frames: tuple[ZclFrame, ...]

    @property
    def frame(self) -> ZclFrame | None:
        return self.frames[0] if self.frames else None

    @property
    def status(self) -> foundation.Status | None:
        """A Default Response's status, when that was the answer."""
        frame = self.frame
        if frame is None or frame.command_name != "default_response":
            return None
        return foundation.Status(int(frame.fields["status"]))

    @property
    def not_found(self) -> bool:
        return self.status is foundation.Status.NOT_FOUND

    def is_(self, command: str) -> bool:
        return self.frame is not None and self.frame.command_name == command

    def describe(self) -> str:
        if self.frame is None:
            return "no answer"
        if self.status is not None:
            return f"Default Response {self.status.name}"
        return f"{self.frame.command_name} {dict(self.frame.fields)}"


class HanLink(Protocol):
    """What the client needs of bench.link (harness.bench.link.UutLink), declared here so the
    arrows keep pointing down (bench builds esi, esi never imports bench)."""

    ieee: str
    endpoint: int
    client_endpoints: tuple[int, ...]

    def coordinator_ieee(self) -> zt.EUI64: ...

    def next_tsn(self) -> int: ...

    def address(self) -> int | None: ...

    def send_from(
        self, src_ep: int, cluster_id: int, payload: bytes, *, dst_ep: int | None = None, profile_id: int = ...
    ) -> FrameRecord: ...

    def expect(
        self, match: Callable[[FrameRecord], bool], *, since: int, timeout: float, what: str
    ) -> FrameRecord | None: ...

    def frames_since(self, mark: int) -> list[FrameRecord]: ...


class MeterClient(Protocol):
    """What the ESI cases ask of the HAN client the harness plays."""

    @property
    def endpoints(self) -> tuple[int, ...]: ...

    def bind(self, endpoint: int, cluster_id: int) -> int | None: ...

    def request(self, cluster_id: int, command: str, *, endpoint: int | None = None, **fields: object) -> Answer: ...

    def read(self, cluster_id: int, attribute_ids: list[int], *, endpoint: int | None = None) -> dict[int, object]: ...

    def received_since(self, mark: int, cluster_id: int, command: str) -> list[tuple[FrameRecord, ZclFrame]]: ...

    def sent_since(self, mark: int, cluster_id: int, commands: set[str]) -> list[tuple[FrameRecord, ZclFrame]]: ...

    def answer_to(self, sent: FrameRecord, command: str) -> Answer: ...


class HanClient:
    """The harness's HAN client endpoints, asking the meter under test."""

    def __init__(self, link: HanLink, response_timeout: float) -> None:
        self._link = link
        self.response_timeout = response_timeout
        # received_since's reading of the trace: how far it has read, the latest request per
        # (cluster, client endpoint, TSN), and the meter's frames found, in trace order. A case may
        # poll it from the bench loop's wait while another thread asks: one reader at a time.
        self._reading = threading.Lock()
        self._read = 0
        self._asked: dict[tuple[int, int, int], _Asked] = {}
        # Every decoded frame of the meter's to a client endpoint, in trace order, with the seq of
        # the request it could answer (None when it could answer none) and whether it is a repeat
        # of that request's answer: what `received_since` and `sent_since` read.
        self._from_meter: list[tuple[FrameRecord, ZclFrame, int | None, bool]] = []

    @property
    def endpoints(self) -> tuple[int, ...]:
        if not self._link.client_endpoints:
            raise BenchError("the bench registered no HAN client endpoint: identity.role is not esme or gpf")
        return self._link.client_endpoints

    # -- binding -------------------------------------------------------------------------
    def bind(self, endpoint: int, cluster_id: int) -> int | None:
        """ZDO Bind_req: the meter's server `cluster_id` on identity.endpoint bound to the
        harness's client `endpoint`. The Bind_rsp status (0 SUCCESS), or None without one."""
        link = self._link
        destination = zdo_t.MultiAddress(addrmode=0x03, ieee=link.coordinator_ieee(), endpoint=endpoint)
        args = [zt.EUI64.convert(link.ieee), link.endpoint, cluster_id, destination]
        tsn = link.next_tsn()
        payload = bytes([tsn]) + zt.serialize(args, zdo_t.CLUSTERS[BIND_REQ][1])
        sent = link.send_from(0, BIND_REQ, payload, dst_ep=0, profile_id=ZDO_PROFILE)
        answer = link.expect(
            lambda r: r.cluster_id == BIND_RSP and r.payload[:1] == bytes([tsn]),
            since=sent.seq,
            timeout=self.response_timeout,
            what="the meter's ZDO Bind_rsp",
        )
        if answer is None:
            return None
        (status,), _rest = zt.deserialize(answer.payload[1:], zdo_t.CLUSTERS[BIND_RSP][1])
        return int(status)

    # -- ZCL requests ----------------------------------------------------------------------
    def request(self, cluster_id: int, command: str, *, endpoint: int | None = None, **fields: object) -> Answer:
        """One client-to-server command from the HAN client `endpoint` (the first unless
        named), and the meter's answer (`answer_to`)."""
        link = self._link
        source = self.endpoints[0] if endpoint is None else endpoint
        payload = codec.build(cluster_id, command, tsn=link.next_tsn(), direction=Direction.TO_SERVER, **fields)
        return self.answer_to(link.send_from(source, cluster_id, payload), command)

    def answer_to(self, sent: FrameRecord, command: str) -> Answer:
        """The meter's answer to the `command` request `sent` (already sent from a HAN client
        endpoint): the frames addressed as its answer (`addressed_as_answer`) whose command
        answers it (every part of a split log, assembled), or none within
        timings.response_timeout. A frame echoing the TSN with another command (a push that
        happens to reuse it, a Default Response to another command) is no answer."""
        link = self._link
        command_id = parse_header(sent.payload).command_id
        logs = LogAssembler()
        since = sent.seq
        while True:
            record = link.expect(
                lambda r: addressed_as_answer(r, sent),
                since=since,
                timeout=self.response_timeout,
                what=f"the meter's answer to {command}",
            )
            if record is None:
                return Answer(sent, ())
            since = record.seq + 1  # the next look starts past this frame, not on it again
            try:
                zcl = codec.decode(sent.cluster_id, record.payload)
            except ZclDecodeError as error:
                raise AssertionError(
                    f"the meter answered {command} with a frame that does not decode: {error}"
                ) from error
            if not answers_command(zcl, command, command_id):
                continue
            whole = logs.add(zcl) if is_log_part(zcl) else zcl
            if whole is not None:
                return Answer(sent, (whole,))

    def read(self, cluster_id: int, attribute_ids: list[int], *, endpoint: int | None = None) -> dict[int, object]:
        """Read Attributes of the meter's server cluster: the values it returned SUCCESS for
        (an attribute it answered UNSUPPORTED_ATTRIBUTE is absent)."""
        answer = self.request(cluster_id, "read_attributes", endpoint=endpoint, attribute_ids=attribute_ids)
        if answer.frame is None:
            raise AssertionError(
                f"the harness (as an IHD) read attributes {[f'0x{a:04X}' for a in attribute_ids]} of cluster "
                f"0x{cluster_id:04X}; expected a Read Attributes Response within timings.response_timeout; "
                "the meter answered nothing"
            )
        return read_values(answer.frame)

    # -- the pushes the meter made ------------------------------------------------------------
    def received_since(self, mark: int, cluster_id: int, command: str) -> list[tuple[FrameRecord, ZclFrame]]:
        """Every frame the meter sent to a HAN client endpoint since trace mark `mark` that is
        `command` of `cluster_id`, server to client, pushed: not a possible answer to a request
        a client endpoint made (`_file`). The trace is read once, in order, from where the last
        call stopped (requests made before `mark` decide whether a frame after it is an answer),
        so a case polling for a push reads only the frames that arrived since its last poll."""
        with self._reading:
            self._catch_up()
            start = bisect.bisect_left(self._from_meter, mark, key=lambda got: got[0].seq)
            return [
                (record, dataclasses.replace(zcl))  # each caller its own frame, as codec.decode gives
                for record, zcl, answering, duplicate in self._from_meter[start:]
                if record.cluster_id == cluster_id
                and zcl.command_name == command
                # A duplicate of the answer to a request made before `mark` carries what the meter
                # held then (before a CoT trigger taken at `mark`): never a pass after it, and a
                # stale push taking that TSN must still be judged.
                and (answering is None or (duplicate and answering < mark))
                and record.src_ep == self._link.endpoint
                and record.profile_id == ids.SE_PROFILE
            ]

    def sent_since(self, mark: int, cluster_id: int, commands: set[str]) -> list[tuple[FrameRecord, ZclFrame]]:
        """Every frame of `commands` on `cluster_id` the meter sent to a HAN client endpoint
        since trace mark `mark`, server to client, from any of its endpoints and on any profile,
        answers and pushes alike: what a check judges that fails on anything the meter sent
        (the opposite side from `received_since`, which a pass rests on). Left out is only a frame
        that could be the answer to a request made before `mark` (its first, late answer, what
        the meter rightly answered then; a repeat of that answer after `mark` is judged)."""
        with self._reading:
            self._catch_up()
            return [
                (record, dataclasses.replace(zcl))
                for record, zcl, answering, duplicate in self._from_meter
                if record.seq >= mark
                and record.cluster_id == cluster_id
                and zcl.command_name in commands
                and (answering is None or answering >= mark or duplicate)
            ]

    def _catch_up(self) -> None:
        unit = self._link.address()
        if unit is None:
            return  # not joined: nothing of the meter's to read yet, and its frames are told by its address
        fresh = self._link.frames_since(self._read)
        self._read += len(fresh)
        for record in fresh:
            self._file(record, unit)

    def _file(self, record: FrameRecord, unit: int) -> None:
        """One trace record, in trace order: a request of a HAN client endpoint is remembered
        (the latest per cluster, endpoint and TSN); a frame of the meter's to a client endpoint
        is a push unless it could be the answer to the remembered request with its TSN: from
        the endpoint that request went to, of a command answering it, and either the first such
        frame after it (its answer, in time or late) or, within timings.response_timeout of it,
        a duplicate of that answer, octet for octet (or another part of a split log). Either is
        octet for octet what a push with that TSN would be; counting it as a push could pass
        ESI-05/07 on a meter that never pushed, so it is not counted (a push that happens to
        take such a TSN with the answer's very octets is missed: a fail, never a false pass).
        A frame that differs from the answer already received is no answer (the request had
        it) and no duplicate: a push, as is a frame after an answered request's window,
        whatever its TSN. (Taking every frame in the window for a possible answer missed, on a
        correct meter, a push whose TSN equalled any Get CoT's of the last response_timeout:
        in a fast exchange that is dozens of TSNs, not one in 256.) A frame from another endpoint of the meter's than
        identity.endpoint, or on another profile than Smart Energy's, is no push (an IHD
        honouring the spoofing rule drops it): it is kept for `sent_since` only."""
        endpoints = self._link.client_endpoints
        header = header_or_none(record.payload)
        if header is None or record.src_ep == 0 or record.dst_ep == 0:
            return  # no ZCL header, or ZDO
        if record.direction == Way.TX:
            if record.src_ep not in endpoints or record.dst_nwk != unit or header.direction is not Direction.TO_SERVER:
                return
            zcl = _decoded(record)
            if zcl is not None and zcl.command_name in ANSWER_COMMANDS:
                key = (record.cluster_id, record.src_ep, header.tsn)
                self._asked[key] = _Asked(record, zcl.command_name, header.command_id, header.manufacturer_code)
            return
        if record.src_nwk != unit or record.dst_ep not in endpoints or header.direction is not Direction.TO_CLIENT:
            return
        zcl = _decoded(record)
        if zcl is None:
            return  # a frame that does not decode is no push of any command
        asked = self._asked.get((record.cluster_id, record.dst_ep, header.tsn))
        answering: int | None = None
        duplicate = False
        if (
            asked is not None
            and record.src_ep == asked.record.dst_ep
            and header.manufacturer_code == asked.manufacturer_code
            and answers_command(zcl, asked.command, asked.command_id)
        ):
            in_window = record.timestamp - asked.record.timestamp <= self.response_timeout
            if not asked.answered:
                asked.answered, asked.answer = True, record.payload
                answering = asked.record.seq  # could be its answer (in time or late)
            elif in_window and (record.payload == asked.answer or is_log_part(zcl)):
                answering = asked.record.seq  # a duplicate of its answer, or another part of its split log
                duplicate = True
        # received_since counts it as a push only when it answers nothing (or repeats the answer
        # to a request before its mark) and came from the meter's ESI endpoint on the SE profile.
        self._from_meter.append((record, zcl, answering, duplicate))


def _decoded(record: FrameRecord) -> ZclFrame | None:
    try:
        return codec.decode(record.cluster_id, record.payload)
    except ZclDecodeError:
        return None
