"""Smart Energy security (radio.security cbke): SEC-01 .. SEC-07.

The harness is the trust centre: it answered the unit's CBKE at the session's start
(harness.bench.security) and has since secured every Smart Energy frame to the unit with
the derived key. These cases judge the unit's side: that it completed the exchange in its
declared time, secures what it sends, and acts on no Change of Tenancy that is not secured
with that key (unsecured, or under the install-code key it joined with or the well-known trust
centre link key) or that comes from a node other than the trust centre, whichever of the
profile's ESIs it claims to come from, pushed or answering the unit's own query.
The unit's own frames are told by its IEEE address (harness.radio.trace.sent_by), not by a
NWK address it may have changed since it joined.
"""

from __future__ import annotations

from collections.abc import Callable

import allure
from zigpy.zcl import foundation

from harness.bench import Bench
from harness.bench.security import CbkeLinkSecurity
from harness.catalogue import case
from harness.domain import DataClass
from harness.errors import BenchError, FatalBenchError
from harness.esi.meter import CotEvent, EmulatedMeter, Query
from harness.evidence.case_evidence import capture_dir
from harness.evidence.pcapng import write_pcapng
from harness.evidence.trace_text import describe_frame, trace_text
from harness.plugin import applies
from harness.profile import Profile, SecurityMode
from harness.radio.trace import Direction, FrameRecord
from harness.security.certificates import parse_certificate
from harness.security.responder import Reply
from harness.zcl import codec, ids
from harness.zcl.attributes import read_attributes_rsp
from harness.zcl.codec import ZclDecodeError
from harness.zcl.header import tsn_of
from testcases import steps
from testcases.steps import DEVICE_MANAGEMENT, attach_text
from testcases.steps.answers import require_responsive
from testcases.steps.clearing import retained, retained_until_queried
from testcases.steps.facts import eventually
from testcases.steps.false_cot import false_cot_clears_nothing
from testcases.steps.provoked import query_deadline, settle_after_query
from testcases.steps.stimuli import resident_shown

# Smart Energy's exemptions from APS security (the unit may send these under NWK security alone).
UNSECURED_CLUSTERS = frozenset({ids.BASIC, 0x0003, ids.TIME, ids.KEY_ESTABLISHMENT})  # 0x0003 Identify
# Supplier messages a spoofer would change: a Display Message (a phishing "top up here") shows
# its own message in place of the occupier's; Cancel All Messages wipes them without any CoT.
MESSAGING_SPOOFS = ("cancel_all_messages", "display_message")
SPOOFED_MESSAGE_ID = 0x5EC0_0000  # + the ZCL TSN: no occupier's message has it
SPOOFED_MESSAGE_TEXT = "Top up now at pay.example.invalid"
BROADCAST_ENDPOINT = 0xFF  # every endpoint of the node (APS)
# Z-Stack's default trust centre link key: a stack falls back to it for a peer it holds no
# key for, so a unit that does is open to any node of the network (SEC-04).
WELL_KNOWN_TC_LINK_KEY = b"ZigBeeAlliance09"

# A spoof sent from one ESI's endpoint: send(source, cluster, frame) -> the trace's record,
# or words when it never crossed the coordinator (SEC-07's foreign node).
Send = Callable[[str, int, bytes], "FrameRecord | str"]


def _cbke(bench: Bench, profile: Profile) -> CbkeLinkSecurity:
    applies(profile.radio.security is SecurityMode.CBKE, "radio.security", f"is {profile.radio.security}, not cbke")
    security = bench.security
    if not isinstance(security, CbkeLinkSecurity):
        raise BenchError(f"radio.security is cbke but the bench runs {type(security).__name__}")
    return security


@case("SEC-01")
def test_sec_01(bench: Bench, profile: Profile) -> None:
    security = _cbke(bench, profile)
    _attach_key_establishment(bench)
    settings = profile.radio.cbke
    if settings is None:  # the profile rules require it with security cbke
        raise BenchError("radio.security is cbke without radio.cbke")
    within = settings.establish_within.total_seconds()
    with allure.step(
        f"The unit completed CBKE (suite {settings.suite}) with the trust centre within radio.cbke.establish_within "
        f"({within:g} s) of the join opening"
    ):
        server = security.server
        events = server.responder.events if server is not None else []
        attach_text(
            "key establishment",
            "\n".join(f"{e.at - (security.joined_at or 0):8.3f} s  {e.peer_ieee.hex()}  {e.what}" for e in events)
            or "no Key Establishment frame from the unit",
        )
        assert security.established_at is not None and security.joined_at is not None, (
            f"the trust centre offered Key Establishment on endpoint {server.endpoint if server else '?'}; expected "
            f"the unit to complete CBKE within {within:g} s of joining; it did not "
            f"({events[-1].what if events else 'it sent no Key Establishment frame'})"
        )
        took = security.established_at - security.joined_at
        assert took <= within, f"expected CBKE completed within {within:g} s of the join opening; it took {took:.1f} s"


def _attach_key_establishment(bench: Bench) -> None:
    """The session's Key Establishment frames (they came before any case's own capture)."""
    frames = [r for r in bench.link.frames_since(0) if r.cluster_id == ids.KEY_ESTABLISHMENT]
    attach_text("key establishment frames", trace_text(frames) if frames else "none")
    folder = capture_dir(bench)
    if folder is None or not frames:
        return
    capture = write_pcapng(
        frames,
        folder / "SEC-01-key-establishment.pcapng",
        pan_id=bench.profile.radio.pan_id,
        channel=bench.profile.radio.channel,
        comment=f"SEC-01 Key Establishment, {bench.profile.identity_line()}",
    )
    allure.attach.file(str(capture), name="SEC-01 key establishment (pcapng, Wireshark)", extension="pcapng")


def _must_be_secured(record: FrameRecord) -> bool:
    return (
        record.direction is Direction.RX
        and record.profile_id == ids.SE_PROFILE
        and record.dst_ep != 0
        and record.cluster_id not in UNSECURED_CLUSTERS
    )


def unit_must_be_secured(unit_frames: list[FrameRecord]) -> list[FrameRecord]:
    """Of the unit's frames (told by its IEEE address: UutLink.unit_frames_since), those Smart
    Energy requires APS-secured."""
    return [r for r in unit_frames if _must_be_secured(r)]


@case("SEC-02")
def test_sec_02(bench: Bench, profile: Profile) -> None:
    _cbke(bench, profile)
    with allure.step(
        "Every Smart Energy frame the unit sent this session (but Basic, Identify, Time, Key Establishment) "
        "arrived APS-secured (the stick's SecurityUse), under whichever NWK address it had then"
    ):
        frames = unit_must_be_secured(bench.link.unit_frames_since(0))
        unsecured = [r for r in frames if not r.aps_secured]
        attach_text(
            "frames",
            f"{len(frames)} Smart Energy frames from the unit, {len(unsecured)} of them not APS-secured\n"
            + "\n".join(describe_frame(r) for r in unsecured[:20]),
        )
        assert frames, (
            "expected the unit's Smart Energy requests (its CoT queries and fetches) APS-secured under the CBKE "
            "link key; no Smart Energy frame from it reached the trust centre secured with that key (a frame under "
            "another key is dropped by the stick)"
        )
        assert not unsecured, (
            f"expected every Smart Energy frame from the unit APS-secured; {len(unsecured)} of {len(frames)} arrived "
            f"without APS security, the first: {describe_frame(unsecured[0])}"
        )


def _sources(profile: Profile) -> list[str]:
    """Every ESI the profile declares: a unit must refuse a spoofed CoT whichever meter it
    claims to come from (on a dual-fuel home the gas meter's as well as the electricity
    meter's), so each is judged in a step of its own and a refusal at one stands for no other."""
    return [source.value for source in profile.esi.sources]


def _spoofed_cot(bench: Bench, profile: Profile, how: str, send: Callable[[str, int, bytes], FrameRecord]) -> None:
    """`send(source, cluster, frame)` sends the spoof from `source`'s endpoint once: a Publish
    CoT, then each Messaging command a spoofer could change the display with (the same rule
    covers every Smart Energy frame, not only Device Management's), then the answers to the
    unit's own requests; at the end the meters' own answers to its next query, which must not
    confirm anything a spoof said."""
    for source in _sources(profile):
        _spoofed_from(bench, profile, source, how, lambda s, frame: send(s, DEVICE_MANAGEMENT, frame))
        label = bench.meters[source].label
        for command in _messaging_spoofs(profile):
            _spoofed_message(
                bench, profile, command, f"the {label}", how, lambda frame, s=source: send(s, ids.MESSAGING, frame)
            )
        _spoofed_answers(bench, profile, source, f"the {label}", how, send)
    _next_genuine_query(bench, profile, how)


# -- the answers to the unit's own requests ------------------------------------------------
# A Change of Tenancy reaches the unit by push or as the answer to its own query (SECMP0056's
# pull model), so the rule that an unsecured, wrongly keyed or foreign Publish CoT clears
# nothing holds for an answer echoing its query's TSN as much as for a push: a unit that
# checks the security of unsolicited frames only, and matches answers by TSN, would take a
# spoofer's answer. The meter leaves the requests unanswered while the spoofer answers them.


def _spoofable(query: Query) -> bool:
    """The unit's requests whose answer could change what it shows: its CoT query (Get Change
    of Tenancy or Read Attributes 0x0200/0x0201, by behaviour.query_method), and Get Last
    Message (the supplier message it shows)."""
    return query.is_cot_query or (query.cluster_id == ids.MESSAGING and query.command == "get_last_message")


# The bench's ways of making the unit query, each with its control (steps.provoked).
_PROVOCATIONS = (("rejoin", "rejoin_control"), ("power cycle", "power_control"))


def _provocations(bench: Bench) -> list[str | None]:
    """Each way the bench makes the unit query: after a rejoin and after a power cycle (a unit's
    security state after one need not be its state after the other); [None]: neither control,
    so its own query timer."""
    return [how for how, control in _PROVOCATIONS if bench.controls.available(control)] or [None]


def _spoofed_answers(bench: Bench, profile: Profile, source: str, sender: str, how: str, send: Send) -> None:
    for provoked in _provocations(bench):
        _answers_after(bench, profile, source, sender, how, send, provoked)


def _answers_after(
    bench: Bench, profile: Profile, source: str, sender: str, how: str, send: Send, provoked: str | None
) -> None:
    after = f"the {provoked}" if provoked is not None else "its own query timer"
    with allure.step(
        f"As from {sender}: the answers to the unit's own requests after {after} (its CoT query"
        f"{', Get Last Message' if _messaging_spoofs(profile) else ''}), {how}, must clear and change nothing"
    ):
        classes, resident, upcoming = resident_shown(bench, profile)
        event = bench.occupancy.cot_event()  # newer than any the unit has actioned
        what = (
            f"the unit's requests to {sender} after {after} were answered in its place {how} "
            f"(a CoT newer than any: Issuer Event ID 0x{event.issuer_event_id:08X}, "
            f"implementation time 0x{event.implementation_time:08X})"
        )
        retained(
            bench,
            classes,
            resident,
            upcoming,
            settle_after_query(profile),
            lambda: _answer_in_meters_place(bench, profile, source, provoked, event, how, send),
            what,
        )
        require_responsive(bench, f"answers to its requests from {sender} {how}")


def _answer_in_meters_place(
    bench: Bench, profile: Profile, source: str, provoked: str | None, event: CotEvent, how: str, send: Send
) -> None:
    """The meter at `source` withholds the spoofable answers; the unit is made to query (or its
    own timer awaited); each spoofable request is answered `how` as soon as it arrives."""
    meter = bench.meters[source]
    spoofed = frozenset({"the CoT query", *(("Get Last Message",) if _messaging_spoofs(profile) else ())})
    kinds = set(spoofed)
    deadline = query_deadline(profile, provoked)
    meter.withheld = lambda query: _spoofable(query) and _kind(query) in spoofed
    try:
        since = bench.loop.now()
        provoke = {"rejoin": "the unit is made to rejoin", "power cycle": "the unit is power-cycled"}
        with allure.step(
            f"{meter.label} leaves the unit's {' and '.join(sorted(spoofed))} unanswered; "
            f"{provoke.get(provoked or '', 'the unit queries on its own timer')} (awaited up to {deadline:g} s)"
        ):
            if provoked == "rejoin":
                bench.controls.rejoin()
            elif provoked == "power cycle":
                bench.controls.power_cycle()
        while kinds:
            try:
                query = bench.loop.wait_for(
                    lambda: _first_request(meter, since, kinds),
                    max(0.0, since + deadline - bench.loop.now()),
                    f"the unit's {' or '.join(sorted(kinds))} at {meter.label}",
                )
            except TimeoutError:
                break
            kind = _kind(query)
            kinds.discard(kind)
            _answer_spoofed(bench, source, query, kind, event, how, send)
        if kinds:
            attach_text("not answered", f"the unit sent no {', no '.join(sorted(kinds))} within {deadline:g} s")
    finally:
        meter.withheld = None


def _kind(query: Query) -> str:
    return "the CoT query" if query.is_cot_query else "Get Last Message"


def _first_request(meter: EmulatedMeter, since: float, kinds: set[str]) -> Query | None:
    """The first spoofable request of a kind in `kinds` the meter logged at or after `since`
    (its log is in arrival order: read back only as far as `since`)."""
    found = None
    for query in reversed(meter.queries):
        if query.at < since:
            break
        if _spoofable(query) and _kind(query) in kinds:
            found = query
    return found


def _answer_frame(query: Query, kind: str, event: CotEvent) -> bytes:
    """What a meter holding `event` (or a spoofer's supplier message) answers `query` with,
    echoing its TSN: a Publish CoT to Get Change of Tenancy, the tenancy attributes to a Read
    Attributes (as harness.esi.servers serves them), a Display Message to Get Last Message."""
    tsn = tsn_of(query.record.payload) or 0
    if kind == "Get Last Message":
        return _spoofer_message_frame(tsn, "display_message")
    if query.command == "read_attributes":
        tenancy = {
            0x0200: (foundation.DataTypeId.UTC, event.implementation_time),
            0x0201: (foundation.DataTypeId.map32, event.change_control),
        }
        return read_attributes_rsp(codec.decode(query.cluster_id, query.record.payload), tenancy)
    return codec.build(DEVICE_MANAGEMENT, "publish_change_of_tenancy", tsn=tsn, **event.publish_fields())


def _answer_spoofed(bench: Bench, source: str, query: Query, kind: str, event: CotEvent, how: str, send: Send) -> None:
    frame = _answer_frame(query, kind, event)
    said = (
        f"Issuer Event ID 0x{event.issuer_event_id:08X}"
        if kind == "the CoT query"
        else f"message 0x{SPOOFED_MESSAGE_ID + (tsn_of(frame) or 0):08X}"
    )
    with allure.step(
        f"{kind[0].upper()}{kind[1:]} (TSN {tsn_of(frame)}, +{bench.loop.now() - query.at:.3f} s) answered {how} "
        f"in {bench.meters[source].label}'s place: {said}"
    ):
        sent = send(source, query.cluster_id, frame)
        attach_text("sent", sent if isinstance(sent, str) else describe_frame(sent))


def _next_genuine_query(bench: Bench, profile: Profile, how: str) -> None:
    """After every spoof, the meters answer the unit's next CoT query themselves (NOT_FOUND: no
    new CoT): a unit that took a spoof as a hint to be confirmed by the meter, and took any
    answer for confirmation, clears then."""
    with allure.step(
        f"The meters answer the unit's next CoT query themselves (no new CoT): nothing sent {how} may be actioned then"
    ):
        classes, resident, upcoming = resident_shown(bench, profile)
        retained_until_queried(
            bench, profile, classes, resident, upcoming, lambda: None, f"the spoofs {how} and the next CoT query"
        )


def _messaging_spoofs(profile: Profile) -> tuple[str, ...]:
    """The Messaging commands spoofed: only on a unit that shows supplier messages (on any
    other, nothing they could change is on its display)."""
    return MESSAGING_SPOOFS if DataClass.SUPPLIER_MESSAGES in profile.stores else ()


def _messaging_frame(bench: Bench, command: str) -> bytes:
    tsn = bench.link.next_tsn()
    if command == "cancel_all_messages":
        return codec.build(ids.MESSAGING, command, tsn=tsn, implementation_date_time=0)  # 0: now
    return _spoofer_message_frame(tsn, command)


def _spoofer_message_frame(tsn: int, command: str) -> bytes:
    """The spoofer's supplier message (a Display Message), shown now and until changed:
    pushed, or answering the unit's Get Last Message."""
    return codec.build(
        ids.MESSAGING,
        command,
        tsn=tsn,
        message_id=SPOOFED_MESSAGE_ID + tsn,
        message_control=0x00,
        start_time=0,  # now
        duration_in_minutes=0xFFFF,  # until changed
        message=SPOOFED_MESSAGE_TEXT,
    )


def _spoofed_message(
    bench: Bench, profile: Profile, command: str, sender: str, how: str, send: Callable[[bytes], FrameRecord | str]
) -> None:
    """A spoofed Messaging `command` from `sender` must leave the occupier's display as it is:
    Cancel All Messages would remove their supplier message, a Display Message put the
    spoofer's in its place (the unit shows the last message per fuel)."""
    name = codec.decode(ids.MESSAGING, _messaging_frame(bench, command)).command_name.replace("_", " ").title()
    with allure.step(f"As from {sender}: a {name} {how} must change nothing on the display"):
        classes, resident, upcoming = resident_shown(bench, profile)
        frame = _messaging_frame(bench, command)

        def stimulus() -> None:
            with allure.step(f"{sender[0].upper()}{sender[1:]} sends {name} {how}"):
                sent = send(frame)  # the trace's record, or words when it never crossed the coordinator
                attach_text("sent", sent if isinstance(sent, str) else describe_frame(sent))

        what = f"{sender} sent {name} ({frame.hex(' ')}) {how}"
        retained(bench, classes, resident, upcoming, eventually(profile), stimulus, what)
        require_responsive(bench, f"a {name} from {sender} {how}")


def _spoofed_from(
    bench: Bench, profile: Profile, source: str, how: str, send: Callable[[str, bytes], FrameRecord]
) -> None:
    label = bench.meters[source].label
    with allure.step(f"As from the {label}: a Publish Change of Tenancy {how} must clear nothing"):
        false_cot_clears_nothing(
            bench,
            profile,
            lambda event: (
                f"The {label} sends Publish Change of Tenancy {how}, Issuer Event ID 0x{event.issuer_event_id:08X}"
            ),
            lambda frame: send(source, frame),
            lambda event: (
                f"the {label} sent a Publish Change of Tenancy (Issuer Event ID 0x{event.issuer_event_id:08X}) {how}"
            ),
            f"a Publish Change of Tenancy from the {label} {how}",
        )


@case("SEC-03")
def test_sec_03(bench: Bench, profile: Profile) -> None:
    _cbke(bench, profile)

    def send(source: str, cluster: int, frame: bytes) -> FrameRecord:
        return steps.delivered(
            bench,
            lambda: bench.link.send(source, cluster, frame, aps_security=False),
            f"unsecured frame (cluster 0x{cluster:04X})",
        )

    def to_every_endpoint(source: str, frame: bytes) -> FrameRecord:
        # Endpoint 0xFF reaches every endpoint of the unit: a check made in one endpoint's
        # dispatch would not see it.
        return steps.delivered(
            bench,
            lambda: bench.link.send_from(
                bench.meters[source].endpoint, DEVICE_MANAGEMENT, frame, dst_ep=BROADCAST_ENDPOINT, aps_security=False
            ),
            "unsecured frame to endpoint 0xFF",
        )

    for source in _sources(profile):
        _spoofed_from(
            bench, profile, source, "without APS security, to endpoint 0xFF (every endpoint)", to_every_endpoint
        )
    _spoofed_cot(bench, profile, "without APS security", send)


@case("SEC-04")
def test_sec_04(bench: Bench, profile: Profile) -> None:
    security = _cbke(bench, profile)
    code = profile.identity.install_code
    genuine = security.unit_key()
    if code is None or genuine is None:  # cbke needs both (profile rules; SEC-01 blocks the rest)
        raise BenchError("SEC-04 needs identity.install_code and the unit's CBKE link key")
    from zigpy.util import convert_install_code

    install_code_key = bytes(convert_install_code(bytes.fromhex(code.get_secret_value())))
    # Only the CBKE link key secures Smart Energy frames: neither the key the unit joined with
    # nor the well-known key a Zigbee stack falls back to for a peer it holds no key for.
    for key_name, key in (
        ("the install-code key", install_code_key),
        ("the well-known trust centre link key (ZigBeeAlliance09)", WELL_KNOWN_TC_LINK_KEY),
    ):
        send = _under_key(bench, security, key, key_name, genuine.link_key)
        _spoofed_cot(bench, profile, f"APS-secured under {key_name}", send)


def _under_key(bench: Bench, security: CbkeLinkSecurity, key: bytes, key_name: str, link_key: bytes) -> Send:

    def send(source: str, cluster: int, frame: bytes) -> FrameRecord:
        # The stick holds one key per peer: `key` for this frame only, then the CBKE key again
        # before anything else (the next source's spoof included) is sent.
        bench.loop.run_coroutine(security.install_for_unit(key))
        try:
            return steps.delivered(
                bench,
                lambda: bench.link.send(source, cluster, frame, aps_security=True),
                f"frame under {key_name} (cluster 0x{cluster:04X})",
            )
        finally:
            try:
                bench.loop.run_coroutine(security.install_for_unit(link_key))
            except Exception as error:  # noqa: BLE001 (any failure leaves the bench unusable)
                raise FatalBenchError(
                    f"the unit's CBKE link key could not be put back in the stick after SEC-04 ({error!r}): "
                    f"every later frame to the unit would go under {key_name}"
                ) from None

    return send


def _unit_answer_to(bench: Bench, since: int, command: str, what: str) -> tuple[FrameRecord, FrameRecord | None]:
    """The trust centre's `command` sent since trace mark `since` (waited for: the exchange
    has only begun when the provocation returns, and over a lossy air its later steps come
    after retries), and the unit's next Key Establishment frame after it (None when it sent
    none within timings.response_timeout)."""

    def sent() -> FrameRecord | None:
        return next(
            (
                r
                for r in bench.link.frames_since(since)
                if r.direction is Direction.TX
                and r.cluster_id == ids.KEY_ESTABLISHMENT
                and codec.decode(r.cluster_id, r.payload).command_name == command
            ),
            None,
        )

    settings = bench.profile.radio.cbke
    if settings is None:  # not reached: a CBKE case (_cbke) skips a profile without radio.cbke
        raise BenchError(f"{what}: the profile has no radio.cbke")
    within = settings.establish_within.total_seconds()
    try:
        ours = bench.loop.wait_for(sent, within, f"the trust centre's {command} in the provoked exchange")
    except TimeoutError:
        raise BenchError(
            f"the trust centre never sent {command} in the provoked exchange ({what}) within "
            f"radio.cbke.establish_within ({within:g} s)"
        ) from None
    # By its IEEE address: the unit left and joined again for this exchange, and may have
    # come back under another NWK address.
    answer = bench.link.expect_from_unit(
        lambda r: r.cluster_id == ids.KEY_ESTABLISHMENT,
        since=ours.seq + 1,
        timeout=steps.response_timeout(bench.profile),
        what=f"the unit's answer to {what}",
    )
    return ours, answer


def _terminated(answer: FrameRecord | None, status: str, what: str, step: str) -> None:
    with allure.step(step):
        if answer is not None:
            attach_text("the unit's answer", describe_frame(answer))
        assert answer is not None, (
            f"the trust centre sent {what}; expected the unit to send Terminate Key Establishment ({status}); "
            "it sent no Key Establishment frame within timings.response_timeout"
        )
        zcl = codec.decode(answer.cluster_id, answer.payload)
        got = zcl.command_name
        if got == "terminate_key_establishment":
            got = f"terminate_key_establishment, status {zcl.fields['status_code'].name}"
        assert got == f"terminate_key_establishment, status {status}", (
            f"the trust centre sent {what}; expected the unit to send Terminate Key Establishment ({status}); "
            f"it sent {got}"
        )


def _no_smart_energy(bench: Bench, profile: Profile, since: int, what: str) -> None:
    """From trace position `since` (just after the trust centre's refused message)."""
    window = profile.timings.poll.after_join.total_seconds()
    with allure.step(f"Watch {window:g} s (poll.after_join): the unit sends no Smart Energy frame after {what}"):
        bench.loop.hold(window, f"watching for Smart Energy frames after {what}")
        used = unit_must_be_secured(bench.link.unit_frames_since(since))
        attach_text("smart energy frames", "\n".join(describe_frame(r) for r in used[:20]) or "none")
        assert not used, (
            f"after {what} the unit holds no key the trust centre confirmed; expected no Smart Energy frame from it "
            f"for {window:g} s; it sent {len(used)}, the first: {describe_frame(used[0])}"
        )


def _never_went_on(bench: Bench, profile: Profile, since: int, what: str) -> None:
    """Not only the first attempt: each time the unit tries again over the watch (radio.cbke.
    attempts in all) it meets the same certificate, and it must refuse it each time; one that
    checks the certificate on its first attempt alone goes on to Ephemeral Data on the next."""
    window = profile.timings.poll.after_join.total_seconds()
    with allure.step(
        f"Over the same {window:g} s the unit tries again as it may, but never goes on to Ephemeral Data with "
        "that certificate"
    ):
        exchange = [r for r in bench.link.unit_frames_since(since) if r.cluster_id == ids.KEY_ESTABLISHMENT]
        attach_text("the unit's key establishment frames", trace_text(exchange) if exchange else "none")
        went_on = [r for r in exchange if _command_name(r) == "ephemeral_data_request"]
        assert not went_on, (
            f"after {what} the unit tried key establishment again and went on to Ephemeral Data with a trust centre "
            f"whose certificate it must refuse; expected it to terminate every attempt; the first: "
            f"{describe_frame(went_on[0])}"
        )


def _command_name(record: FrameRecord) -> str | None:
    """The Key Establishment command of one of the unit's frames (None: it does not decode)."""
    try:
        return codec.decode(record.cluster_id, record.payload).command_name
    except ZclDecodeError:
        return None


def _provoked(bench: Bench, security: CbkeLinkSecurity, how: str, judge: object, **provoke: object) -> None:
    since = bench.link.mark()
    try:
        with allure.step(
            f"The trust centre tells the unit to leave (Mgmt_Leave_req, no rejoin) and lets it join again with its "
            f"install code: its new key establishment meets {how}"
        ):
            bench.loop.run_coroutine(security.provoke_cbke(**provoke))  # type: ignore[arg-type]
        judge(since)  # type: ignore[operator]
    finally:
        with allure.step("The genuine trust centre again: the unit is secured with it before the next case"):
            bench.loop.run_coroutine(security.restore())


@case("SEC-05")
def test_sec_05(bench: Bench, profile: Profile) -> None:
    security = _cbke(bench, profile)
    what = "a certificate from another CA (Initiate Key Establishment Response)"

    def judge(since: int) -> None:
        ours, answer = _unit_answer_to(bench, since, "initiate_key_establishment_response", what)
        _terminated(
            answer, "UNKNOWN_ISSUER", what, "The unit terminates with UNKNOWN_ISSUER, not going on to Ephemeral Data"
        )
        _no_smart_energy(bench, profile, ours.seq + 1, what)
        _never_went_on(bench, profile, ours.seq + 1, what)

    _provoked(
        bench,
        security,
        "a trust centre whose certificate another CA issued",
        judge,
        responder=security.foreign_responder(),
    )
    _impostor_trust_centre(bench, profile, security)


def _impostor_trust_centre(bench: Bench, profile: Profile, security: CbkeLinkSecurity) -> None:
    """The responder's certificate checked for its subject as well as its issuer: from the
    unit's own CA but naming another device, it is refused (BAD_MESSAGE), or any device whose
    certificate that CA issued could play trust centre."""
    responder = security.impostor_responder()
    if responder is None:
        with allure.step(
            "Not judged: a trust centre certificate from the unit's CA naming another device (the trust centre's "
            "certificate in radio.cbke is not from the harness test CA, and the bench holds no other CA's key)"
        ):
            pass
        return
    subject = parse_certificate(next(iter(responder.identities.values())).certificate).subject
    what = (
        f"a certificate from the unit's own CA naming {subject.hex(':')}, not the trust centre "
        "(Initiate Key Establishment Response)"
    )

    def judge(since: int) -> None:
        ours, answer = _unit_answer_to(bench, since, "initiate_key_establishment_response", what)
        _terminated(
            answer,
            "BAD_MESSAGE",
            what,
            "The unit terminates with BAD_MESSAGE (the certificate is not the trust centre's), not going on to "
            "Ephemeral Data",
        )
        _no_smart_energy(bench, profile, ours.seq + 1, what)
        _never_went_on(bench, profile, ours.seq + 1, what)

    _provoked(
        bench,
        security,
        f"a trust centre whose certificate the unit's CA issued for another device ({subject.hex(':')})",
        judge,
        responder=responder,
    )


def _wrong_macv(reply: Reply) -> Reply:
    if reply.command != "confirm_key_data_response":
        return reply
    mac = bytes(reply.fields["secure_message_authentication_code"])
    return Reply(
        reply.command, {**reply.fields, "secure_message_authentication_code": bytes([mac[0] ^ 0x01]) + mac[1:]}
    )


@case("SEC-06")
def test_sec_06(bench: Bench, profile: Profile) -> None:
    security = _cbke(bench, profile)
    what = "a wrong MACV (Confirm Key Data Response)"

    def judge(since: int) -> None:
        ours, answer = _unit_answer_to(bench, since, "confirm_key_data_response", what)
        _terminated(answer, "BAD_KEY_CONFIRM", what, "The unit terminates with BAD_KEY_CONFIRM and discards the key")
        _no_smart_energy(bench, profile, ours.seq + 1, what)

    _provoked(bench, security, "a trust centre whose MACV is wrong", judge, tamper=_wrong_macv)


@case("SEC-07")
def test_sec_07(bench: Bench, profile: Profile) -> None:
    security = _cbke(bench, profile)
    applies(profile.bench.foreign_node.by != "none", "bench.foreign_node", "is none")
    genuine = security.unit_key()
    if genuine is None:  # SEC-01 blocks every other case without it
        raise BenchError("SEC-07 needs the unit's CBKE link key")
    for source in _sources(profile):
        _foreign_cot(bench, profile, source, genuine.link_key)
    _next_genuine_query(bench, profile, "from a node that is not the trust centre")


def _foreign_cot(bench: Bench, profile: Profile, source: str, link_key: bytes) -> None:
    """From the endpoint number of `source`'s meter, on a node that is not the trust centre."""
    endpoint = bench.meters[source].endpoint
    fuel_meter = source.upper()

    def send_on(cluster: int, frame: bytes) -> str:
        return bench.loop.call_on_loop(
            lambda: bench.han.send_from_foreign_node(profile.identity.endpoint, endpoint, cluster, frame, link_key)
        )

    def send(frame: bytes) -> str:
        return send_on(DEVICE_MANAGEMENT, frame)

    how = (
        f"APS-secured with the unit's own link key, but from a node that is not the trust centre (endpoint {endpoint}, "
        f"the {fuel_meter}'s number)"
    )
    with allure.step(
        f"As from the {fuel_meter}'s endpoint number ({endpoint}) on another node: the CoT must clear nothing"
    ):
        false_cot_clears_nothing(
            bench,
            profile,
            lambda event: (
                f"A node that is not the trust centre sends Publish Change of Tenancy from endpoint {endpoint} "
                f"(the {fuel_meter}'s), APS-secured, Issuer Event ID 0x{event.issuer_event_id:08X}"
            ),
            send,
            lambda event: f"a Publish Change of Tenancy (Issuer Event ID 0x{event.issuer_event_id:08X}) {how}",
            f"a Publish Change of Tenancy from a node that is not the trust centre (endpoint {endpoint})",
        )
    for command in _messaging_spoofs(profile):
        _spoofed_message(
            bench,
            profile,
            command,
            f"a node that is not the trust centre (endpoint {endpoint}, the {fuel_meter}'s number)",
            "APS-secured with the unit's own link key",
            lambda frame: send_on(ids.MESSAGING, frame),
        )
    _spoofed_answers(
        bench,
        profile,
        source,
        f"a node that is not the trust centre (endpoint {endpoint}, the {fuel_meter}'s number)",
        "APS-secured with the unit's own link key",
        lambda _source, cluster, frame: send_on(cluster, frame),
    )
