"""The IHD the harness plays when the unit under test is a meter (ESME or GPF).

A GB IHD is a HAN client of the meter: it binds to the meter's Device Management and
Messaging servers (so the meter knows whom to push to), asks Get Change of Tenancy or reads
attributes 0x0200/0x0201, and fetches the occupier's logs, last message and history. This
module makes exactly those requests from the coordinator's HAN client endpoints
(harness.radio.coordinator.HAN_CLIENT_ENDPOINTS), each sent once through bench.link, and
returns the meter's answers decoded; judging them is the cases' (testcases/test_07b_meter.py).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Protocol

import zigpy.types as zt
import zigpy.zdo.types as zdo_t
from zigpy.zcl import foundation

from harness.errors import BenchError
from harness.zcl import codec, ids
from harness.zcl.attributes import read_values
from harness.zcl.codec import Direction, ZclDecodeError, ZclFrame
from harness.zcl.header import answers, tsn_of
from harness.zcl.logs import LogAssembler, is_log_part

if TYPE_CHECKING:
    from collections.abc import Callable

    from harness.radio.trace import FrameRecord

ZDO_PROFILE = 0x0000
BIND_REQ, BIND_RSP = zdo_t.ZDOCmd.Bind_req, zdo_t.ZDOCmd.Bind_rsp
# The servers an IHD binds to on the meter: Device Management (Publish CoT pushed on receipt)
# and Messaging (Display Message, Cancel Message, Cancel All Messages).
BOUND_CLUSTERS = (ids.DEVICE_MANAGEMENT, ids.MESSAGING)
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


class HanClient:
    """The harness's HAN client endpoints, asking the meter under test."""

    def __init__(self, link: HanLink, response_timeout: float) -> None:
        self._link = link
        self.response_timeout = response_timeout

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
        named), and the meter's answer: the frames echoing its TSN on the same cluster to that
        endpoint (every part of a split log), or none within timings.response_timeout."""
        link = self._link
        source = self.endpoints[0] if endpoint is None else endpoint
        tsn = link.next_tsn()
        payload = codec.build(cluster_id, command, tsn=tsn, direction=Direction.TO_SERVER, **fields)
        sent = link.send_from(source, cluster_id, payload)
        logs = LogAssembler()
        since = sent.seq
        while True:
            record = link.expect(
                lambda r: r.cluster_id == cluster_id and r.dst_ep == source and answers(r.payload, tsn=tsn),
                since=since,
                timeout=self.response_timeout,
                what=f"the meter's answer to {command}",
            )
            if record is None:
                return Answer(sent, ())
            since = record.seq
            try:
                zcl = codec.decode(cluster_id, record.payload)
            except ZclDecodeError as error:
                raise AssertionError(
                    f"the meter answered {command} with a frame that does not decode: {error}"
                ) from error
            if zcl.command_name != "default_response" and zcl.command_name not in ANSWER_COMMANDS.get(command, set()):
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
        `command` of `cluster_id`, pushed: not an answer to a request a client endpoint made."""
        # An answer is the first frame after a client endpoint's request that echoes its TSN
        # (ZCL): not a push. Paired in trace order, so a push that happens to reuse a TSN of
        # an answered request still counts.
        endpoints, unit = self._link.client_endpoints, self._link.address()
        waiting: set[tuple[int, int | None]] = set()
        pushes = []
        for record in self._link.frames_since(0):
            if record.cluster_id != cluster_id:
                continue
            if record.src_ep in endpoints and record.src_nwk != unit:
                waiting.add((record.src_ep, tsn_of(record.payload)))
            elif record.src_nwk == unit and record.dst_ep in endpoints:
                key = (record.dst_ep, tsn_of(record.payload))
                if key in waiting:
                    waiting.discard(key)
                elif record.seq >= mark:
                    pushes.append(record)
        found = []
        for record in pushes:
            try:
                zcl = codec.decode(cluster_id, record.payload)
            except ZclDecodeError:
                continue
            if zcl.command_name == command:
                found.append((record, zcl))
        return found
