"""SE log commands split across several commands, and put back together.

Publish Top Up Log and Publish Debt Log carry CommandIndex and TotalNumberOfCommands: a
meter whose log does not fit one secured radio frame (harness.zcl.limits) sends it as
several commands with the same TSN, index 0..total-1. A client has the whole log only when
it has every part.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, Final

from harness.zcl import codec
from harness.zcl.codec import ZclFrame
from harness.zcl.ids import PREPAYMENT
from harness.zcl.limits import MAX_SECURED_ZCL_FRAME

# (cluster, command) -> the field holding the records.
LOG_RECORDS: Final[Mapping[tuple[int, str], str]] = {
    (PREPAYMENT, "publish_top_up_log"): "top_up_payload",
    (PREPAYMENT, "publish_debt_log"): "debt_payload",
}


def split_log(
    cluster_id: int, command: str, records: Sequence[Any], *, tsn: int, limit: int = MAX_SECURED_ZCL_FRAME
) -> list[bytes]:
    """The log as as few commands as fit `limit` octets each, records in their order.

    A record that alone does not fit is sent alone (the frame is then oversized, and the
    wire test that checks every frame against the limit names it)."""
    field = LOG_RECORDS[(cluster_id, command)]

    def frame(part: Sequence[Any], index: int = 0, total: int = 1) -> bytes:
        fields = {"command_index": index, "total_number_of_commands": total, field: list(part)}
        return codec.build(cluster_id, command, tsn=tsn, **fields)

    parts: list[list[Any]] = []
    for record in records:
        if parts and len(frame([*parts[-1], record])) <= limit:
            parts[-1].append(record)
        else:
            parts.append([record])
    # Index and total are one octet each whatever their value: the partition stays valid.
    return [frame(part, index, len(parts)) for index, part in enumerate(parts)]


def is_log_part(zcl: ZclFrame) -> bool:
    return (zcl.cluster_id, zcl.command_name) in LOG_RECORDS


def assemble(parts: Sequence[ZclFrame]) -> ZclFrame:
    """One frame holding every record of the parts (in index order), as a single command
    with index 0 of 1. The parts must be one complete log: every index 0..total-1 once."""
    if not parts:
        raise ValueError("no parts to assemble")
    first = parts[0]
    field = LOG_RECORDS[(first.cluster_id, first.command_name)]
    total = int(first.fields["total_number_of_commands"])
    by_index = {int(p.fields["command_index"]): p for p in parts}
    if sorted(by_index) != list(range(total)) or len(parts) != total:
        raise ValueError(f"log parts {sorted(by_index)} are not 0..{total - 1}")
    records = [record for index in range(total) for record in by_index[index].fields[field]]
    fields = dict(first.fields) | {"command_index": 0, "total_number_of_commands": 1, field: records}
    return dataclasses.replace(first, fields=fields)


class LogAssembler:
    """What a client keeps of logs still arriving: parts by (cluster, TSN)."""

    def __init__(self) -> None:
        # (cluster, TSN) -> the parts of that answer received so far, by command index
        self.waiting: dict[tuple[int, int], dict[int, ZclFrame]] = {}

    def add(self, zcl: ZclFrame) -> ZclFrame | None:
        """The whole log once its last part is in, else None. A frame that is not a log
        part, or a log in one command, is returned as it is."""
        if not is_log_part(zcl):
            return zcl
        total = int(zcl.fields["total_number_of_commands"])
        index = int(zcl.fields["command_index"])
        if total <= 1 or not 0 <= index < total:
            return zcl  # one command, or an index a meter should not send: as it came
        key = (zcl.cluster_id, zcl.tsn)
        parts = self.waiting.setdefault(key, {})
        parts[index] = zcl  # a repeated part (a MAC retry seen twice) replaces the first
        if len(parts) < total:
            return None
        del self.waiting[key]
        return assemble([parts[i] for i in range(total)])

    def forget(self, cluster_id: int, tsn: int) -> None:
        """Drop the parts of an old answer with this TSN (it has wrapped round to a new request)."""
        self.waiting.pop((cluster_id, tsn), None)

    def clear(self) -> None:
        self.waiting.clear()
