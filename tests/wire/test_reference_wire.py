"""What the emulated meters send, and what the captures claim, in real reference runs.

Each check decodes the run's captures with tshark (an independent dissector) and compares
field values with what a GB meter sends and a sniffer next to the bench would have seen; the
size check reads the frames' octets as written, so it needs no tshark.
"""

from __future__ import annotations

import itertools
import os
import struct
import subprocess
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from wire_runs import AGGREGATOR, MAC_DATA, REFERENCE_PROFILES, ReferenceRun, dissect_capture, read_packets, tshark

from harness.domain import DataClass, Fuel
from harness.esi.tenancy import make_tenant
from harness.evidence.pcapng import ACK_AIRTIME_US, TURNAROUND_US, airtime_us, write_pcapng
from harness.radio.trace import Direction, FrameRecord
from harness.zcl import codec
from harness.zcl.ids import PREPAYMENT
from harness.zcl.limits import MAX_SECURED_ZCL_FRAME
from harness.zcl.prepayment import GB_PREPAYMENT_MODE

PP = "zbee_zcl_se.pp."
TOP_UP = PP + "publish_top_up_log."
DEBT = PP + "publish_debt_log."
COT = "zbee_zcl_se.device_management.publish_change_of_tenancy.proposed_tenancy_change_control"
SECURITY = "security removed: on air NWK-secured (level 5, network key)"
COORDINATOR = 0x0000
# fmt: off
FIELDS = [
    "frame.section_number", "frame.time_epoch", "frame.len", "frame.comment", "_ws.malformed",
    "wpan.frame_type", "wpan.seq_no", "wpan.src16", "wpan.dst16", "wpan.ack_request", "wpan.fcs_ok",
    "zbee_nwk.src", "zbee_nwk.dst", "zbee_nwk.seqno", "zbee_aps.counter", "zbee_aps.delivery",
    "zbee_aps.cluster", "zbee_aps.zdp_cluster", "zbee_zcl.cmd.tsn", "zbee_zcl.cmd.id",
    PP + "attr.payment_control_configuration",
    PP + "attr.payment_control_configuration.prepayment_enabled",
    PP + "attr.payment_control_configuration.disconnection_enabled",
    TOP_UP + "command_index", TOP_UP + "total_number_of_commands", TOP_UP + "top_up_amount",
    DEBT + "command_index", DEBT + "total_number_of_commands", DEBT + "amount_collected",
    "zbee_zcl_se.device_management.cmd.srv_tx.id", COT,
]
# fmt: on


def num(text: str) -> int:
    return int(text, 0)


def nums(text: str) -> list[int]:
    return [num(value) for value in text.split(AGGREGATOR)] if text else []


@pytest.fixture(scope="module")
def dissected(reference_runs: dict[str, ReferenceRun]) -> dict[str, list[dict[str, str]]]:
    tshark()
    return {profile: run.dissect(FIELDS) for profile, run in reference_runs.items()}


@pytest.fixture(scope="module")
def ppmid_whole_run(reference_runs: dict[str, ReferenceRun]) -> list[dict[str, str]]:
    """tshark's reading of the reference PPMID's whole-run capture: every frame of the session."""
    return dissect_capture(reference_runs["sim-ppmid.yaml"].whole_run, FIELDS)


def data_frames(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [row for row in rows if num(row["wpan.frame_type"]) == MAC_DATA]


@pytest.mark.parametrize("profile", REFERENCE_PROFILES)
def test_every_frame_is_well_formed_and_says_it_was_secured_on_air(
    dissected: dict[str, list[dict[str, str]]], profile: str
) -> None:
    rows = dissected[profile]
    assert rows
    for row in rows:
        assert row["wpan.fcs_ok"] == "1"
        comments = row["frame.comment"].split(AGGREGATOR)
        if num(row["wpan.frame_type"]) == MAC_DATA:
            assert SECURITY in comments[1], comments
        else:
            assert any("never secured" in c for c in comments), comments


def test_the_meters_serve_gb_prepayment_mode_with_bit_1_set(dissected: dict[str, list[dict[str, str]]]) -> None:
    answers = [row for row in dissected["sim-ppmid.yaml"] if row[PP + "attr.payment_control_configuration"]]
    assert answers, "the reference PPMID never read PaymentControlConfiguration in a capture"
    for row in answers:
        assert num(row[PP + "attr.payment_control_configuration"]) == GB_PREPAYMENT_MODE == 0x0C97
        assert row[PP + "attr.payment_control_configuration.prepayment_enabled"] == "1"


def _logs(rows: list[dict[str, str]], prefix: str) -> list[list[dict[str, str]]]:
    """The parts of each log answer in run order, by sender and TSN: a log's last parts may fall
    in the next case's capture. ROB-01's fuzzed Prepayment frames are no meter's answer, but
    the case before it may leave a log in flight whose last parts fall in ROB-01's capture (on
    a loaded machine they do): a part there is the meter's when it continues an open log (the
    same sender and TSN, the next index)."""
    logs: list[list[dict[str, str]]] = []
    open_logs: dict[tuple[str, str], list[dict[str, str]]] = {}
    for row in data_frames(rows):
        if not row[prefix + "command_index"]:
            continue
        key = (row["zbee_nwk.src"], row["zbee_zcl.cmd.tsn"])
        index = num(row[prefix + "command_index"])
        if row["capture"] == "ROB-01":
            continuing = key in open_logs and index == num(open_logs[key][-1][prefix + "command_index"]) + 1
            if not continuing:
                continue
        if index == 0 or key not in open_logs:
            open_logs[key] = []
            logs.append(open_logs[key])
        open_logs[key].append(row)
    return logs


@pytest.mark.parametrize(
    ("prefix", "value", "data_class", "attribute"),
    [
        (TOP_UP, "top_up_amount", DataClass.TOP_UP_HISTORY, "amount"),
        (DEBT, "amount_collected", DataClass.DEBT_RECOVERY, "amount_collected"),
    ],
    ids=["top-up log", "debt log"],
)
def test_logs_arrive_split_with_index_and_total_and_every_record(
    dissected: dict[str, list[dict[str, str]]],
    ppmid_whole_run: list[dict[str, str]],
    prefix: str,
    value: str,
    data_class: DataClass,
    attribute: str,
) -> None:
    logs = _logs(dissected["sim-ppmid.yaml"], prefix)
    assert logs
    occupiers = [make_tenant(index) for index in range(40)]
    served = [sorted(getattr(r, attribute) for r in o.records_of(data_class, Fuel.ELECTRICITY)) for o in occupiers]
    frames = data_frames(dissected["sim-ppmid.yaml"])
    captured = {trace_seq(row) for row in frames}
    whole = split = 0
    for parts in logs:
        totals = {num(p[prefix + "total_number_of_commands"]) for p in parts}
        assert len(totals) == 1
        (total,) = totals
        indices = [num(p[prefix + "command_index"]) for p in parts]
        first = indices[0]
        assert indices == list(range(first, first + len(parts))) and first + len(parts) <= total  # in order, none twice
        if first > 0 or len(parts) < total:
            # A log in flight across a case boundary: the parts no case's capture holds went
            # out between captures (the unit asked between two cases, or the case ended before
            # the meter's last parts). Where they fall depends on how the unit's concurrent
            # fetches interleave on a loaded machine (once in CI: after the whole next case),
            # so the whole-run capture, which holds every frame, must have them, in order, and
            # none in a case's capture.
            lead, trail = _rest_of_log(ppmid_whole_run, parts, prefix, total)
            assert [num(p[prefix + "command_index"]) for p in lead] == list(range(first)), (
                f"log parts {indices} of {total}: the first parts are not in the whole-run capture before them"
            )
            assert [num(p[prefix + "command_index"]) for p in trail] == list(range(first + len(parts), total)), (
                f"log parts {indices} of {total}: the last parts are not in the whole-run capture after them"
            )
            assert not {trace_seq(p) for p in lead + trail} & captured, (
                f"log parts {indices} of {total}: a part missing from its case's capture is in another one"
            )
            continue
        whole += 1
        split += total > 1
        amounts = sorted(a for p in parts for a in nums(p[prefix + value]))
        assert amounts in served, f"the parts {amounts} are not one occupier's whole log"
    assert whole > 5
    if data_class is DataClass.TOP_UP_HISTORY:
        assert split > 5, "three top-ups fit no secured frame: the top-up log must arrive in parts"


def _rest_of_log(
    whole_run: list[dict[str, str]], parts: list[dict[str, str]], prefix: str, total: int
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The parts of `parts`' log that the whole-run capture holds before its first and after its
    last (the same sender and TSN, the nearest ones: a TSN comes round again in a long run)."""
    key = (parts[0]["zbee_nwk.src"], parts[0]["zbee_zcl.cmd.tsn"])
    same = [
        row
        for row in data_frames(whole_run)
        if row[prefix + "command_index"] and (row["zbee_nwk.src"], row["zbee_zcl.cmd.tsn"]) == key
    ]
    first, last = num(parts[0][prefix + "command_index"]), num(parts[-1][prefix + "command_index"])
    before = [row for row in same if trace_seq(row) < trace_seq(parts[0])]
    after = [row for row in same if trace_seq(row) > trace_seq(parts[-1])]
    return (before[len(before) - first :] if first else []), after[: total - 1 - last]


def trace_seq(row: dict[str, str]) -> int:
    return int(row["frame.comment"].split()[1].removeprefix("seq="))


@pytest.mark.parametrize("profile", REFERENCE_PROFILES)
def test_no_zcl_frame_the_harness_sends_exceeds_the_secured_limit(
    reference_runs: dict[str, ReferenceRun], profile: str
) -> None:
    sent = []
    for packet in reference_runs[profile].packets():
        if packet.mac_frame_type == MAC_DATA and packet.comments[0].startswith("TX "):
            zcl_profile, cluster, _ep, zcl = packet.aps()
            if zcl_profile != 0:  # ZDO frames are not ZCL
                sent.append((len(zcl), packet.capture, hex(cluster), zcl.hex(" ")))
    assert len(sent) > 50
    too_long = [frame for frame in sent if frame[0] > MAX_SECURED_ZCL_FRAME]
    assert not too_long, f"ZCL frames longer than {MAX_SECURED_ZCL_FRAME} octets: {too_long[:3]}"


@pytest.mark.parametrize("profile", REFERENCE_PROFILES)
def test_device_annce_is_a_broadcast_and_broadcasts_are_not_acknowledged(
    dissected: dict[str, list[dict[str, str]]], profile: str
) -> None:
    rows = dissected[profile]
    annces = [
        n for n, row in enumerate(rows) if row["zbee_aps.zdp_cluster"] and num(row["zbee_aps.zdp_cluster"]) == 0x0013
    ]
    assert annces, "no Device_annce in the run's captures"
    for n in annces:
        row = rows[n]
        assert num(row["wpan.dst16"]) == 0xFFFF and num(row["zbee_nwk.dst"]) == 0xFFFD
        assert num(row["zbee_aps.delivery"]) == 2
        following = rows[n + 1] if n + 1 < len(rows) else None
        assert following is None or num(following["wpan.frame_type"]) == MAC_DATA


@pytest.mark.parametrize("profile", REFERENCE_PROFILES)
def test_each_unicast_is_followed_by_its_mac_ack(dissected: dict[str, list[dict[str, str]]], profile: str) -> None:
    rows = dissected[profile]
    unicasts = 0
    for row, after in itertools.pairwise(rows):
        if num(row["wpan.frame_type"]) != MAC_DATA:
            continue
        if num(row["wpan.dst16"]) == 0xFFFF:
            continue
        unicasts += 1
        assert num(after["wpan.frame_type"]) == 2, f"no ack after {row['frame.comment'][:30]}"
        assert after["wpan.seq_no"] == row["wpan.seq_no"]
    assert unicasts > 50


@pytest.mark.parametrize("profile", REFERENCE_PROFILES)
def test_sequence_numbers_are_each_devices_own(dissected: dict[str, list[dict[str, str]]], profile: str) -> None:
    """Per device, MAC and NWK sequence numbers step by one within a capture and never restart
    across the run's captures; the coordinator's (synthetic) APS counter continues across them."""
    frames = data_frames(dissected[profile])
    by_device: dict[int, list[dict[str, str]]] = defaultdict(list)
    for row in frames:
        by_device[num(row["wpan.src16"])].append(row)
    assert len(by_device) == 2  # the coordinator (the meters' node) and the unit
    interleaved = 0
    for device, rows in by_device.items():
        for before, after in itertools.pairwise(rows):
            step = (num(after["wpan.seq_no"]) - num(before["wpan.seq_no"])) % 256
            assert (num(after["zbee_nwk.seqno"]) - num(before["zbee_nwk.seqno"])) % 256 == step
            seq_before = int(before["frame.comment"].split()[1].removeprefix("seq="))
            seq_after = int(after["frame.comment"].split()[1].removeprefix("seq="))
            # a step counts the device's own frames in between: none within a capture (which
            # holds a stretch of the trace whole), at most the trace frames between two captures
            if after["frame.section_number"] == before["frame.section_number"]:
                assert step == 1, (device, before["frame.comment"][:20], after["frame.comment"][:20])
            else:
                assert 1 <= step <= seq_after - seq_before, (device, before["frame.comment"][:20])
            same_capture = after["frame.section_number"] == before["frame.section_number"]
            interleaved += same_capture and seq_after - seq_before > 1  # the other device sent between
            if device == COORDINATOR:
                aps_step = (num(after["zbee_aps.counter"]) - num(before["zbee_aps.counter"])) % 256
                assert aps_step == step  # one APS counter per coordinator frame, across files too
    assert interleaved, "the devices never took turns: one shared counter would pass unseen"
    assert len({row["frame.section_number"] for row in frames}) > 5  # the checks spanned many files


@pytest.mark.parametrize("profile", REFERENCE_PROFILES)
def test_no_frame_starts_before_the_previous_one_and_its_ack_ended(
    dissected: dict[str, list[dict[str, str]]], profile: str
) -> None:
    rows = dissected[profile]
    times = [round(Decimal(row["frame.time_epoch"]) * 1_000_000) for row in rows]
    shifted = 0
    for (before, t0), (after, t1) in itertools.pairwise(zip(rows, times, strict=True)):
        gap = TURNAROUND_US if num(after["wpan.frame_type"]) == 2 else 0
        assert t1 >= t0 + airtime_us(num(before["frame.len"])) + gap, (before["frame.comment"][:30], t1 - t0)
        shifted += "timestamp moved +" in after["frame.comment"]
    assert shifted, "the trace's clock puts frames closer than their air time: some must have moved"
    assert ACK_AIRTIME_US == 352


@pytest.mark.parametrize("profile", REFERENCE_PROFILES)
def test_every_publish_cot_carries_its_change_control_as_the_wire_means_it(
    dissected: dict[str, list[dict[str, str]]], profile: str
) -> None:
    cots = [
        row
        for row in data_frames(dissected[profile])
        if row["zbee_aps.cluster"] == "0x0708" and row["zbee_zcl_se.device_management.cmd.srv_tx.id"] == "0x00"
    ]
    assert cots
    decoded = 0
    for row in cots:
        comment = row["frame.comment"]
        if not row[COT] or row["_ws.malformed"]:
            assert "Proposed Tenancy Change Control" in comment
            continue
        shown = num(row[COT])  # tshark 4.x reads it big-endian (se-wire-reference.md)
        wire = int.from_bytes(shown.to_bytes(4, "big"), "little")
        assert f"Proposed Tenancy Change Control = 0x{wire:08X}" in comment
        assert f"byte-swapped as 0x{shown:08X}" in comment
        decoded += 1
    assert decoded


@pytest.mark.parametrize("profile", REFERENCE_PROFILES)
def test_a_case_without_radio_traffic_has_no_empty_capture(
    reference_runs: dict[str, ReferenceRun], profile: str
) -> None:
    run = reference_runs[profile]
    for capture in run.captures:
        assert any(p.mac_frame_type == MAC_DATA for p in read_packets(capture)), f"{capture.name} is empty"
    said = 0
    for result in run.results():
        names = [a["name"] for a in result.get("attachments", [])]  # type: ignore[union-attr]
        if result["status"] == "skipped" or not any(n.endswith("frame trace") for n in names):
            continue  # not run on the bench: no evidence of either kind
        case_id = str(result["name"]).split()[0]
        if f"{case_id} frames (pcapng, Wireshark)" not in names:
            assert f"{case_id} capture" in names, f"{case_id}: neither a capture nor why there is none"
            said += 1
    assert said, "every case had traffic: the no-capture path was not exercised"


def test_change_debt_amounts_are_signed(tmp_path: Path) -> None:
    """Change Debt's Debt Amount and Debt Recovery Amount as Wireshark reads them: int32."""
    frame = codec.build(
        PREPAYMENT,
        "change_debt",
        tsn=7,
        direction=codec.Direction.TO_SERVER,
        issuer_event_id=0x1C374A80,
        debt_label=b"D1",
        debt_amount=-1234,
        debt_recovery_method=0,
        debt_amount_type=1,  # Type 1 incremental: a negative amount lowers the debt
        debt_recovery_start_time=0,
        debt_recovery_collection_time=0,
        debt_recovery_frequency=1,
        debt_recovery_amount=-56,
        debt_recovery_balance_percentage=0,
    )
    assert struct.unpack_from("<i", frame, 3 + 4 + 3)[0] == -1234
    record = FrameRecord(0, 1_700_000_000.0, Direction.TX, 0, 9, 0x1234, 1, 0x0109, PREPAYMENT, frame)
    path = write_pcapng([record], tmp_path / "change_debt.pcapng", pan_id=0x1A62)
    fields = [PP + "change_debt.debt_amount", PP + "change_debt.recovery_amount", "_ws.malformed"]
    done = subprocess.run(
        [
            tshark(),
            "-r",
            str(path),
            "-Y",
            "wpan.frame_type == 1",
            "-T",
            "fields",
            *(a for f in fields for a in ("-e", f)),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "TZ": "UTC"},
    )
    assert done.stdout.split() == ["-1234", "-56"]
