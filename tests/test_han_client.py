"""The HAN client the harness plays for a meter under test (harness/esi/han_client.py): what
it takes as a request's answer, what it counts as a push, and that counting reads the trace
once, from where it stopped.

The client runs here over a scripted link: a trace of FrameRecords the test writes (what the
harness sent, what the meter sent), so each pairing rule is tried on the exact frames that
would fool a looser one, without a radio or a simulated world.
"""

from __future__ import annotations

from collections.abc import Callable

import zigpy.types as zt

from harness.esi.han_client import HanClient
from harness.radio.trace import Direction as Way
from harness.radio.trace import FrameRecord
from harness.zcl import codec, ids
from harness.zcl.codec import Direction

DM, MESSAGING = ids.DEVICE_MANAGEMENT, ids.MESSAGING
UNIT, COORDINATOR = 0x1234, 0x0000
METER_EP, IHD, OTHER_IHD = 1, 12, 13
TIMEOUT = 2.0
COT = {
    "provider_id": 1,
    "issuer_event_id": 0x100,
    "tariff_type": 0,
    "implementation_date_time": 0,
    "proposed_tenancy_change_control": 0,
}


class ScriptedLink:
    """A HanLink over a trace the test writes; `expect` answers from what is already in it."""

    ieee = "00:11:22:33:44:55:66:77"
    endpoint = METER_EP
    client_endpoints = (IHD, OTHER_IHD)

    def __init__(self) -> None:
        self.trace: list[FrameRecord] = []
        self.now = 1000.0
        self.tsn = 0
        self.reads: list[int] = []  # the marks frames_since was asked from
        self.on_send: Callable[[FrameRecord], None] | None = None  # the meter's reaction, scripted

    def coordinator_ieee(self) -> zt.EUI64:
        return zt.EUI64.convert("aa:bb:cc:dd:ee:ff:00:11")

    def next_tsn(self) -> int:
        tsn, self.tsn = self.tsn, (self.tsn + 1) & 0xFF
        return tsn

    def address(self) -> int | None:
        return UNIT

    def record(
        self, way: Way, src: tuple[int, int], dst: tuple[int, int], cluster: int, payload: bytes, profile: int = 0x0109
    ) -> FrameRecord:
        record = FrameRecord(
            seq=len(self.trace),
            timestamp=self.now,
            direction=way,
            src_nwk=src[0],
            src_ep=src[1],
            dst_nwk=dst[0],
            dst_ep=dst[1],
            profile_id=profile,
            cluster_id=cluster,
            payload=payload,
        )
        self.trace.append(record)
        return record

    def sent(self, src_ep: int, cluster: int, payload: bytes) -> FrameRecord:
        return self.record(Way.TX, (COORDINATOR, src_ep), (UNIT, METER_EP), cluster, payload)

    def meter_sends(
        self, dst_ep: int, cluster: int, payload: bytes, *, src_ep: int = METER_EP, profile: int = 0x0109
    ) -> FrameRecord:
        return self.record(Way.RX, (UNIT, src_ep), (COORDINATOR, dst_ep), cluster, payload, profile)

    def send_from(
        self, src_ep: int, cluster_id: int, payload: bytes, *, dst_ep: int | None = None, profile_id: int = 0x0109
    ) -> FrameRecord:
        record = self.sent(src_ep, cluster_id, payload)
        if self.on_send is not None:
            self.on_send(record)
        return record

    def expect(
        self, match: Callable[[FrameRecord], bool], *, since: int, timeout: float, what: str
    ) -> FrameRecord | None:
        return next(
            (r for r in self.trace[since:] if r.direction is Way.RX and r.src_nwk == UNIT and match(r)),
            None,
        )

    def frames_since(self, mark: int) -> list[FrameRecord]:
        self.reads.append(mark)
        return self.trace[mark:]


def get_cot(tsn: int) -> bytes:
    return codec.build(DM, "get_change_of_tenancy", tsn=tsn, direction=Direction.TO_SERVER)


def publish_cot(tsn: int, event: int = 0x100) -> bytes:
    return codec.build(DM, "publish_change_of_tenancy", tsn=tsn, **(COT | {"issuer_event_id": event}))


def pushes(client: HanClient, mark: int = 0) -> list[tuple[int, int]]:
    """(endpoint, Issuer Event ID) of each Publish CoT the client counts as pushed since `mark`."""
    return [
        (record.dst_ep, int(zcl.fields["issuer_event_id"]))
        for record, zcl in client.received_since(mark, DM, "publish_change_of_tenancy")
    ]


# -- what answers a request ---------------------------------------------------------------------------


def test_only_the_meters_frame_to_the_asking_endpoint_with_the_tsn_server_to_client_answers() -> None:
    link = ScriptedLink()
    client = HanClient(link, TIMEOUT)

    def meter(request: FrameRecord) -> None:
        tsn = request.payload[1]
        link.meter_sends(OTHER_IHD, DM, publish_cot(tsn, 0x201))  # the TSN, another endpoint: a push there
        link.meter_sends(IHD, DM, publish_cot(tsn, 0x202), src_ep=2)  # from another endpoint of the meter
        link.meter_sends(IHD, DM, get_cot(tsn))  # client to server: the meter asking, not answering
        link.meter_sends(  # a Default Response naming another command
            IHD, DM, codec.default_response(0x05, 0x8B, tsn=tsn, direction=Direction.TO_CLIENT, cluster_id=DM)
        )
        link.meter_sends(IHD, DM, publish_cot(tsn, 0x203))  # the answer

    link.on_send = meter
    answer = client.request(DM, "get_change_of_tenancy")
    assert answer.is_("publish_change_of_tenancy") and answer.frame is not None
    assert answer.frame.fields["issuer_event_id"] == 0x203, answer.describe()


def test_a_default_response_naming_the_request_answers_it() -> None:
    link = ScriptedLink()
    client = HanClient(link, TIMEOUT)
    link.on_send = lambda request: link.meter_sends(
        IHD,
        DM,
        codec.default_response(0x00, 0x8B, tsn=request.payload[1], direction=Direction.TO_CLIENT, cluster_id=DM),
    )
    assert client.request(DM, "get_change_of_tenancy").not_found


def test_a_frame_with_the_tsn_and_another_command_is_passed_over_not_looped_on() -> None:
    link = ScriptedLink()
    client = HanClient(link, TIMEOUT)

    def meter(request: FrameRecord) -> None:
        tsn = request.payload[1]
        link.meter_sends(
            IHD, MESSAGING, codec.build(MESSAGING, "cancel_all_messages", tsn=tsn, **{"implementation_date_time": 0})
        )
        link.meter_sends(
            IHD,
            MESSAGING,
            codec.default_response(0x00, 0x8B, tsn=tsn, direction=Direction.TO_CLIENT, cluster_id=MESSAGING),
        )

    link.on_send = meter
    assert client.request(MESSAGING, "get_last_message").not_found


def test_nothing_addressed_as_the_answer_is_no_answer() -> None:
    link = ScriptedLink()
    client = HanClient(link, TIMEOUT)
    link.on_send = lambda request: link.meter_sends(OTHER_IHD, DM, publish_cot(request.payload[1]))
    assert client.request(DM, "get_change_of_tenancy").frame is None


# -- what is a push -------------------------------------------------------------------------------------


def test_a_push_reusing_the_tsn_of_a_frame_the_meter_rightly_ignored_still_counts() -> None:
    """ROB-01's malformed and unknown frames go unanswered; a push that later takes one of their
    TSNs is a push (the pairing counts only requests a Publish CoT answers)."""
    link = ScriptedLink()
    client = HanClient(link, TIMEOUT)
    link.sent(IHD, DM, bytes([0x01, 7, 0xF0, 0, 0, 0, 0]))  # unknown DM command, TSN 7
    link.sent(IHD, DM, get_cot(8)[:2])  # Get CoT cut to 2 octets
    link.sent(IHD, DM, bytes([0x09]) + get_cot(9)[1:])  # Get CoT flagged server to client
    link.now += 0.5
    link.meter_sends(IHD, DM, publish_cot(7, 0x300))
    link.meter_sends(IHD, DM, publish_cot(9, 0x301))
    assert pushes(client) == [(IHD, 0x300), (IHD, 0x301)]


def test_a_frame_that_could_answer_a_get_cot_in_its_window_is_never_a_push() -> None:
    """Octet for octet a push with the TSN of a Get CoT in flight is that request's answer:
    counting it could pass ESI-05/07 on a meter that never pushed."""
    link = ScriptedLink()
    client = HanClient(link, TIMEOUT)
    link.sent(IHD, DM, get_cot(20))  # not answered
    link.now += TIMEOUT / 2
    link.meter_sends(IHD, DM, publish_cot(20))  # its answer, or a push with its TSN: not a push
    link.sent(IHD, DM, get_cot(21))
    link.meter_sends(IHD, DM, publish_cot(21))  # its answer
    link.meter_sends(IHD, DM, publish_cot(21))  # a duplicate of it, or a push: not a push
    assert pushes(client) == []


def test_a_frame_in_the_window_unlike_the_answer_already_received_is_a_push() -> None:
    """The request had its answer (NOT_FOUND before the CoT); a Publish CoT with its TSN a moment
    later is neither that answer nor its duplicate: the push of the CoT just taken. Counting every
    frame in the window as a possible answer failed a correct meter whenever its push took the TSN
    of any Get CoT of the last response_timeout (dozens of them in a fast exchange)."""
    link = ScriptedLink()
    client = HanClient(link, TIMEOUT)
    link.sent(IHD, DM, get_cot(24))
    link.meter_sends(IHD, DM, codec.default_response_to(codec.decode(DM, get_cot(24)), 0x8B))  # NOT_FOUND
    link.now += TIMEOUT / 4
    link.meter_sends(IHD, DM, publish_cot(24, 0x240))
    link.meter_sends(IHD, DM, publish_cot(24, 0x240))  # a repeat of a push is a push too
    assert pushes(client) == [(IHD, 0x240), (IHD, 0x240)]


def test_the_first_frame_after_an_unanswered_get_cot_may_be_its_late_answer() -> None:
    link = ScriptedLink()
    client = HanClient(link, TIMEOUT)
    link.sent(IHD, DM, get_cot(30))
    link.now += 10 * TIMEOUT
    link.meter_sends(IHD, DM, publish_cot(30, 0x400))  # late answer or push: not a push
    link.meter_sends(IHD, DM, publish_cot(30, 0x401))  # a second one: the request had its (late) answer
    assert pushes(client) == [(IHD, 0x401)]


def test_after_an_answered_requests_window_its_tsn_is_free_for_a_push() -> None:
    link = ScriptedLink()
    client = HanClient(link, TIMEOUT)
    link.sent(IHD, DM, get_cot(40))
    link.meter_sends(IHD, DM, publish_cot(40, 0x500))  # the answer
    link.now += TIMEOUT + 1
    link.meter_sends(IHD, DM, publish_cot(40, 0x501))  # long after: a push
    link.meter_sends(OTHER_IHD, DM, publish_cot(40, 0x502))  # the other endpoint asked nothing: a push
    assert pushes(client) == [(IHD, 0x501), (OTHER_IHD, 0x502)]


def test_a_push_of_another_command_than_the_requests_answers_counts() -> None:
    """A Cancel All Messages taking the TSN of a pending Get Last Message answers nothing."""
    link = ScriptedLink()
    client = HanClient(link, TIMEOUT)
    link.sent(IHD, MESSAGING, codec.build(MESSAGING, "get_last_message", tsn=50, direction=Direction.TO_SERVER))
    cancel = codec.build(MESSAGING, "cancel_all_messages", tsn=50, implementation_date_time=0)
    link.meter_sends(IHD, MESSAGING, cancel)
    found = client.received_since(0, MESSAGING, "cancel_all_messages")
    assert [(record.dst_ep, zcl.tsn) for record, zcl in found] == [(IHD, 50)]


def test_pushes_before_the_mark_are_not_returned_but_requests_before_it_pair() -> None:
    link = ScriptedLink()
    client = HanClient(link, TIMEOUT)
    link.meter_sends(IHD, DM, publish_cot(60, 0x600))  # a push before the mark
    link.sent(IHD, DM, get_cot(61))  # a request before the mark ...
    mark = len(link.trace)
    link.meter_sends(IHD, DM, publish_cot(61, 0x601))  # ... answered after it: no push
    link.meter_sends(OTHER_IHD, DM, publish_cot(62, 0x602))
    assert pushes(client, mark) == [(OTHER_IHD, 0x602)]


# -- reading the trace once -------------------------------------------------------------------------------


def test_each_poll_reads_only_the_frames_since_the_last() -> None:
    link = ScriptedLink()
    client = HanClient(link, TIMEOUT)
    link.sent(IHD, DM, get_cot(70))
    link.meter_sends(IHD, DM, publish_cot(70))
    mark = len(link.trace)
    assert pushes(client, mark) == []
    link.now += TIMEOUT + 1
    link.meter_sends(IHD, DM, publish_cot(71, 0x700))
    assert pushes(client, mark) == [(IHD, 0x700)]
    link.meter_sends(OTHER_IHD, DM, publish_cot(72, 0x701))
    assert pushes(client, mark) == [(IHD, 0x700), (OTHER_IHD, 0x701)]
    assert pushes(client, mark) == [(IHD, 0x700), (OTHER_IHD, 0x701)]  # nothing new: nothing re-read
    assert link.reads == [0, 2, 3, 4], "each poll reads from where the last stopped, never from 0 again"
    fresh = HanClient(link, TIMEOUT)  # a client reading the whole trace at once agrees
    assert pushes(fresh, mark) == pushes(client, mark)


def test_each_caller_gets_its_own_frame() -> None:
    link = ScriptedLink()
    client = HanClient(link, TIMEOUT)
    link.meter_sends(IHD, DM, publish_cot(80))
    ((_record, first),) = client.received_since(0, DM, "publish_change_of_tenancy")
    first.fields.clear()  # type: ignore[attr-defined]
    ((_record, again),) = client.received_since(0, DM, "publish_change_of_tenancy")
    assert again.fields["issuer_event_id"] == 0x100


# -- where a push comes from, and what a failing check reads ---------------------------------------------


def test_a_push_counts_only_from_the_meters_endpoint_on_the_se_profile() -> None:
    """An IHD honouring the spoofing rule drops a Publish CoT from another endpoint of the meter's
    (a comms stack's notification endpoint) or on the Home Automation profile: it is not the push
    reaching that IHD, so ESI-05/07 must not pass on it."""
    link = ScriptedLink()
    client = HanClient(link, TIMEOUT)
    link.meter_sends(IHD, DM, publish_cot(90, 0x900), src_ep=2)
    link.meter_sends(IHD, DM, publish_cot(91, 0x901), profile=0x0104)
    link.meter_sends(OTHER_IHD, DM, publish_cot(92, 0x902))
    assert pushes(client) == [(OTHER_IHD, 0x902)]
    sent = client.sent_since(0, DM, {"publish_change_of_tenancy"})
    assert [(r.src_ep, r.profile_id, int(z.fields["issuer_event_id"])) for r, z in sent] == [
        (2, 0x0109, 0x900),
        (METER_EP, 0x0104, 0x901),
        (METER_EP, 0x0109, 0x902),
    ], "sent_since keeps every frame of the meter's, from whichever endpoint and profile"


def test_sent_since_holds_answers_after_the_mark_but_no_late_answer_to_a_request_before_it() -> None:
    """ESI-06 fails on any Display Message of the previous occupier's after the CoT, answer or push;
    the answer to the precondition's Get Last Message (asked before the trigger's mark) is not one."""
    link = ScriptedLink()
    client = HanClient(link, TIMEOUT)
    ask = codec.build(MESSAGING, "get_last_message", tsn=100, direction=Direction.TO_SERVER)
    link.sent(IHD, MESSAGING, ask)  # before the mark, its answer late, after it
    mark = len(link.trace)
    old = {"message_control": 0, "start_time": 5, "duration_in_minutes": 0xFFFF, "message": "old"}
    link.meter_sends(IHD, MESSAGING, codec.build(MESSAGING, "display_message", tsn=100, message_id=1, **old))
    link.sent(IHD, MESSAGING, codec.build(MESSAGING, "get_last_message", tsn=101, direction=Direction.TO_SERVER))
    link.meter_sends(IHD, MESSAGING, codec.build(MESSAGING, "display_message", tsn=101, message_id=2, **old))
    link.meter_sends(OTHER_IHD, MESSAGING, codec.build(MESSAGING, "display_message", tsn=7, message_id=3, **old))
    link.meter_sends(IHD, MESSAGING, codec.build(MESSAGING, "display_message", tsn=8, message_id=4, **old), src_ep=2)
    sent = client.sent_since(mark, MESSAGING, {"display_message"})
    assert [int(z.fields["message_id"]) for _r, z in sent] == [2, 3, 4]
    assert [int(z.fields["message_id"]) for _r, z in client.received_since(mark, MESSAGING, "display_message")] == [
        3
    ], "a push: neither a possible answer nor from another endpoint"
