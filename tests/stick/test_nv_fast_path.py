"""The raw-bytes NV path answers exactly as the command handlers do.

NVLength, NVRead and NVWrite are answered from the frame's bytes (zigpy-znp sends them by
the thousand when it walks the real-size tables); every request here, well-formed or not,
must get the same response frame and leave the same NV as through zigpy-znp's command
objects and the ordinary handlers.
"""

from __future__ import annotations

import asyncio

import pytest
import zigpy.types as zt
import zigpy_znp.commands as c
import zigpy_znp.types as t
from zigpy_znp.frames import GeneralFrame
from zigpy_znp.types.nvids import ExNvIds, NvSysIds

from harness.sim.air import Air
from harness.sim.clock import VirtualClock
from harness.sim.zstack import ZStackEmulator
from tests.stick.conftest import STICK_IEEE

Z = NvSysIds.ZSTACK
TCLK = ExNvIds.TCLK_TABLE

REQUESTS = [
    c.SYS.NVLength.Req(SysId=Z, ItemId=TCLK, SubId=0),
    c.SYS.NVLength.Req(SysId=Z, ItemId=TCLK, SubId=199),
    c.SYS.NVLength.Req(SysId=Z, ItemId=TCLK, SubId=200),  # one past the table: length 0
    c.SYS.NVLength.Req(SysId=Z, ItemId=ExNvIds.ADDRMGR, SubId=0),  # not before formation
    c.SYS.NVRead.Req(SysId=Z, ItemId=TCLK, SubId=3, Offset=0, Length=20),
    c.SYS.NVRead.Req(SysId=Z, ItemId=TCLK, SubId=3, Offset=8, Length=4),
    c.SYS.NVRead.Req(SysId=Z, ItemId=TCLK, SubId=3, Offset=20, Length=20),  # at the end: empty
    c.SYS.NVRead.Req(SysId=Z, ItemId=TCLK, SubId=3, Offset=21, Length=20),  # past the end
    c.SYS.NVRead.Req(SysId=Z, ItemId=TCLK, SubId=900, Offset=0, Length=20),  # missing
    c.SYS.NVWrite.Req(SysId=Z, ItemId=TCLK, SubId=5, Offset=0, Value=t.ShortBytes(bytes(range(20)))),
    c.SYS.NVWrite.Req(SysId=Z, ItemId=TCLK, SubId=6, Offset=16, Value=t.ShortBytes(b"\x01\x02\x03\x04")),
    c.SYS.NVWrite.Req(SysId=Z, ItemId=TCLK, SubId=7, Offset=17, Value=t.ShortBytes(b"\x01\x02\x03\x04")),  # too long
    c.SYS.NVWrite.Req(SysId=Z, ItemId=TCLK, SubId=901, Offset=0, Value=t.ShortBytes(b"\x01")),  # missing
]


def _emulator(loop: asyncio.AbstractEventLoop) -> tuple[ZStackEmulator, list[GeneralFrame]]:
    clock = VirtualClock()
    emulator = ZStackEmulator(zt.EUI64.convert(STICK_IEEE), Air(loop, clock), clock)
    sent: list[GeneralFrame] = []
    emulator.connect_host(sent.append)
    return emulator, sent


@pytest.mark.parametrize("request_", REQUESTS, ids=lambda r: f"{type(r).__qualname__}:{r.as_dict()}")
def test_raw_and_command_paths_answer_alike(request_: t.CommandBase) -> None:
    loop = asyncio.new_event_loop()
    try:
        fast, fast_sent = _emulator(loop)
        slow, slow_sent = _emulator(loop)
        assert type(request_).header in fast._raw_handlers  # the raw path answers it
        fast.handle_frame(request_.to_frame(align=True))
        handler = slow._handlers[type(request_)]
        slow._emit(handler(type(request_).from_frame(request_.to_frame(align=True), align=True)), first=True)
        assert len(fast_sent) == 1 and fast_sent[0].header == slow_sent[0].header
        assert bytes(fast_sent[0].data) == bytes(slow_sent[0].data), (fast_sent[0], slow_sent[0])
        assert fast.nvram.ex == slow.nvram.ex
        assert fast.served[type(request_).__qualname__] == 1 and not fast.faults
    finally:
        loop.close()


@pytest.mark.parametrize(
    "request_",
    [REQUESTS[0], REQUESTS[4], REQUESTS[9]],
    ids=lambda r: type(r).__qualname__,
)
def test_a_malformed_request_is_left_to_the_command_path(request_: t.CommandBase) -> None:
    """One byte short or long: the raw path declines (None) rather than guess."""
    loop = asyncio.new_event_loop()
    try:
        emulator, _sent = _emulator(loop)
        _name, _response, raw = emulator._raw_handlers[type(request_).header]
        data = bytes(request_.to_frame(align=True).data)
        assert raw(data) is not None
        assert raw(data[:-1]) is None and raw(data + b"\x00") is None
    finally:
        loop.close()
