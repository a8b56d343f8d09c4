"""The radio frames a capture is made of: IEEE 802.15.4 MAC data frames and acknowledgements
carrying a Zigbee NWK and APS header, as octets with their FCS, and how long each occupies
the air. Pure: harness.evidence.pcapng numbers, times and writes them.

Layouts: IEEE 802.15.4-2006 7.2.1 (MAC), Zigbee PRO 05-3474 3.3.1 (NWK) and 2.2.5.1 (APS),
each frame-control field declared as data below.
"""

from __future__ import annotations

import binascii
import functools
import operator
import struct
from collections.abc import Mapping

from harness.radio.trace import FrameRecord
from harness.zcl.limits import PHY_MAX_PACKET

MAX_PHY_PACKET = PHY_MAX_PACKET  # aMaxPHYPacketSize: the whole MPDU, FCS included

# --- the air (IEEE 802.15.4-2006, 2.4 GHz O-QPSK PHY) ------------------------------------------

OCTET_US = 32  # 250 kbit/s
PPDU_OVERHEAD = 6  # preamble 4 + SFD 1 + PHR 1
TURNAROUND_US = 192  # aTurnaroundTime, 12 symbols: from a frame's end to its acknowledgement
ACK_LEN = 5  # frame control 2 + sequence 1 + FCS 2


def airtime_us(mpdu_len: int) -> int:
    """How long a frame of this many MPDU octets (FCS included) occupies the air."""
    return (PPDU_OVERHEAD + mpdu_len) * OCTET_US


ACK_AIRTIME_US = airtime_us(ACK_LEN)

# --- header layouts as data --------------------------------------------------------------------
# A frame-control field is a dict name -> (first bit, width); _bits() packs values into it and
# refuses values that do not fit, so a layout mistake fails loudly instead of corrupting a
# neighbouring field. Fixed parts are struct formats listed next to the field names they carry.

BitLayout = Mapping[str, tuple[int, int]]

# IEEE 802.15.4-2006 section 7.2.1.1
MAC_FCF: BitLayout = {
    "frame_type": (0, 3),  # 1 = data, 2 = acknowledgement
    "security": (3, 1),
    "frame_pending": (4, 1),
    "ack_request": (5, 1),
    "pan_id_compression": (6, 1),  # intra-PAN: the source PAN is omitted
    "dst_addr_mode": (10, 2),  # 2 = short
    "frame_version": (12, 2),  # 0 = 2003, the version Zigbee PRO devices send
    "src_addr_mode": (14, 2),
}
MAC_DATA, MAC_ACK = 1, 2
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
BROADCAST_RX_ON_WHEN_IDLE = 0xFFFD

ZDO_PROFILE = 0x0000
DEVICE_ANNCE = 0x0013  # Zigbee PRO 2.4.3.1.11: always broadcast to 0xFFFD

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


# Every frame and every ack is checksummed, so the CRC runs in C: CRC-16/KERMIT is the
# reflected form of CRC-16/XMODEM (same polynomial 0x1021, init 0, no final xor), and a
# reflected CRC equals the plain one over bit-reversed octets, bit-reversed. binascii.crc_hqx
# is XMODEM; bytes.translate reverses the octets' bits (tests/evidence/test_golden_evidence.py
# holds it to a bit-by-bit KERMIT).
_BIT_REVERSED = bytes(int(f"{octet:08b}"[::-1], 2) for octet in range(256))


def crc16_kermit(data: bytes) -> int:
    """The 802.15.4 FCS: CRC-16/KERMIT (poly 0x1021 reflected, init 0), sent low octet first."""
    xmodem = binascii.crc_hqx(data.translate(_BIT_REVERSED), 0)
    return _BIT_REVERSED[xmodem & 0xFF] << 8 | _BIT_REVERSED[xmodem >> 8]


# The frame control fields take a handful of values over a run: worked out (and checked)
# once each instead of bit by bit for every frame.
@functools.cache
def _mac_fcf(broadcast: bool) -> int:
    return _bits(
        MAC_FCF,
        frame_type=MAC_DATA,
        ack_request=int(not broadcast),
        pan_id_compression=1,
        dst_addr_mode=SHORT_ADDR_MODE,
        frame_version=0,
        src_addr_mode=SHORT_ADDR_MODE,
    )


@functools.cache
def _nwk_fcf(dst_ieee: int, src_ieee: int) -> int:
    return _bits(NWK_FCF, frame_type=0, protocol_version=2, discover_route=0, dst_ieee=dst_ieee, src_ieee=src_ieee)


@functools.cache
def _aps_fcf(broadcast: bool) -> int:
    return _bits(APS_FCF, frame_type=0, delivery_mode=APS_BROADCAST if broadcast else APS_UNICAST)


@functools.lru_cache(maxsize=256)  # a run has a few devices: their addresses recur on every frame
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


_RECORD_FIELDS = operator.attrgetter(*RECORD_LIMITS)
_RECORD_MAXIMA = tuple(RECORD_LIMITS.values())


def check_record(record: FrameRecord) -> None:
    # Every frame passes here twice: the usual in-range record costs one pass over the limits
    # (derived from RECORD_LIMITS, so the two cannot drift), and only a bad one is looked at
    # field by field to name what is wrong.
    if all(0 <= value <= limit for value, limit in zip(_RECORD_FIELDS(record), _RECORD_MAXIMA, strict=True)):
        return
    for name, limit in RECORD_LIMITS.items():
        value = getattr(record, name)
        if not 0 <= value <= limit:
            raise ValueError(f"record {record.seq}: {name}={value:#x} out of range")


def on_air_destination(record: FrameRecord) -> int:
    """The NWK destination a sniffer would have seen: the record's, except for Device_annce,
    which the stick reports as addressed to the coordinator."""
    if record.profile_id == ZDO_PROFILE and record.dst_ep == 0 and record.cluster_id == DEVICE_ANNCE:
        return BROADCAST_RX_ON_WHEN_IDLE
    return record.dst_nwk


def frame_bytes(
    record: FrameRecord,
    *,
    pan_id: int,
    aps_counter: int,
    seq: int = 0,
    mac_seq: int | None = None,
    nwk_seq: int | None = None,
    dst_nwk: int | None = None,
) -> bytes:
    """One record as an 802.15.4 MPDU with FCS, addressed to dst_nwk (default: the record's).
    seq feeds the MAC and NWK sequence numbers unless they are given apart."""
    check_record(record)
    mac_seq = seq if mac_seq is None else mac_seq
    nwk_seq = seq if nwk_seq is None else nwk_seq
    destination = record.dst_nwk if dst_nwk is None else dst_nwk
    broadcast = destination >= NWK_BROADCAST_MIN

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
        _mac_fcf(broadcast),
        mac_seq & 0xFF,
        pan_id,
        MAC_BROADCAST if broadcast else destination,
        record.src_nwk,
    )
    # The IEEE addresses follow the fixed part, destination before source (the flags' order).
    nwk = struct.pack(
        NWK_HEADER,
        _nwk_fcf(flags["dst_ieee"], flags["src_ieee"]),
        destination,
        record.src_nwk,
        NWK_RADIUS,
        nwk_seq & 0xFF,
    ) + b"".join(octets for _, octets in ieee)
    aps = struct.pack(
        APS_HEADER,
        _aps_fcf(broadcast),
        record.dst_ep,
        record.cluster_id,
        record.profile_id,
        record.src_ep,
        aps_counter & 0xFF,
    )
    mpdu = mac + nwk + aps + record.payload
    return mpdu + struct.pack("<H", crc16_kermit(mpdu))


def ack_bytes(mac_seq: int) -> bytes:
    """The MAC acknowledgement of the data frame with this DSN (no addresses, no security)."""
    return _ack(mac_seq & 0xFF)


@functools.lru_cache(maxsize=256)  # one per DSN: after every unicast of the run
def _ack(dsn: int) -> bytes:
    mpdu = struct.pack("<HB", _bits(MAC_FCF, frame_type=MAC_ACK), dsn)
    return mpdu + struct.pack("<H", crc16_kermit(mpdu))
