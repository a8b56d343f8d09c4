"""The frame trace as text: one line per frame, decoded, for Allure and for people."""

from __future__ import annotations

from collections.abc import Iterable

from harness.radio.trace import FrameRecord
from harness.zcl import codec


def describe_frame(record: FrameRecord) -> str:
    if record.dst_ep == 0 and record.src_ep == 0:
        return f"ZDO cluster 0x{record.cluster_id:04X} {record.payload.hex(' ')}"
    try:
        return codec.describe(codec.decode(record.cluster_id, record.payload))
    except codec.ZclDecodeError as error:
        return f"undecodable ({error}): {record.payload.hex(' ')}"


def trace_text(records: Iterable[FrameRecord], t0: float | None = None) -> str:
    lines = []
    for record in records:
        start = record.timestamp if t0 is None else t0
        t0 = start
        arrow = "->" if record.direction == "tx" else "<-"
        lines.append(
            f"{record.seq:5d} +{record.timestamp - start:9.3f}s {record.direction.upper()} "
            f"0x{record.src_nwk:04X}/{record.src_ep} {arrow} 0x{record.dst_nwk:04X}/{record.dst_ep} "
            f"prof 0x{record.profile_id:04X} clu 0x{record.cluster_id:04X}  {describe_frame(record)}"
        )
    return "\n".join(lines) + ("\n" if lines else "(no frames)\n")
