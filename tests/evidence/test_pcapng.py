"""The pcapng writer, checked against an independent reader: tshark's Zigbee dissectors.

Every field written is read back through tshark and compared with the record it came from.
The frames: the RTDS vectors of ../shared/vectors, a ZDO Node_Desc_req/rsp pair and a Basic
Read Attributes on the Smart Energy profile. Each unicast is followed by its (synthetic) MAC
acknowledgement: the tests of the data frames read them alone (DATA_FRAMES).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import struct
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from harness.evidence.pcapng import (
    ACK_AIRTIME_US,
    LINKTYPE_IEEE802_15_4_WITHFCS,
    TURNAROUND_US,
    RunAir,
    airtime_us,
    pcapng_bytes,
    write_pcapng,
)
from harness.radio.trace import Direction, FrameRecord

VECTORS = Path(__file__).resolve().parents[1] / "vectors"  # the copy of ../shared/vectors
TSHARK = shutil.which("tshark")
NO_TSHARK = "tshark not installed: apt-get install tshark"
needs_tshark = pytest.mark.skipif(TSHARK is None, reason=NO_TSHARK)
DATA_FRAMES, ACKS = "wpan.frame_type == 1", "wpan.frame_type == 2"
SECURITY = "security removed: on air NWK-secured (level 5, network key)"

PAN_ID = 0x1A62
COORD, IHD = 0x0000, 0x1234
COORD_IEEE, IHD_IEEE = "00:12:4b:00:01:02:03:04", "00:0d:6f:00:0a:0b:0c:0d"
SE_PROFILE, ZDO_PROFILE = 0x0109, 0x0000
T0 = 1_700_000_000.123456  # µs fractions on purpose: the file must keep them
ZCL_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
BLOCK_SHB, BLOCK_IDB, BLOCK_EPB = 0x0A0D0D0A, 1, 6

# tshark's expert severities (epan/proto.h PI_*); packet comments show up as PI_COMMENT.
PI_COMMENT, PI_WARN, PI_ERROR = 0x00100000, 0x00600000, 0x00800000

DM = "zbee_zcl_se.device_management.publish_change_of_tenancy."
MSG = "zbee_zcl_se.msg."
# fmt: off
FIELDS = [
    "frame.time_epoch", "frame.protocols", "frame.packet_flags_direction", "frame.comment",
    "_ws.malformed", "_ws.expert.severity",
    "wpan.fcs_ok", "wpan.dst_pan", "wpan.src16", "wpan.dst16", "wpan.seq_no",
    "zbee_nwk.src", "zbee_nwk.dst", "zbee_nwk.src64", "zbee_nwk.dst64",
    "zbee_nwk.radius", "zbee_nwk.seqno", "zbee_nwk.proto_version",
    "zbee_aps.src", "zbee_aps.dst", "zbee_aps.cluster", "zbee_aps.zdp_cluster",
    "zbee_aps.profile", "zbee_aps.counter", "zbee_aps.delivery",
    "zbee_zcl.cmd.tsn", "zbee_zcl.cmd.id", "zbee_zcl.cmd.id.rsp", "zbee_zcl.attr.status",
    "zbee_zcl_general.basic.attr_id", "zbee_zdp.seqno", "zbee_zdp.nwk_addr",
    "zbee_zcl_se.device_management.cmd.srv_tx.id",
    DM + "provider_id", DM + "issuer_event_id", DM + "tariff_type",
    DM + "implementation_date", DM + "proposed_tenancy_change_control",
    DM + "proposed_tenancy_change_control.clear_ihd_data_consumer",
    MSG + "cmd.srv_tx.id", MSG + "message.id", MSG + "message.ctrl",
    MSG + "message.start_time", MSG + "message.duration", MSG + "message",
]
# fmt: on


def vector(name: str) -> bytes:
    return bytes.fromhex((VECTORS / name).read_text())


def record(
    seq: int,
    direction: Direction,
    cluster: int,
    payload: bytes,
    *,
    zdo: bool = False,
    ieee: tuple[str | None, str | None] = (None, None),  # (coordinator, IHD)
    **extra: int,
) -> FrameRecord:
    """A frame between coordinator ep 9 and IHD ep 1 (SE profile), or ep 0 and 0 (ZDO)."""
    tx = direction is Direction.TX
    local, remote = (0, 0) if zdo else (9, 1)
    coord_ieee, ihd_ieee = ieee
    return FrameRecord(
        seq=seq,
        timestamp=T0 + seq * 0.250001,
        direction=direction,
        src_nwk=COORD if tx else IHD,
        src_ep=local if tx else remote,
        dst_nwk=IHD if tx else COORD,
        dst_ep=remote if tx else local,
        profile_id=ZDO_PROFILE if zdo else SE_PROFILE,
        cluster_id=cluster,
        payload=payload,
        src_ieee=coord_ieee if tx else ihd_ieee,
        dst_ieee=ihd_ieee if tx else coord_ieee,
        **extra,  # type: ignore[arg-type]
    )


BOTH = (COORD_IEEE, IHD_IEEE)
NODE_DESC_REQ = bytes.fromhex("07 3412")  # TSN, NWKAddrOfInterest
# TSN, status, NWKAddrOfInterest, then the 13-octet node descriptor of a router
NODE_DESC_RSP = bytes.fromhex("07 00 3412 01 40 8e 5f11 52 5200 002c 5200 00")
# Read Attributes ManufacturerName (0x0004), ModelIdentifier (0x0005)
READ_BASIC = bytes.fromhex("00 05 00 0400 0500")


@pytest.fixture(scope="module")
def records() -> list[FrameRecord]:
    cot, dr = vector("gcs09_publish_cot.hex"), vector("gcs09_default_response.hex")
    message = vector("gcs07_display_message.hex")
    return [
        record(0, Direction.TX, 0x0708, cot, ieee=BOTH, aps_counter=0x41),
        record(1, Direction.RX, 0x0708, dr, ieee=BOTH, aps_counter=0x90, lqi=180),
        record(2, Direction.TX, 0x0703, message, ieee=BOTH),  # no counter: synthetic
        record(3, Direction.TX, 0x0002, NODE_DESC_REQ, zdo=True),
        record(4, Direction.RX, 0x8002, NODE_DESC_RSP, zdo=True, ieee=(None, IHD_IEEE)),
        record(5, Direction.TX, 0x0000, READ_BASIC, aps_counter=0x42),
    ]


def tshark_rows(path: Path, fields: list[str], display_filter: str | None = None) -> list[dict[str, str]]:
    """One dict per packet: field name -> tshark's text ('' when absent, ',' between repeats)."""
    assert TSHARK is not None
    args = [TSHARK, "-r", str(path), "-T", "fields", "-E", "separator=/t"]
    if display_filter:
        args += ["-Y", display_filter]
    for field in fields:
        args += ["-e", field]
    # Absolute-time fields print as text: pin the zone so parsing them cannot drift.
    env = {**os.environ, "TZ": "UTC"}
    done = subprocess.run(args, capture_output=True, text=True, check=False, env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    return [dict(zip(fields, line.split("\t"), strict=True)) for line in lines]


def num(text: str) -> int:
    """tshark prints integers as 0x.. or decimal depending on the field's display base."""
    return int(text, 0)


@pytest.fixture(scope="module")
def rows(records: list[FrameRecord], tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, str]]:
    if TSHARK is None:
        pytest.skip(NO_TSHARK)
    path = tmp_path_factory.mktemp("pcap") / "run.pcapng"
    write_pcapng(records, path, pan_id=PAN_ID, channel=11, comment="GCS09 test run")
    result = tshark_rows(path, FIELDS, DATA_FRAMES)
    assert len(result) == len(records)
    return result


# --- file structure, no tshark needed ----------------------------------------------------


def walk_blocks(data: bytes) -> list[tuple[int, bytes]]:
    """(block type, body) of each block; checks both length words of every block."""
    blocks, offset = [], 0
    while offset < len(data):
        block_type, total = struct.unpack_from("<II", data, offset)
        assert total % 4 == 0 and total >= 12
        assert struct.unpack_from("<I", data, offset + total - 4)[0] == total
        blocks.append((block_type, data[offset + 8 : offset + total - 4]))
        offset += total
    assert offset == len(data)
    return blocks


def epb_frames(data: bytes) -> list[bytes]:
    """The packet data of each Enhanced Packet Block (captured length at body offset 12)."""
    return [
        body[20 : 20 + struct.unpack_from("<I", body, 12)[0]] for kind, body in walk_blocks(data) if kind == BLOCK_EPB
    ]


def test_section_header_and_interface(records: list[FrameRecord]) -> None:
    data = pcapng_bytes(records, pan_id=PAN_ID, comment="c")
    assert struct.unpack_from("<I", data, 0)[0] == BLOCK_SHB
    assert struct.unpack_from("<I", data, 8)[0] == 0x1A2B3C4D  # byte-order magic
    blocks = walk_blocks(data)
    kinds = [kind for kind, _ in blocks]
    # every record is a unicast: its data frame, then its acknowledgement
    assert kinds == [BLOCK_SHB, BLOCK_IDB] + [BLOCK_EPB] * 2 * len(records)
    shb, idb = blocks[0][1], blocks[1][1]
    assert struct.unpack_from("<HH", shb, 4) == (1, 0)  # pcapng 1.0
    assert b"cot-harness" in shb
    assert struct.unpack_from("<H", idb, 0)[0] == LINKTYPE_IEEE802_15_4_WITHFCS
    assert struct.pack("<HHB", 9, 1, 6) in idb  # if_tsresol = 10^-6 s
    assert b"security removed (no key written)" in idb  # the interface says what the packets lack


def test_empty_trace_is_a_valid_file(tmp_path: Path) -> None:
    path = write_pcapng([], tmp_path / "empty.pcapng", pan_id=PAN_ID)
    kinds = [kind for kind, _ in walk_blocks(path.read_bytes())]
    assert kinds == [BLOCK_SHB, BLOCK_IDB]
    if TSHARK is None:
        pytest.skip(NO_TSHARK)
    assert tshark_rows(path, ["frame.number"]) == []


def test_ieee_addresses_are_shed_before_a_frame_outgrows_one_phy_packet() -> None:
    # 127 octets = 27 of MAC/NWK/APS headers and FCS + 84 of payload + 2 x 8 of IEEE
    fits = record(0, Direction.TX, 0x0703, b"\x09" * 84, ieee=BOTH)
    tight = record(1, Direction.TX, 0x0703, b"\x09" * 92, ieee=BOTH)
    frames = epb_frames(pcapng_bytes([fits, tight], pan_id=PAN_ID))[::2]  # without the acks
    assert [len(frame) for frame in frames] == [127, 127]
    # NWK frame control follows the 9-octet MAC header; bits 11/12 = dst/src IEEE present
    fcfs = [struct.unpack_from("<H", frame, 9)[0] for frame in frames]
    assert [(fcf >> 11 & 1, fcf >> 12 & 1) for fcf in fcfs] == [(1, 1), (0, 1)]


# --- read back through tshark ------------------------------------------------------------


@needs_tshark
def test_layers_and_no_dissector_complaints(rows: list[dict[str, str]]) -> None:
    for row in rows:
        assert row["_ws.malformed"] == ""
        # link type 195: tshark recomputed the CRC-16 over every byte written and agrees
        assert row["wpan.fcs_ok"] == "1"
        # nothing at Warning or above; the Comments are the packet comments themselves
        assert {int(s) for s in row["_ws.expert.severity"].split(",")} == {PI_COMMENT}
    stacks = [row["frame.protocols"] for row in rows]
    assert all(stack.startswith("wpan:zbee_nwk:zbee_aps:") for stack in stacks)
    assert stacks[0].endswith(":zbee_zcl:zbee_zcl_se.dm")
    assert stacks[1].endswith(":zbee_zcl")  # Default Response: a global command
    assert stacks[2].endswith(":zbee_zcl:zbee_zcl_se.msg")
    assert stacks[3].endswith(":zbee_zdp") and stacks[4].endswith(":zbee_zdp")
    assert stacks[5].endswith(":zbee_zcl")


@needs_tshark
def test_without_packet_comments_there_is_no_expert_info_at_all(records: list[FrameRecord], tmp_path: Path) -> None:
    path = tmp_path / "quiet.pcapng"
    write_pcapng(records, path, pan_id=PAN_ID, packet_comments=False)
    fields = ["_ws.expert.severity", "_ws.malformed", "frame.comment"]
    assert tshark_rows(path, fields) == [dict.fromkeys(fields, "")] * 2 * len(records)  # and the acks


@needs_tshark
def test_malformed_check_can_fail(tmp_path: Path) -> None:
    """Negative control: a Publish CoT cut short is flagged, so the checks above can fail."""
    short = record(0, Direction.TX, 0x0708, vector("gcs09_publish_cot.hex")[:12])
    path = write_pcapng([short], tmp_path / "bad.pcapng", pan_id=PAN_ID)
    (row,) = tshark_rows(path, ["_ws.malformed", "_ws.expert.severity"], DATA_FRAMES)
    assert row["_ws.malformed"] != ""
    assert str(PI_ERROR) in row["_ws.expert.severity"].split(",")


@needs_tshark
def test_addresses_endpoints_cluster_profile(records: list[FrameRecord], rows: list[dict[str, str]]) -> None:
    sent: dict[int, int] = {}  # frames each device has sent so far
    for rec, row in zip(records, rows, strict=True):
        assert num(row["wpan.dst_pan"]) == PAN_ID
        assert num(row["wpan.src16"]) == num(row["zbee_nwk.src"]) == rec.src_nwk
        assert num(row["wpan.dst16"]) == num(row["zbee_nwk.dst"]) == rec.dst_nwk
        # MAC and NWK sequence numbers count each device's own frames
        assert num(row["wpan.seq_no"]) == num(row["zbee_nwk.seqno"]) == sent.get(rec.src_nwk, 0)
        sent[rec.src_nwk] = sent.get(rec.src_nwk, 0) + 1
        assert num(row["zbee_nwk.proto_version"]) == 2
        assert num(row["zbee_nwk.radius"]) == 30
        assert row["zbee_nwk.src64"] == (rec.src_ieee or "")
        assert row["zbee_nwk.dst64"] == (rec.dst_ieee or "")
        assert num(row["zbee_aps.src"]) == rec.src_ep
        assert num(row["zbee_aps.dst"]) == rec.dst_ep
        assert num(row["zbee_aps.profile"]) == rec.profile_id
        assert num(row["zbee_aps.delivery"]) == 0  # unicast
        # tshark files a ZDO frame's cluster under another field name
        zdo = rec.profile_id == ZDO_PROFILE
        cluster = row["zbee_aps.zdp_cluster" if zdo else "zbee_aps.cluster"]
        assert num(cluster) == rec.cluster_id
        outbound = rec.direction is Direction.TX
        assert num(row["frame.packet_flags_direction"]) == (2 if outbound else 1)
        assert row["frame.comment"].startswith(f"{rec.direction.upper()} seq={rec.seq}")
    # the radio's APS counter when given, else the sender's last one plus one
    assert [num(row["zbee_aps.counter"]) for row in rows] == [0x41, 0x90, 0x42, 0x43, 0x91, 0x42]
    assert all(SECURITY in row["frame.comment"] for row in rows)
    assert "lqi=180" in rows[1]["frame.comment"]


@needs_tshark
def test_transaction_sequence_numbers(records: list[FrameRecord], rows: list[dict[str, str]]) -> None:
    for rec, row in zip(records, rows, strict=True):
        if rec.profile_id == ZDO_PROFILE:
            assert num(row["zbee_zdp.seqno"]) == rec.payload[0]
            assert num(row["zbee_zdp.nwk_addr"]) == IHD  # NWKAddrOfInterest
            assert row["zbee_zcl.cmd.tsn"] == ""
        else:
            assert rec.payload[0] & 0x04 == 0  # no manufacturer code: TSN is octet 1
            assert num(row["zbee_zcl.cmd.tsn"]) == rec.payload[1]


@needs_tshark
def test_timestamps_to_the_microsecond(records: list[FrameRecord], rows: list[dict[str, str]]) -> None:
    for rec, row in zip(records, rows, strict=True):
        shown = Decimal(row["frame.time_epoch"])  # exact: no float on tshark's side
        assert shown == Decimal(round(rec.timestamp * 1_000_000)) / 1_000_000
        assert abs(float(shown) - rec.timestamp) < 1e-6


@needs_tshark
def test_publish_change_of_tenancy_fields(rows: list[dict[str, str]]) -> None:
    wire = vector("gcs09_publish_cot.hex")
    provider, issuer, tariff, implemented, control = struct.unpack("<IIBII", wire[3:])
    assert control == 0x00000200  # RTDS: Clear IHD Data - Consumer (bit 9)
    row = rows[0]
    assert num(row["zbee_zcl_se.device_management.cmd.srv_tx.id"]) == 0x00
    assert num(row[DM + "provider_id"]) == provider
    assert num(row[DM + "issuer_event_id"]) == issuer == 0x1C374A80
    assert num(row[DM + "tariff_type"]) == tariff
    # an FT_ABSOLUTE_TIME, printed like "Nov 22, 2016 02:46:56.000000000 UTC"
    shown = row[DM + "implementation_date"]
    assert shown.endswith(" UTC")
    when = dt.datetime.strptime(shown.split(".")[0], "%b %d, %Y %H:%M:%S")
    assert when.replace(tzinfo=dt.UTC) == ZCL_EPOCH + dt.timedelta(seconds=implemented)
    # Known dissector defect (se-wire-reference.md; tshark 4.0.x and Wireshark's current
    # source): the Proposed Tenancy Change Control is read big-endian, so the wire's
    # 00 02 00 00 (little-endian 0x00000200) shows as 0x00020000 and Clear IHD Data -
    # Consumer as False. The file carries the vector's bytes unchanged (the FCS check above
    # proves it); only the dissector's reading is byte-swapped, so compare swapped.
    swapped = int.from_bytes(wire[-4:], "big")
    assert swapped == 0x00020000 != control
    assert num(row[DM + "proposed_tenancy_change_control"]) == swapped
    assert row[DM + "proposed_tenancy_change_control.clear_ihd_data_consumer"] == "0"
    # ... and the packet's comment says what the wire means, so an engineer is not misled
    assert "Proposed Tenancy Change Control = 0x00000200 (octets 00 02 00 00" in row["frame.comment"]
    assert "byte-swapped as 0x00020000" in row["frame.comment"]


@needs_tshark
def test_default_response_fields(rows: list[dict[str, str]]) -> None:
    _fc, _tsn, command, answered, status = vector("gcs09_default_response.hex")
    row = rows[1]
    assert num(row["zbee_zcl.cmd.id"]) == command == 0x0B
    assert num(row["zbee_zcl.cmd.id.rsp"]) == answered
    assert num(row["zbee_zcl.attr.status"]) == status


@needs_tshark
def test_display_message_fields(rows: list[dict[str, str]]) -> None:
    wire = vector("gcs07_display_message.hex")
    message_id, control, start, duration, length = struct.unpack_from("<IBIHB", wire, 3)
    row = rows[2]
    assert num(row[MSG + "cmd.srv_tx.id"]) == 0x00
    assert num(row[MSG + "message.id"]) == message_id
    assert num(row[MSG + "message.ctrl"]) == control
    assert num(row[MSG + "message.start_time"]) == start == 0
    assert num(row[MSG + "message.duration"]) == duration == 0xFFFF
    assert row[MSG + "message"] == wire[15 : 15 + length].decode() == "Reset"


@needs_tshark
def test_basic_read_attributes_on_se_profile(rows: list[dict[str, str]]) -> None:
    row = rows[5]
    assert num(row["zbee_zcl.cmd.id"]) == 0x00
    # tshark chose the Basic cluster dissector from the cluster id although the profile is
    # SE: the attribute ids land in that cluster's own field.
    wanted = list(struct.unpack("<2H", READ_BASIC[3:]))
    assert [num(a) for a in row["zbee_zcl_general.basic.attr_id"].split(",")] == wanted


@needs_tshark
def test_broadcast_is_written_as_broadcast(tmp_path: Path) -> None:
    """A ZDO broadcast (to 0xFFFC) goes to MAC 0xFFFF with APS broadcast delivery."""
    permit_join = FrameRecord(
        seq=0,
        timestamp=T0,
        direction=Direction.TX,
        src_nwk=COORD,
        src_ep=0,
        dst_nwk=0xFFFC,
        dst_ep=0,
        profile_id=ZDO_PROFILE,
        cluster_id=0x0036,
        payload=bytes.fromhex("01 3c 00"),
        dst_ieee=IHD_IEEE,
    )
    path = write_pcapng([permit_join], tmp_path / "bc.pcapng", pan_id=PAN_ID)
    fields = ["wpan.dst16", "zbee_nwk.dst", "zbee_nwk.dst64", "zbee_aps.delivery"]
    (row,) = tshark_rows(path, [*fields, "_ws.malformed", "wpan.fcs_ok"])
    assert num(row["wpan.dst16"]) == 0xFFFF
    assert num(row["zbee_nwk.dst"]) == 0xFFFC
    assert row["zbee_nwk.dst64"] == ""  # no destination IEEE address on a broadcast
    assert num(row["zbee_aps.delivery"]) == 2
    assert row["_ws.malformed"] == "" and row["wpan.fcs_ok"] == "1"


# --- what a sniffer would have seen: acknowledgements, air time, numbering across files ----------


def burst(n: int, *, gap: float = 0.000_100) -> list[FrameRecord]:
    """n frames alternating coordinator -> IHD -> coordinator, closer together than their air time."""
    frames = [
        record(i, Direction.TX if i % 2 == 0 else Direction.RX, 0x0708, vector("gcs09_publish_cot.hex"), ieee=BOTH)
        for i in range(n)
    ]
    return [dataclasses.replace(f, timestamp=T0 + i * gap) for i, f in enumerate(frames)]


@needs_tshark
def test_each_unicast_is_acknowledged_by_its_receiver(records: list[FrameRecord], tmp_path: Path) -> None:
    path = write_pcapng(records, tmp_path / "acks.pcapng", pan_id=PAN_ID)
    fields = [
        "wpan.frame_type",
        "wpan.seq_no",
        "wpan.dst16",
        "frame.packet_flags_direction",
        "frame.comment",
        "frame.len",
    ]
    packets = tshark_rows(path, [*fields, "wpan.fcs_ok", "_ws.malformed"])
    assert len(packets) == 2 * len(records)
    for data, ack in zip(packets[::2], packets[1::2], strict=True):
        assert num(data["wpan.frame_type"]) == 1 and num(ack["wpan.frame_type"]) == 2
        assert ack["wpan.seq_no"] == data["wpan.seq_no"]  # the ack carries the acknowledged DSN
        assert num(ack["frame.len"]) == 5 and ack["wpan.fcs_ok"] == "1" and ack["_ws.malformed"] == ""
        # sent by the data frame's receiver: the other direction, as seen from the coordinator
        assert {num(data["frame.packet_flags_direction"]), num(ack["frame.packet_flags_direction"])} == {1, 2}
        assert f"from 0x{num(data['wpan.dst16']):04X}" in ack["frame.comment"]
        assert "synthetic MAC ack" in ack["frame.comment"] and "never secured" in ack["frame.comment"]


@needs_tshark
def test_no_frame_starts_before_the_one_before_and_its_ack_ended(tmp_path: Path) -> None:
    frames = burst(6)
    path = write_pcapng(frames, tmp_path / "burst.pcapng", pan_id=PAN_ID)
    packets = tshark_rows(path, ["frame.time_epoch", "frame.len", "wpan.frame_type", "frame.comment"])
    times = [round(Decimal(p["frame.time_epoch"]) * 1_000_000) for p in packets]
    for before, after, t0, t1 in zip(packets, packets[1:], times, times[1:], strict=False):
        gap = TURNAROUND_US if num(after["wpan.frame_type"]) == 2 else 0
        assert t1 >= t0 + airtime_us(num(before["frame.len"])) + gap
    data = [(p, t) for p, t in zip(packets, times, strict=True) if num(p["wpan.frame_type"]) == 1]
    assert data[0][1] == round(T0 * 1_000_000)  # the first is where the trace put it
    # minimal: each later data frame starts exactly when the frame before and its ack ended
    frame_us = airtime_us(num(data[0][0]["frame.len"]))
    for (_, t0), (later, t1) in zip(data, data[1:], strict=False):
        assert t1 == t0 + frame_us + TURNAROUND_US + ACK_AIRTIME_US
        assert f"timestamp moved +{t1 - round(T0 * 1e6) - 100 * data.index((later, t1))} µs" in later["frame.comment"]
    assert "timestamp moved" not in data[0][0]["frame.comment"]


def test_frames_far_apart_keep_their_trace_time() -> None:
    frames = epb_blocks(pcapng_bytes(burst(3, gap=0.5), pan_id=PAN_ID))
    assert [micros for micros, _ in frames[::2]] == [round((T0 + i * 0.5) * 1e6) for i in range(3)]


def epb_blocks(data: bytes) -> list[tuple[int, bytes]]:
    """(timestamp in µs, packet data) of each Enhanced Packet Block."""
    out = []
    for kind, body in walk_blocks(data):
        if kind == BLOCK_EPB:
            high, low, length = struct.unpack_from("<III", body, 4)
            out.append(((high << 32) | low, body[20 : 20 + length]))
    return out


@needs_tshark
def test_device_annce_is_written_as_the_broadcast_it_was(tmp_path: Path) -> None:
    # as the stick reports it: received by the coordinator
    annce = record(0, Direction.RX, 0x0013, bytes.fromhex("81 3412") + bytes(8) + b"\x8e", zdo=True)
    path = write_pcapng([annce], tmp_path / "annce.pcapng", pan_id=PAN_ID)
    fields = ["wpan.dst16", "zbee_nwk.dst", "zbee_aps.delivery", "wpan.ack_request", "frame.comment"]
    (row,) = tshark_rows(path, fields)  # a broadcast is not acknowledged
    assert num(row["wpan.dst16"]) == 0xFFFF and num(row["zbee_nwk.dst"]) == 0xFFFD
    assert num(row["zbee_aps.delivery"]) == 2 and row["wpan.ack_request"] in ("0", "False")
    assert "Device_annce is always broadcast" in row["frame.comment"]
    assert SECURITY in row["frame.comment"] and "APS-encrypted" not in row["frame.comment"]  # ZDO: NWK only


def test_numbers_continue_across_the_runs_files_and_count_frames_between_them() -> None:
    trace = burst(8, gap=0.5)
    air = RunAir(history=lambda position: trace[position:])
    first = epb_blocks(pcapng_bytes(trace[:2], pan_id=PAN_ID, air=air))
    second_data = pcapng_bytes(trace[5:], pan_id=PAN_ID, air=air)  # frames 2..4 went to no file
    second = epb_blocks(second_data)
    alone = epb_blocks(pcapng_bytes(trace, pan_id=PAN_ID))
    # the same numbers as one capture of the whole run would have: MAC DSN octet 2, APS counter
    # the last header octet before the ZCL frame
    cot = len(vector("gcs09_publish_cot.hex"))
    numbers = [(f[2], f[-3 - cot]) for _, f in first[::2] + second[::2]]
    assert numbers == [(f[2], f[-3 - cot]) for _, f in alone[::2][:2] + alone[::2][5:]]
    assert numbers[2] == (2, 2)  # the coordinator's third own frame (seq 6) after 0, 2, 4
    assert b"trace frames seq 2..4 came before this case, outside its capture" in second_data


def test_a_zcl_frame_too_long_for_a_secured_unicast_says_so() -> None:
    data = pcapng_bytes([record(0, Direction.TX, 0x0703, b"\x09" * 66, ieee=BOTH)], pan_id=PAN_ID)
    assert b"ZCL frame of 66 octets: more than the 65 a secured unicast has room for" in data
    assert b"more than the 65" not in pcapng_bytes([record(0, Direction.TX, 0x0703, b"\x09" * 65)], pan_id=PAN_ID)
