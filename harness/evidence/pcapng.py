"""Write a frame trace as a pcapng capture that Wireshark/tshark dissect as Zigbee.

The coordinator's serial interface reports APS frames, not radio frames: there is no sniffer in
the loop. So each FrameRecord is *reconstructed* as the last-hop frame it would have been on air:

    IEEE 802.15.4 MAC data frame (intra-PAN, short addresses, 2003 frame version, no security)
    + Zigbee NWK data frame (protocol version 2, route discovery suppressed, radius 30)
    + Zigbee APS data frame (unicast, or broadcast for NWK broadcast addresses)
    + the record's APS payload, unchanged (the ZCL frame, or the ZDO frame on endpoint 0).

What is real: APS payload, endpoints, cluster, profile, NWK addresses, IEEE addresses when the
record has them, APS counter when the radio reported one, timestamp, direction. What is made up:
MAC/NWK sequence numbers (one running counter per file), radius, the MAC addresses (taken equal
to the NWK ones, i.e. a single hop), the FCS (computed, so always valid).

Secrets: none. NWK and APS security are off in the reconstruction by design, so the file holds
no network key, link key, frame counter or MIC, and Wireshark needs no key to read it.

Link type: 195 (LINKTYPE_IEEE802_15_4_WITHFCS) with a real CRC-16/KERMIT FCS. It is the link
type of ordinary 802.15.4 sniffer captures, Wireshark dissects it with default preferences, and
the FCS lets tshark verify every frame byte (wpan.fcs_ok) -- a writer bug that shifted a byte
would show as a bad FCS instead of as a plausible but wrong field. (230, NOFCS, dissects the same
but gives tshark nothing to check.)

pcapng layout (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html): one Section
Header Block, one Interface Description Block (if_tsresol = microseconds), one Enhanced Packet
Block per record with epb_flags carrying the direction (TX = outbound, RX = inbound) and a
comment "TX seq=N ...". Everything little-endian; the byte-order magic says so.
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Iterable, Mapping
from pathlib import Path

from harness.radio.trace import Direction, FrameRecord

__all__ = ["LINKTYPE_IEEE802_15_4_WITHFCS", "pcapng_bytes", "write_pcapng"]

USER_APPLICATION = "cot-harness"
LINKTYPE_IEEE802_15_4_WITHFCS = 195

# --- pcapng constants --------------------------------------------------------------------------

BLOCK_SHB = 0x0A0D0D0A
BLOCK_IDB = 0x00000001
BLOCK_EPB = 0x00000006
BYTE_ORDER_MAGIC = 0x1A2B3C4D

OPT_ENDOFOPT = 0
OPT_COMMENT = 1  # valid in every block
SHB_USERAPPL = 4
IDB_NAME = 2
IDB_DESCRIPTION = 3
IDB_TSRESOL = 9  # one octet: 6 = 10^-6 s
EPB_FLAGS = 2  # uint32, bits 0-1: 1 inbound, 2 outbound
EPB_DIRECTION = {Direction.RX: 0b01, Direction.TX: 0b10}

TSRESOL_MICROSECONDS = 6
MAX_PHY_PACKET = 127  # aMaxPHYPacketSize: the whole MPDU, FCS included

# --- header layouts as data --------------------------------------------------------------------
# A frame-control field is a dict name -> (first bit, width); _bits() packs values into it and
# refuses values that do not fit, so a layout mistake fails loudly instead of corrupting a
# neighbouring field. Fixed parts are struct formats listed next to the field names they carry.

BitLayout = Mapping[str, tuple[int, int]]

# IEEE 802.15.4-2006 section 7.2.1.1
MAC_FCF: BitLayout = {
    "frame_type": (0, 3),  # 1 = data
    "security": (3, 1),
    "frame_pending": (4, 1),
    "ack_request": (5, 1),
    "pan_id_compression": (6, 1),  # intra-PAN: the source PAN is omitted
    "dst_addr_mode": (10, 2),  # 2 = short
    "frame_version": (12, 2),  # 0 = 2003, the version Zigbee PRO devices send
    "src_addr_mode": (14, 2),
}
# fcf, sequence, destination PAN, destination short, source short
MAC_HEADER = "<HBHHH"

# Zigbee PRO (05-3474) section 3.3.1.1
NWK_FCF: BitLayout = {
    "frame_type": (0, 2),  # 0 = data
    "protocol_version": (2, 4),  # 2 = Zigbee 2007 / PRO
    "discover_route": (6, 2),  # 0 = suppress
    "multicast": (8, 1),
    "security": (9, 1),
    "source_route": (10, 1),
    # 8-octet IEEE addresses after the sequence number: destination, then source
    "dst_ieee": (11, 1),
    "src_ieee": (12, 1),
    "end_device_initiator": (13, 1),
}
NWK_HEADER = "<HHHBB"  # fcf, destination, source, radius, sequence
NWK_RADIUS = 30

# Zigbee PRO section 2.2.5.1
APS_FCF: BitLayout = {
    "frame_type": (0, 2),  # 0 = data
    "delivery_mode": (2, 2),  # 0 = unicast, 2 = broadcast
    "ack_format": (4, 1),
    "security": (5, 1),
    "ack_request": (6, 1),
    "extended_header": (7, 1),
}
# fcf, destination endpoint, cluster, profile, source endpoint, counter
APS_HEADER = "<BBHHBB"
APS_UNICAST, APS_BROADCAST = 0, 2

MAC_BROADCAST = 0xFFFF
NWK_BROADCAST_MIN = 0xFFF8  # 0xFFF8..0xFFFF are NWK broadcast addresses

SHORT_ADDR_MODE = 2
NWK_HEADER_LEN = struct.calcsize(NWK_HEADER)
FCS_LEN = 2
OVERHEAD = struct.calcsize(MAC_HEADER) + NWK_HEADER_LEN + struct.calcsize(APS_HEADER) + FCS_LEN
IEEE_LEN = 8


def _bits(layout: BitLayout, **values: int) -> int:
    word = 0
    for name, value in values.items():
        shift, width = layout[name]
        if not 0 <= value < 1 << width:
            raise ValueError(f"{name}={value} does not fit in {width} bit(s)")
        word |= value << shift
    return word


def crc16_kermit(data: bytes) -> int:
    """The 802.15.4 FCS: CRC-16/KERMIT (poly 0x1021 reflected, init 0), sent low octet first."""
    crc = 0
    for octet in data:
        crc ^= octet
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc


def _ieee_on_air(ieee: str) -> bytes:
    """'00:11:..:77' (most significant octet first, as displayed) -> 8 octets little-endian."""
    raw = bytes.fromhex(ieee.replace(":", "").replace("-", ""))
    if len(raw) != IEEE_LEN:
        raise ValueError(f"not an EUI-64: {ieee!r}")
    return raw[::-1]


# Record fields that go into fixed-width header fields, with their largest value. Checked up
# front so that a bad record names itself instead of surfacing as a bare struct.error.
RECORD_LIMITS = {
    "src_nwk": 0xFFFF,
    "dst_nwk": 0xFFFF,
    "src_ep": 0xFF,
    "dst_ep": 0xFF,
    "profile_id": 0xFFFF,
    "cluster_id": 0xFFFF,
}


def _check(record: FrameRecord) -> None:
    for name, limit in RECORD_LIMITS.items():
        value = getattr(record, name)
        if not 0 <= value <= limit:
            raise ValueError(f"record {record.seq}: {name}={value:#x} out of range")


def frame_bytes(record: FrameRecord, *, pan_id: int, seq: int, aps_counter: int) -> bytes:
    """One record as an 802.15.4 MPDU with FCS. seq feeds the MAC and NWK sequence numbers."""
    _check(record)
    broadcast = record.dst_nwk >= NWK_BROADCAST_MIN

    # IEEE addresses are optional in the NWK header: keep them while the frame fits in one PHY
    # packet and shed them when it would not. A frame still too long after that is written
    # anyway, oversized and marked so in its packet comment: the payload is the evidence.
    ieee: list[tuple[str, bytes]] = []
    if record.dst_ieee and not broadcast:
        ieee.append(("dst_ieee", _ieee_on_air(record.dst_ieee)))
    if record.src_ieee:
        ieee.append(("src_ieee", _ieee_on_air(record.src_ieee)))
    # The destination's goes first: the source's says who sent the frame, the more useful one.
    room = MAX_PHY_PACKET - OVERHEAD - len(record.payload)
    while ieee and IEEE_LEN * len(ieee) > room:
        ieee.pop(0)
    flags = dict.fromkeys(("dst_ieee", "src_ieee"), 0) | {name: 1 for name, _ in ieee}

    mac = struct.pack(
        MAC_HEADER,
        _bits(
            MAC_FCF,
            frame_type=1,
            ack_request=int(not broadcast),
            pan_id_compression=1,
            dst_addr_mode=SHORT_ADDR_MODE,
            frame_version=0,
            src_addr_mode=SHORT_ADDR_MODE,
        ),
        seq & 0xFF,
        pan_id,
        MAC_BROADCAST if broadcast else record.dst_nwk,
        record.src_nwk,
    )
    # The IEEE addresses follow the fixed part, destination before source (the flags' order).
    nwk = struct.pack(
        NWK_HEADER,
        _bits(NWK_FCF, frame_type=0, protocol_version=2, discover_route=0, **flags),
        record.dst_nwk,
        record.src_nwk,
        NWK_RADIUS,
        seq & 0xFF,
    ) + b"".join(octets for _, octets in ieee)
    aps = struct.pack(
        APS_HEADER,
        _bits(
            APS_FCF,
            frame_type=0,
            delivery_mode=APS_BROADCAST if broadcast else APS_UNICAST,
        ),
        record.dst_ep,
        record.cluster_id,
        record.profile_id,
        record.src_ep,
        aps_counter & 0xFF,
    )
    mpdu = mac + nwk + aps + record.payload
    return mpdu + struct.pack("<H", crc16_kermit(mpdu))


# --- pcapng blocks -----------------------------------------------------------------------------


def _pad4(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 4)


def _options(options: Iterable[tuple[int, bytes]]) -> bytes:
    body = b"".join(struct.pack("<HH", code, len(value)) + _pad4(value) for code, value in options)
    return body + struct.pack("<HH", OPT_ENDOFOPT, 0) if body else b""


def _block(block_type: int, body: bytes) -> bytes:
    body = _pad4(body)
    total = 12 + len(body)  # type, total length, body, total length again
    return struct.pack("<II", block_type, total) + body + struct.pack("<I", total)


def _section_header(comment: str | None) -> bytes:
    options = [(OPT_COMMENT, comment.encode())] if comment else []
    options.append((SHB_USERAPPL, USER_APPLICATION.encode()))
    # version 1.0, section length -1 = not given (lets the writer stream)
    return _block(BLOCK_SHB, struct.pack("<IHHq", BYTE_ORDER_MAGIC, 1, 0, -1) + _options(options))


def _interface(pan_id: int, channel: int | None) -> bytes:
    # pcapng has no standard option for the 802.15.4 channel: say it in the description.
    where = f"channel {channel}, " if channel is not None else ""
    description = f"IEEE 802.15.4 {where}PAN 0x{pan_id:04x}, reconstructed from the coordinator's APS trace"
    options = [
        (IDB_NAME, b"zigbee-reconstructed"),
        (IDB_DESCRIPTION, description.encode()),
        (IDB_TSRESOL, bytes([TSRESOL_MICROSECONDS])),
    ]
    # link type, reserved, snaplen 0 = no limit
    return _block(
        BLOCK_IDB,
        struct.pack("<HHI", LINKTYPE_IEEE802_15_4_WITHFCS, 0, 0) + _options(options),
    )


def _packet(record: FrameRecord, frame: bytes, comment: bool) -> bytes:
    if record.timestamp < 0:
        raise ValueError(f"record {record.seq}: negative timestamp {record.timestamp}")
    # A float holds Unix time in µs exactly (< 2^53): round() recovers the bench's value.
    micros = round(record.timestamp * 1_000_000)
    options = [(EPB_FLAGS, struct.pack("<I", EPB_DIRECTION[record.direction]))]
    if comment:
        text = f"{record.direction.value.upper()} seq={record.seq}"
        if record.lqi is not None:
            text += f" lqi={record.lqi}"
        if record.aps_counter is None:
            text += " aps_counter=synthetic"
        if len(frame) > MAX_PHY_PACKET:
            # zigpy-znp does not fragment: such a record was one APS frame on the serial link
            text += f" oversized={len(frame)}>{MAX_PHY_PACKET}"
        options.append((OPT_COMMENT, text.encode()))
    header = struct.pack("<IIIII", 0, micros >> 32, micros & 0xFFFFFFFF, len(frame), len(frame))
    return _block(BLOCK_EPB, header + _pad4(frame) + _options(options))


def pcapng_bytes(
    records: Iterable[FrameRecord],
    *,
    pan_id: int,
    channel: int | None = None,
    comment: str | None = None,
    packet_comments: bool = True,
) -> bytes:
    """The whole capture in memory: SHB, IDB, one EPB per record in the order given."""
    if not 0 <= pan_id <= 0xFFFE:
        raise ValueError(f"pan_id {pan_id:#x} is not a PAN identifier")
    # The running APS counter is used only for records the radio gave no counter for.
    aps_counters = itertools.count()
    blocks = [_section_header(comment), _interface(pan_id, channel)]
    for seq, record in enumerate(records):
        counter = record.aps_counter if record.aps_counter is not None else next(aps_counters)
        frame = frame_bytes(record, pan_id=pan_id, seq=seq, aps_counter=counter)
        blocks.append(_packet(record, frame, packet_comments))
    return b"".join(blocks)


def write_pcapng(
    records: Iterable[FrameRecord],
    path: Path,
    *,
    pan_id: int,
    channel: int | None = None,
    comment: str | None = None,
    packet_comments: bool = True,
) -> Path:
    """Write the capture to path (parents created) and return path."""
    data = pcapng_bytes(
        records,
        pan_id=pan_id,
        channel=channel,
        comment=comment,
        packet_comments=packet_comments,
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
