"""AF's per-frame MT layouts on raw octets: the data path without zigpy-znp's command objects.

Every ZCL frame the harness sends is an AF.DataRequestExt in, its SRSP and AF.DataConfirm
out; every frame it receives an AF.IncomingMsg out. Building and parsing those through
zigpy-znp's command objects (validated per field, both ways) was the largest per-frame cost
of the emulated stick. The layouts are zigpy_znp/commands/af.py's, declared here as data
(field name, struct code); tests/stick/test_af_fast_path.py proves each one octet for octet
against zigpy-znp's own serialisation. Anything off the hot path (another address mode,
trailing octets, a value out of range) is not handled here: the caller falls back to the
command objects, so an odd frame is answered exactly as before.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

import zigpy_znp.commands as c
import zigpy_znp.types as t
from zigpy_znp.frames import GeneralFrame

# (field, struct code), little-endian as MT is; a length-prefixed Data sits between parts.
DATA_REQUEST_EXT_HEAD = (
    ("DstAddrMode", "B"),
    ("DstAddress", "8s"),  # NWK in its first two octets for every mode but IEEE
    ("DstEndpoint", "B"),
    ("DstPanId", "H"),
    ("SrcEndpoint", "B"),
    ("ClusterId", "H"),
    ("TSN", "B"),
    ("Options", "B"),
    ("Radius", "B"),
    ("DataLength", "H"),  # LongBytes: a uint16 length, then the octets
)
DATA_CONFIRM = (("Status", "B"), ("Endpoint", "B"), ("TSN", "B"))
STATUS_RSP = (("Status", "B"),)
INCOMING_MSG_HEAD = (
    ("GroupId", "H"),
    ("ClusterId", "H"),
    ("SrcAddr", "H"),
    ("SrcEndpoint", "B"),
    ("DstEndpoint", "B"),
    ("WasBroadcast", "B"),
    ("LQI", "B"),
    ("SecurityUse", "B"),
    ("TimeStamp", "I"),
    ("TSN", "B"),
    ("DataLength", "B"),  # ShortBytes: a uint8 length, then the octets
)
INCOMING_MSG_TAIL = (("MacSrcAddr", "H"), ("MsgResultRadius", "B"))


def _layout(fields: tuple[tuple[str, str], ...]) -> struct.Struct:
    return struct.Struct("<" + "".join(code for _name, code in fields))


_REQUEST_EXT = _layout(DATA_REQUEST_EXT_HEAD)
_CONFIRM = _layout(DATA_CONFIRM)
_STATUS = _layout(STATUS_RSP)
_INCOMING_HEAD = _layout(INCOMING_MSG_HEAD)
_INCOMING_TAIL = _layout(INCOMING_MSG_TAIL)
ADDR_MODE_NWK = 0x02  # zigpy_znp.types.AddrMode.NWK

DATA_REQUEST_EXT = c.AF.DataRequestExt.Req.header
DATA_REQUEST_EXT_RSP = c.AF.DataRequestExt.Rsp.header
DATA_CONFIRM_HEADER = c.AF.DataConfirm.Callback.header
INCOMING_MSG = c.AF.IncomingMsg.Callback.header


class NwkDataRequest(NamedTuple):
    """The fields of an AF.DataRequestExt to an NWK address that the stick acts on."""

    dst_nwk: int
    dst_ep: int
    src_ep: int
    cluster: int
    tsn: int
    options: int
    data: bytes


def parse_nwk_data_request(payload: bytes) -> NwkDataRequest | None:
    """An AF.DataRequestExt's payload addressed by NWK, or None for anything else."""
    head = _REQUEST_EXT.size
    if len(payload) < head:
        return None
    mode, address, dst_ep, _pan, src_ep, cluster, tsn, options, _radius, length = _REQUEST_EXT.unpack_from(payload)
    if mode != ADDR_MODE_NWK or len(payload) != head + length:
        return None
    dst_nwk = address[0] | address[1] << 8
    return NwkDataRequest(dst_nwk, dst_ep, src_ep, cluster, tsn, options, payload[head:])


def status_payload(status: int) -> bytes:
    """AF.DataRequestExt's SRSP payload (its header is DATA_REQUEST_EXT_RSP)."""
    return _STATUS.pack(status)


def data_confirm(status: int, endpoint: int, tsn: int) -> GeneralFrame:
    return GeneralFrame(DATA_CONFIRM_HEADER, _CONFIRM.pack(status, endpoint, tsn))


class IncomingFields(NamedTuple):
    """What the coordinator's radio tells the host of a frame it received."""

    cluster: int
    src_nwk: int
    src_ep: int
    dst_ep: int
    broadcast: bool
    lqi: int
    secured: bool
    timestamp: int
    tsn: int
    data: bytes
    radius: int


def incoming_msg(f: IncomingFields) -> GeneralFrame | None:
    """AF.IncomingMsg on raw octets, or None when a value does not fit its field (then
    `incoming_msg_command` says so, as the command objects always did)."""
    if len(f.data) > 0xFF:
        return None
    try:
        head = _INCOMING_HEAD.pack(
            0x0000,
            f.cluster,
            f.src_nwk,
            f.src_ep,
            f.dst_ep,
            f.broadcast,
            f.lqi,
            f.secured,
            f.timestamp,
            f.tsn,
            len(f.data),
        )
        tail = _INCOMING_TAIL.pack(f.src_nwk, f.radius)
    except struct.error:
        return None
    return GeneralFrame(INCOMING_MSG, head + f.data + tail)


def incoming_msg_command(f: IncomingFields) -> c.AF.IncomingMsg.Callback:
    """AF.IncomingMsg as zigpy-znp's command object (MacSrcAddr: the sender, one hop)."""
    return c.AF.IncomingMsg.Callback(
        GroupId=0x0000,
        ClusterId=f.cluster,
        SrcAddr=f.src_nwk,
        SrcEndpoint=f.src_ep,
        DstEndpoint=f.dst_ep,
        WasBroadcast=f.broadcast,
        LQI=f.lqi,
        SecurityUse=f.secured,
        TimeStamp=f.timestamp,
        TSN=f.tsn,
        Data=t.ShortBytes(f.data),
        MacSrcAddr=f.src_nwk,
        MsgResultRadius=f.radius,
    )
