"""The AF data path on raw octets answers exactly as zigpy-znp's command objects do.

harness/sim/zstack/af_frames.py parses AF.DataRequestExt and builds its SRSP, AF.DataConfirm
and AF.IncomingMsg without zigpy-znp's command objects. Each layout is checked octet for
octet against zigpy-znp's own serialisation over many field values, each edge included;
anything the fast path declines (another address mode, a short or long frame, a value out
of its field) is shown to be declined, so the command path answers it as before; and an
emulator with the fast path sends the host the same frames, and counts the same, as one
without it.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator

import pytest
import zigpy.types as zt
import zigpy_znp.commands as c
import zigpy_znp.types as t
from zigpy_znp.frames import GeneralFrame

from harness.sim.air import Air, AirFrame
from harness.sim.clock import VirtualClock
from harness.sim.zstack import ZStackEmulator, af_frames
from tests.stick.conftest import STICK_IEEE

RNG_SEED = 20261201
EDGE_U8 = (0, 1, 0x7F, 0x80, 0xFE, 0xFF)
EDGE_U16 = (0, 1, 0x00FF, 0x0100, 0x7FFF, 0xFFFE, 0xFFFF)


def _values(edges: tuple[int, ...], top: int, rng: random.Random, count: int = 40) -> list[int]:
    return [*edges, *(rng.randint(0, top) for _ in range(count))]


def _data_requests() -> Iterator[c.AF.DataRequestExt.Req]:
    rng = random.Random(RNG_SEED)
    for n, nwk in enumerate(_values(EDGE_U16, 0xFFFF, rng)):
        length = (0, 1, 3, 64, 65, 200)[n % 6] if n < 12 else rng.randint(0, 200)
        yield c.AF.DataRequestExt.Req(
            DstAddrModeAddress=t.AddrModeAddress(mode=t.AddrMode.NWK, address=nwk),
            DstEndpoint=rng.choice(EDGE_U8),
            DstPanId=rng.choice(EDGE_U16),
            SrcEndpoint=rng.choice(EDGE_U8),
            ClusterId=rng.choice(EDGE_U16),
            TSN=rng.choice(EDGE_U8),
            Options=c.af.TransmitOptions(rng.randint(0, 0xFF)),
            Radius=rng.choice(EDGE_U8),
            Data=t.LongBytes(rng.randbytes(length)),
        )


@pytest.mark.parametrize("request_", list(_data_requests()), ids=lambda r: f"nwk{r.DstAddrModeAddress.address:04x}")
def test_a_data_request_parses_as_zigpy_znp_parses_it(request_: c.AF.DataRequestExt.Req) -> None:
    payload = bytes(request_.to_frame(align=True).data)
    parsed = af_frames.parse_nwk_data_request(payload)
    reference = c.AF.DataRequestExt.Req.from_frame(GeneralFrame(af_frames.DATA_REQUEST_EXT, payload), align=True)
    assert parsed == af_frames.NwkDataRequest(
        dst_nwk=int(reference.DstAddrModeAddress.address),
        dst_ep=int(reference.DstEndpoint),
        src_ep=int(reference.SrcEndpoint),
        cluster=int(reference.ClusterId),
        tsn=int(reference.TSN),
        options=int(reference.Options),
        data=bytes(reference.Data),
    )
    # One octet short or long is not an AF.DataRequestExt: left to the command objects.
    assert af_frames.parse_nwk_data_request(payload[:-1]) is None
    assert af_frames.parse_nwk_data_request(payload + b"\x00") is None


@pytest.mark.parametrize(
    "address",
    [
        t.AddrModeAddress(mode=t.AddrMode.IEEE, address=t.EUI64.convert("00:12:4b:00:00:00:00:01")),
        t.AddrModeAddress(mode=t.AddrMode.Group, address=0x0001),
        t.AddrModeAddress(mode=t.AddrMode.Broadcast, address=0xFFFD),
    ],
    ids=lambda a: a.mode.name,
)
def test_another_address_mode_is_left_to_the_command_path(address: t.AddrModeAddress) -> None:
    request_ = next(_data_requests()).replace(DstAddrModeAddress=address)
    assert af_frames.parse_nwk_data_request(bytes(request_.to_frame(align=True).data)) is None
    assert af_frames.parse_nwk_data_request(b"") is None


def test_the_status_and_the_confirm_serialise_as_zigpy_znp_serialises_them() -> None:
    for status in t.Status:
        assert af_frames.status_payload(status) == bytes(c.AF.DataRequestExt.Rsp(Status=status).to_frame().data)
        for endpoint in EDGE_U8:
            for tsn in EDGE_U8:
                fast = af_frames.data_confirm(status, endpoint, tsn)
                slow = c.AF.DataConfirm.Callback(Status=status, Endpoint=endpoint, TSN=tsn).to_frame(align=True)
                assert (fast.header, bytes(fast.data)) == (slow.header, bytes(slow.data))


def _incoming(rng: random.Random) -> Iterator[dict[str, object]]:
    for n in range(120):
        yield {
            "cluster": rng.choice(EDGE_U16) if n % 2 else rng.randint(0, 0xFFFF),
            "src_nwk": rng.choice(EDGE_U16) if n % 3 else rng.randint(0, 0xFFFF),
            "src_ep": rng.choice(EDGE_U8),
            "dst_ep": rng.choice(EDGE_U8),
            "broadcast": bool(n & 1),
            "lqi": rng.choice(EDGE_U8),
            "secured": bool(n & 2),
            "timestamp": rng.choice((0, 1, 0xFFFFFFFF, rng.randint(0, 0xFFFFFFFF))),
            "tsn": rng.choice(EDGE_U8),
            "data": rng.randbytes((0, 1, 65, 127, 200, rng.randint(0, 200))[n % 6]),
            "radius": rng.choice(EDGE_U8),
        }


def _incoming_command(f: dict[str, object]) -> c.AF.IncomingMsg.Callback:
    return c.AF.IncomingMsg.Callback(
        GroupId=0x0000,
        ClusterId=f["cluster"],
        SrcAddr=f["src_nwk"],
        SrcEndpoint=f["src_ep"],
        DstEndpoint=f["dst_ep"],
        WasBroadcast=f["broadcast"],
        LQI=f["lqi"],
        SecurityUse=f["secured"],
        TimeStamp=f["timestamp"],
        TSN=f["tsn"],
        Data=t.ShortBytes(f["data"]),
        MacSrcAddr=f["src_nwk"],
        MsgResultRadius=f["radius"],
    )


def test_an_incoming_message_serialises_as_zigpy_znp_serialises_it() -> None:
    for fields in _incoming(random.Random(RNG_SEED)):
        fast = af_frames.incoming_msg(af_frames.IncomingFields(**fields))  # type: ignore[arg-type]
        slow = _incoming_command(fields).to_frame(align=True)
        assert fast is not None
        assert (fast.header, bytes(fast.data)) == (slow.header, bytes(slow.data)), fields


@pytest.mark.parametrize("field, value", [("radius", 0x100), ("tsn", -1), ("cluster", 0x10000), ("data", bytes(256))])
def test_a_value_out_of_its_field_is_left_to_the_command_objects(field: str, value: object) -> None:
    fields = next(_incoming(random.Random(RNG_SEED))) | {field: value}
    assert af_frames.incoming_msg(af_frames.IncomingFields(**fields)) is None  # type: ignore[arg-type]


# -- the emulator, with and without the fast path ---------------------------------------
class _StillClock(VirtualClock):
    """Bench time that does not move: both emulators stamp their frames (AF.IncomingMsg's
    TimeStamp) alike however long the machine takes between them."""

    def now(self) -> float:
        return 1_800_000_000.0


def _emulator(loop: asyncio.AbstractEventLoop, fast: bool) -> tuple[ZStackEmulator, list[GeneralFrame]]:
    clock = _StillClock()
    emulator = ZStackEmulator(zt.EUI64.convert(STICK_IEEE), Air(loop, clock), clock)
    if not fast:
        emulator._raw_handlers.pop(af_frames.DATA_REQUEST_EXT)
    sent: list[GeneralFrame] = []
    emulator.connect_host(sent.append)
    return emulator, sent


def _request(
    nwk: int, dst_ep: int, options: int = 0, cluster: int = 0x0702, data: bytes = b"\x00\x07\x00\x00\x00"
) -> GeneralFrame:
    return c.AF.DataRequestExt.Req(
        DstAddrModeAddress=t.AddrModeAddress(mode=t.AddrMode.NWK, address=nwk),
        DstEndpoint=dst_ep,
        DstPanId=0x0000,
        SrcEndpoint=1,
        ClusterId=cluster,
        TSN=0x42,
        Options=c.af.TransmitOptions(options),
        Radius=30,
        Data=t.LongBytes(data),
    ).to_frame(align=True)


SITUATIONS = {
    "not running": (False, _request(0x1234, 1)),
    "unicast to nobody": (True, _request(0x1234, 1)),
    "unicast secured": (True, _request(0x1234, 1, options=0x40)),
    "NWK broadcast": (True, _request(0xFFFD, 1)),
    "ZDO to the stick itself": (True, _request(0x0000, 0, cluster=0x0005, data=b"\x07\x00\x00")),
    "ZDO the stick cannot parse": (True, _request(0x0000, 0)),
    "ZDO to a device": (True, _request(0x1234, 0)),
    "malformed": (True, GeneralFrame(af_frames.DATA_REQUEST_EXT, bytes(_request(0x1234, 1).data) + b"\x00")),
}


@pytest.mark.parametrize("situation", SITUATIONS)
def test_the_emulator_answers_a_data_request_alike_either_way(situation: str) -> None:
    running, request_ = SITUATIONS[situation]
    loop = asyncio.new_event_loop()
    try:
        outcomes = []
        for fast in (True, False):
            emulator, sent = _emulator(loop, fast)
            emulator.running = running
            try:
                emulator.handle_frame(request_)
            except ValueError as error:  # zigpy-znp refuses trailing octets, either way
                sent.append(GeneralFrame(0, str(error).encode()[:200]))
            outcomes.append(
                (
                    [(f.header, bytes(f.data)) for f in sent],
                    dict(emulator.served),
                    emulator.callbacks_sent,
                    emulator.data_to_host,
                    emulator.faults,
                )
            )
        assert outcomes[0] == outcomes[1]
        if situation == "ZDO to the stick itself":
            assert outcomes[0][3] == 1  # Active_EP_rsp, as ZDO.MsgCbIncoming
        if situation == "unicast to nobody":
            assert [h for h, _ in outcomes[0][0]] == [c.AF.DataRequestExt.Rsp.header, af_frames.DATA_CONFIRM_HEADER]
    finally:
        loop.close()


def test_the_emulator_hands_the_host_an_incoming_frame_alike_either_way(monkeypatch: pytest.MonkeyPatch) -> None:
    loop = asyncio.new_event_loop()
    try:
        frame = AirFrame(0x1234, 1, 0x0000, 1, 0x0109, 0x0702, b"\x08\x07\x01\x00\x00\x00", aps_counter=9, radius=29)
        outcomes = []
        for fast in (True, False):
            if not fast:
                monkeypatch.setattr(af_frames, "incoming_msg", lambda _fields: None)
            emulator, sent = _emulator(loop, fast=True)
            emulator.running = True
            emulator.endpoints[1] = None  # type: ignore[assignment]  # registered: only the key counts
            emulator.receive(frame)
            outcomes.append(([(f.header, bytes(f.data)) for f in sent], emulator.callbacks_sent, emulator.data_to_host))
        assert outcomes[0] == outcomes[1]
        assert outcomes[0][0][0][0] == af_frames.INCOMING_MSG and outcomes[0][2] == 1
    finally:
        loop.close()
