"""The emulated stick's stream writes a host chunk's answers at once: the same frames, in
the same order, octet for octet, as one write per frame; and a frame the stick sends on
its own (a callback from the air or a timer) is written at once, as before."""

from __future__ import annotations

import asyncio

import zigpy.types as zt
import zigpy_znp.commands as c
import zigpy_znp.types as t
from zigpy_znp.frames import GeneralFrame, TransportFrame

from harness.sim.air import Air
from harness.sim.clock import VirtualClock
from harness.sim.mt_server import MtStream
from harness.sim.zstack import ZStackEmulator
from tests.stick.conftest import STICK_IEEE


def _request(tsn: int) -> bytes:
    frame = c.AF.DataRequestExt.Req(
        DstAddrModeAddress=t.AddrModeAddress(mode=t.AddrMode.NWK, address=0x1234),
        DstEndpoint=1,
        DstPanId=0x0000,
        SrcEndpoint=1,
        ClusterId=0x0702,
        TSN=tsn,
        Options=c.af.TransmitOptions.NONE,
        Radius=30,
        Data=t.LongBytes(b"\x00\x07\x00\x00\x00"),
    ).to_frame(align=True)
    return TransportFrame(frame).serialize()


def test_a_chunks_answers_are_one_write_of_the_same_octets() -> None:
    loop = asyncio.new_event_loop()
    try:
        clock = VirtualClock()
        emulator = ZStackEmulator(zt.EUI64.convert(STICK_IEEE), Air(loop, clock), clock)
        emulator.running = True
        writes: list[bytes] = []
        stream = MtStream(emulator, writes.append)
        frames: list[GeneralFrame] = []
        reference = ZStackEmulator(zt.EUI64.convert(STICK_IEEE), Air(loop, clock), clock)
        reference.running = True
        reference.connect_host(frames.append)
        chunk = _request(1) + _request(2)
        stream.feed(chunk)
        for tsn in (1, 2):
            reference.handle_frame(TransportFrame.deserialize(_request(tsn))[0].payload)
        assert len(writes) == 1  # two requests, each an SRSP and a DataConfirm: one write
        assert writes[0] == b"".join(TransportFrame(f).serialize() for f in frames)
        assert stream.frames_out == len(frames) == 4
        # Outside a chunk (a callback from the air), each frame is written at once.
        emulator.announce_leave(0x1234, zt.EUI64.convert("00:0d:6f:00:00:00:00:01"), rejoin=True)
        assert len(writes) == 2 and stream.frames_out == 5
    finally:
        loop.close()
