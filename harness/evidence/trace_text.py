"""The frame trace as text: one line per frame, decoded, for Allure and for people."""

from __future__ import annotations

import functools
from collections.abc import Iterable

from harness.radio.trace import FrameRecord
from harness.zcl import codec


def describe_frame(record: FrameRecord) -> str:
    zdo = record.dst_ep == 0 and record.src_ep == 0
    cluster_id = record.cluster_id
    return _described(zdo, cluster_id, bytes(record.payload), None if zdo else codec.cluster_class(cluster_id))


# A frame's line depends on its octets and its cluster's definition alone, and every case's
# evidence describes each of its frames twice (the text trace and the sequence chart):
# decoding once per distinct frame halves the evidence's cost. The definition is part of the
# key, so a cluster registered later in the process is never described by an older one.
# Bounded, so a long soak cannot grow it.
@functools.lru_cache(maxsize=4096)
def _described(zdo: bool, cluster_id: int, payload: bytes, _definition: object) -> str:
    if zdo:
        return f"ZDO cluster 0x{cluster_id:04X} {payload.hex(' ')}"
    try:
        return codec.describe(codec.decode(cluster_id, payload))
    except codec.ZclDecodeError as error:
        return f"undecodable ({error}): {payload.hex(' ')}"


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
