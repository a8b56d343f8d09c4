"""Write a frame trace as a pcapng capture that Wireshark/tshark dissect as Zigbee.

The coordinator's serial interface reports APS frames, not radio frames: there is no sniffer in
the loop. So each FrameRecord is *reconstructed* as the last-hop frame a sniffer next to the
bench would plausibly have seen on air, and every packet says in its comments what of it is
real and what is made up (docs/wire-reference.md, "What the captures show"):

    IEEE 802.15.4 MAC data frame (intra-PAN, short addresses, 2003 frame version)
    + Zigbee NWK data frame (protocol version 2, route discovery suppressed, radius 30)
    + Zigbee APS data frame (unicast, or broadcast for NWK broadcast addresses)
    + the record's APS payload, unchanged (the ZCL frame, or the ZDO frame on endpoint 0)
    + after each unicast, the receiver's MAC acknowledgement (synthetic: the stick does not
      report acknowledgements).

What is real: APS payload, endpoints, cluster, profile, NWK addresses, IEEE addresses when the
record has them, the APS counter when the radio reported one, direction, the order of frames,
and the timestamp unless the packet's comment says it was moved. What is made up, per
transmitting device and continuing across the run's files (RunAir): MAC and NWK sequence
numbers, the APS counter where the radio gave none (the sender's last one plus one); the
radius; the MAC addresses (taken equal to the NWK ones: a single hop); the FCS (computed, so
always valid); the acknowledgements. Device_annce, which the stick reports only as received,
is written as the broadcast to 0xFFFD the Zigbee specification makes it.

Air time: a frame occupies the air for its PPDU (5 octets of preamble and SFD, 1 of PHR,
then the MPDU) at 250 kbit/s, 32 µs an octet; an acknowledgement follows after the
turnaround time (12 symbols, 192 µs). The trace's clock (virtual time in simulation) puts
frames closer together than that, so a frame whose trace time falls inside the previous
frame's air time (or its acknowledgement's) is moved forward just enough, and its comment says
by how much. A timestamp is the start of the frame on air.

Security: on a GB HAN every one of these frames is NWK-secured (security level 5, the network
key) and Smart Energy frames are APS-encrypted with the link key too. The trace holds the
frames as the stick delivers them, decrypted; the reconstruction writes them with security
off and says so on every packet and in the interface description. No network key, link key,
frame counter or MIC is written, and Wireshark needs no key to read the file.

Publish Change of Tenancy: Wireshark 4.x reads its Proposed Tenancy Change Control
byte-swapped (../shared/spec/se-wire-reference.md); each Publish CoT's comment carries the
value as the wire's little-endian octets mean it.

Link type: 195 (LINKTYPE_IEEE802_15_4_WITHFCS) with a real CRC-16/KERMIT FCS. It is the link
type of ordinary 802.15.4 sniffer captures, Wireshark dissects it with default preferences, and
the FCS lets tshark verify every frame byte (wpan.fcs_ok) -- a writer bug that shifted a byte
would show as a bad FCS instead of as a plausible but wrong field. (230, NOFCS, dissects the same
but gives tshark nothing to check.)

The frames' octets and air time are harness.evidence.mpdu's; this module numbers, times,
comments and writes them.

pcapng layout (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html): one Section
Header Block, one Interface Description Block (if_tsresol = microseconds), one Enhanced Packet
Block per frame with epb_flags carrying the direction (TX = outbound, RX = inbound) and its
comments (one opt_comment each): "TX seq=N ..." first, then the security statement, then
whatever else is synthetic about it. Everything little-endian; the byte-order magic says so.
"""

from __future__ import annotations

import dataclasses
import struct
import weakref
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from harness.evidence.mpdu import (
    ACK_AIRTIME_US,
    MAX_PHY_PACKET,
    NWK_BROADCAST_MIN,
    TURNAROUND_US,
    ZDO_PROFILE,
    ack_bytes,
    airtime_us,
    check_record,
    crc16_kermit,
    frame_bytes,
    on_air_destination,
)
from harness.radio.trace import Direction, FrameRecord
from harness.zcl import codec
from harness.zcl.header import header_or_none
from harness.zcl.ids import DEVICE_MANAGEMENT
from harness.zcl.limits import MAX_SECURED_ZCL_FRAME

# The frame builders and air-time figures live in harness.evidence.mpdu; re-exported for the
# callers that took them from here (benchmarks, tests).
__all__ = [
    "ACK_AIRTIME_US",
    "LINKTYPE_IEEE802_15_4_WITHFCS",
    "TURNAROUND_US",
    "RunAir",
    "airtime_us",
    "crc16_kermit",
    "frame_bytes",
    "pcapng_bytes",
    "run_air",
    "write_pcapng",
]

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

# --- the words of the packet comments -----------------------------------------------------------

SECURITY_REMOVED = (
    "security removed: on air NWK-secured (level 5, network key){aps}; reconstructed from the "
    "coordinator's decrypted APS trace, no key in this file"
)
APS_SECURED = " and APS-encrypted (link key, as a GB HAN sends Smart Energy frames)"
# What the stick said of each frame (FrameRecord.aps_secured): received with SecurityUse, or
# sent with AF security; a record that does not say keeps the assumption above.
APS_SECURED_REPORTED = " and APS-secured (link key, AES-CCM* with a 4-octet MIC: the stick reported it so)"
APS_UNSECURED_REPORTED = "; not APS-secured (the stick reported it so)"
APS_KEY_ESTABLISHMENT = "; not APS-secured: Key Establishment (0x0800) runs under NWK security only"
KEY_ESTABLISHMENT_CLUSTER = 0x0800
ACK_SECURITY = "MAC acknowledgement: never secured on air"
SYNTHETIC_ACK = (
    "synthetic MAC ack of DSN {dsn} from 0x{by:04X}: the stick reports no acknowledgements; "
    "written where the unicast before it asks for one{tx}"
)
ACK_ASSUMED = ", not observed (a delivery failure would show in the case's own result)"
DEVICE_ANNCE_NOTE = (
    "destination 0xFFFD: Device_annce is always broadcast (Zigbee PRO 2.4.3.1.11); the stick reports "
    "it only as received by the coordinator"
)
COT_CONTROL_NOTE = (
    "Proposed Tenancy Change Control = 0x{value:08X} (octets {octets} little-endian on the wire; "
    "Wireshark 4.x shows it byte-swapped as 0x{swapped:08X})"
)
COT_SHORT_NOTE = "Publish Change of Tenancy of {length} octets: too short to carry its Proposed Tenancy Change Control"
SHIFTED_NOTE = "timestamp moved +{us} µs: the trace time fell inside the air time of the frame before (or its ack)"
SKIPPED_NOTE = (
    "trace frames seq {first}..{last} came before this case, outside its capture (they are in "
    "whole-run.pcapng): the numbers count them"
)
INTERFACE_NOTE = (
    "IEEE 802.15.4 {where}PAN 0x{pan:04x}, reconstructed from the coordinator's APS trace: NWK and APS "
    "security removed (no key written), MAC/NWK sequence numbers, acknowledgements and moved timestamps "
    "synthetic, as each packet's comments say"
)


# --- the sniffer's view of the run ---------------------------------------------------------------


@dataclasses.dataclass
class RunAir:
    """What a sniffer's view carries from one capture of a run to the next: each device's
    MAC and NWK sequence numbers and APS counter, and when the air is next free.

    Given `history` (the run's trace from a position: FrameTrace.since), it also counts
    the frames that are in no case's capture (the unit's join, the frames between two cases), so a
    device's numbers continue as a sniffer would have seen them. Without it, a capture's
    numbers follow only the frames it holds."""

    history: Callable[[int], Sequence[FrameRecord]] | None = None
    mac_seq: dict[int, int] = dataclasses.field(default_factory=dict)  # short address -> next DSN
    nwk_seq: dict[int, int] = dataclasses.field(default_factory=dict)  # NWK source -> next sequence
    aps_counter: dict[int, int] = dataclasses.field(default_factory=dict)  # APS source -> last counter
    free_at_us: int = 0  # when the previous frame (and its ack) ended on air
    next_seq: int | None = None  # the trace position after the last frame counted

    def catch_up(self, record: FrameRecord) -> tuple[int, int] | None:
        """Count the trace's frames before `record` not yet counted; their seq range, if any."""
        start = 0 if self.next_seq is None else self.next_seq  # the run's first capture: from the join on
        if self.history is None or record.seq <= start:
            return None
        skipped = [r for r in self.history(start) if r.seq < record.seq]
        for between in skipped:
            self.place(between, pan_id=0)  # numbered and timed, not written: any PAN will do
        return (skipped[0].seq, skipped[-1].seq) if skipped else None

    def place(self, record: FrameRecord, *, pan_id: int) -> Placed:
        """Number one frame and put it on air; every frame of the run passes here once, in order."""
        destination = on_air_destination(record)
        source = record.src_nwk
        mac_seq = self.mac_seq.get(source, 0)
        self.mac_seq[source] = (mac_seq + 1) & 0xFF
        nwk_seq = self.nwk_seq.get(source, 0)
        self.nwk_seq[source] = (nwk_seq + 1) & 0xFF
        synthetic = record.aps_counter is None
        if synthetic:
            counter = (self.aps_counter.get(source, -1) + 1) & 0xFF
        else:
            counter = int(record.aps_counter)  # type: ignore[arg-type]
        self.aps_counter[source] = counter
        # A float holds Unix time in µs exactly (< 2^53): round() recovers the bench's value.
        traced_us = round(record.timestamp * 1_000_000)
        start_us = max(traced_us, self.free_at_us)
        unicast = destination < NWK_BROADCAST_MIN
        frame = frame_bytes(
            record, pan_id=pan_id, mac_seq=mac_seq, nwk_seq=nwk_seq, aps_counter=counter, dst_nwk=destination
        )
        placed = Placed(record, frame, destination, mac_seq, counter, synthetic, start_us, start_us - traced_us)
        end_us = start_us + airtime_us(len(frame))
        self.free_at_us = end_us + (TURNAROUND_US + ACK_AIRTIME_US if unicast else 0)
        self.next_seq = record.seq + 1
        return placed


@dataclasses.dataclass(frozen=True)
class Placed:
    """One frame as the sniffer's view numbers and times it."""

    record: FrameRecord
    frame: bytes  # the MPDU with its FCS
    destination: int
    mac_seq: int
    aps_counter: int
    aps_synthetic: bool
    start_us: int
    shifted_us: int

    @property
    def unicast(self) -> bool:
        return self.destination < NWK_BROADCAST_MIN


_RUNS: weakref.WeakKeyDictionary[object, RunAir] = weakref.WeakKeyDictionary()


def run_air(run: object, history: Callable[[int], Sequence[FrameRecord]] | None = None) -> RunAir:
    """The one RunAir of a run (e.g. the session's bench), made on first use."""
    air = _RUNS.get(run)
    if air is None:
        air = _RUNS[run] = RunAir(history=history)
    return air


# --- what a packet says about itself -------------------------------------------------------------


def _cot_control_note(record: FrameRecord) -> str | None:
    """The decoded Proposed Tenancy Change Control of a Publish CoT, Wireshark's misreading named."""
    if record.cluster_id != DEVICE_MANAGEMENT or record.profile_id == ZDO_PROFILE:
        return None
    header = header_or_none(record.payload)
    if header is None or not header.cluster_specific or header.manufacturer_specific:
        return None
    if header.direction is not codec.Direction.TO_CLIENT or header.command_id != 0x00:
        return None
    try:
        fields = codec.decode(record.cluster_id, record.payload).fields
    except codec.ZclDecodeError:
        return COT_SHORT_NOTE.format(length=len(record.payload))
    value = int(fields["proposed_tenancy_change_control"])
    octets = value.to_bytes(4, "little")
    return COT_CONTROL_NOTE.format(value=value, octets=octets.hex(" "), swapped=int.from_bytes(octets, "big"))


def _aps_security(record: FrameRecord) -> str:
    if record.aps_secured:
        return APS_SECURED_REPORTED
    if record.cluster_id == KEY_ESTABLISHMENT_CLUSTER:
        return APS_KEY_ESTABLISHMENT
    if record.aps_secured is False:
        return APS_UNSECURED_REPORTED
    return APS_SECURED


def _data_comments(placed: Placed, frame: bytes, skipped: tuple[int, int] | None) -> list[str]:
    record = placed.record
    first = f"{record.direction.value.upper()} seq={record.seq}"
    if record.lqi is not None:
        first += f" lqi={record.lqi}"
    if placed.aps_synthetic:
        first += " aps_counter=synthetic"
    first += " mac_seq=synthetic nwk_seq=synthetic"
    if len(frame) > MAX_PHY_PACKET:
        # zigpy-znp does not fragment: such a record was one APS frame on the serial link
        first += f" oversized={len(frame)}>{MAX_PHY_PACKET}"
    comments = [first]
    se_frame = record.profile_id != ZDO_PROFILE
    comments.append(SECURITY_REMOVED.format(aps=_aps_security(record) if se_frame else ""))
    if se_frame and len(record.payload) > MAX_SECURED_ZCL_FRAME:
        comments.append(
            f"ZCL frame of {len(record.payload)} octets: more than the {MAX_SECURED_ZCL_FRAME} a secured "
            "unicast has room for (harness.zcl.limits); it would not fit one radio frame on a GB HAN"
        )
    if placed.destination != record.dst_nwk:
        comments.append(DEVICE_ANNCE_NOTE)
    if (note := _cot_control_note(record)) is not None:
        comments.append(note)
    if placed.shifted_us:
        comments.append(SHIFTED_NOTE.format(us=placed.shifted_us))
    if skipped is not None:
        comments.append(SKIPPED_NOTE.format(first=skipped[0], last=skipped[1]))
    return comments


# --- pcapng blocks -----------------------------------------------------------------------------


def _pad4(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 4)


_OPTION_HEADER = struct.Struct("<HH")
_END_OF_OPTIONS = _OPTION_HEADER.pack(OPT_ENDOFOPT, 0)
_BLOCK_HEAD = struct.Struct("<II")
_BLOCK_TAIL = struct.Struct("<I")
_EPB_HEADER = struct.Struct("<IIIII")


def _options(options: Iterable[tuple[int, bytes]]) -> bytes:
    body = b"".join(
        [_OPTION_HEADER.pack(code, len(value)) + value + b"\0" * (-len(value) % 4) for code, value in options]
    )
    return body + _END_OF_OPTIONS if body else b""


def _block(block_type: int, body: bytes) -> bytes:
    body = _pad4(body)
    total = 12 + len(body)  # type, total length, body, total length again
    return _BLOCK_HEAD.pack(block_type, total) + body + _BLOCK_TAIL.pack(total)


def _section_header(comment: str | None) -> bytes:
    options = [(OPT_COMMENT, comment.encode())] if comment else []
    options.append((SHB_USERAPPL, USER_APPLICATION.encode()))
    # version 1.0, section length -1 = not given (lets the writer stream)
    return _block(BLOCK_SHB, struct.pack("<IHHq", BYTE_ORDER_MAGIC, 1, 0, -1) + _options(options))


def _interface(pan_id: int, channel: int | None) -> bytes:
    # pcapng has no standard option for the 802.15.4 channel: say it in the description.
    where = f"channel {channel}, " if channel is not None else ""
    options = [
        (IDB_NAME, b"zigbee-reconstructed"),
        (IDB_DESCRIPTION, INTERFACE_NOTE.format(where=where, pan=pan_id).encode()),
        (IDB_TSRESOL, bytes([TSRESOL_MICROSECONDS])),
    ]
    # link type, reserved, snaplen 0 = no limit
    return _block(
        BLOCK_IDB,
        struct.pack("<HHI", LINKTYPE_IEEE802_15_4_WITHFCS, 0, 0) + _options(options),
    )


# The epb_flags option of each direction, padded: the same few octets on every packet.
_FLAGS_OPTION = {
    direction: _options([(EPB_FLAGS, struct.pack("<I", flags))])[: -len(_END_OF_OPTIONS)]
    for direction, flags in EPB_DIRECTION.items()
}


def _packet(micros: int, direction: Direction, frame: bytes, comments: Sequence[str]) -> bytes:
    options = _FLAGS_OPTION[direction] + _options([(OPT_COMMENT, text.encode()) for text in comments])
    if not comments:
        options += _END_OF_OPTIONS
    header = _EPB_HEADER.pack(0, micros >> 32, micros & 0xFFFFFFFF, len(frame), len(frame))
    return _block(BLOCK_EPB, header + _pad4(frame) + options)


def _packets(placed: Placed, comment: bool, skipped: tuple[int, int] | None) -> list[bytes]:
    """The data frame's block and, after a unicast, its acknowledgement's."""
    record = placed.record
    frame = placed.frame
    blocks = [
        _packet(placed.start_us, record.direction, frame, _data_comments(placed, frame, skipped) if comment else [])
    ]
    if placed.unicast:
        ack_at = placed.start_us + airtime_us(len(frame)) + TURNAROUND_US
        # The receiver acknowledges: the other direction, as seen from the coordinator.
        direction = Direction.RX if record.direction is Direction.TX else Direction.TX
        tx = ACK_ASSUMED if record.direction is Direction.TX else ""
        notes = [SYNTHETIC_ACK.format(dsn=placed.mac_seq, by=placed.destination, tx=tx), ACK_SECURITY]
        blocks.append(_packet(ack_at, direction, ack_bytes(placed.mac_seq), notes if comment else []))
    return blocks


def pcapng_bytes(
    records: Iterable[FrameRecord],
    *,
    pan_id: int,
    channel: int | None = None,
    comment: str | None = None,
    packet_comments: bool = True,
    air: RunAir | None = None,
) -> bytes:
    """The whole capture in memory: SHB, IDB, then each record in the order given (and its
    acknowledgement). `air`: the run's numbering and air time, continued from its previous
    captures (run_air); by default the capture starts afresh."""
    if not 0 <= pan_id <= 0xFFFE:
        raise ValueError(f"pan_id {pan_id:#x} is not a PAN identifier")
    air = air if air is not None else RunAir()
    blocks = [_section_header(comment), _interface(pan_id, channel)]
    for n, record in enumerate(records):
        check_record(record)
        if record.timestamp < 0:
            raise ValueError(f"record {record.seq}: negative timestamp {record.timestamp}")
        skipped = air.catch_up(record) if n == 0 else None
        blocks += _packets(air.place(record, pan_id=pan_id), packet_comments, skipped)
    return b"".join(blocks)


def write_pcapng(
    records: Iterable[FrameRecord],
    path: Path,
    *,
    pan_id: int,
    channel: int | None = None,
    comment: str | None = None,
    packet_comments: bool = True,
    air: RunAir | None = None,
) -> Path:
    """Write the capture to path (parents created) and return path."""
    data = pcapng_bytes(
        records,
        pan_id=pan_id,
        channel=channel,
        comment=comment,
        packet_comments=packet_comments,
        air=air,
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
