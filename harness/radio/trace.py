"""The frame trace: every APS frame the coordinator sent or received, in order.

The tap records frames below zigpy's ZCL layer (before duplicate filtering and before
zigpy drops Smart Energy frames), so the trace is the evidence of what crossed the air,
not of what zigpy chose to deliver.
"""

from __future__ import annotations

import dataclasses
import enum
import threading
from collections.abc import Iterator


class Direction(enum.StrEnum):
    """Seen from the harness: TX leaves the coordinator, RX arrives at it."""

    TX = "tx"
    RX = "rx"


@dataclasses.dataclass(frozen=True)
class FrameRecord:
    """One APS data frame as it crossed the coordinator's serial interface."""

    seq: int  # position in the trace, from 0
    timestamp: float  # bench clock, Unix seconds (virtual time in simulation)
    direction: Direction
    src_nwk: int
    src_ep: int
    dst_nwk: int
    dst_ep: int
    profile_id: int
    cluster_id: int
    payload: bytes  # APS payload: the ZCL frame (or ZDO frame on endpoint 0)
    src_ieee: str | None = None  # "00:11:...": known for the coordinator and joined nodes
    dst_ieee: str | None = None
    lqi: int | None = None
    aps_counter: int | None = None  # APS counter when the radio reports one
    # Received: whether it arrived APS-secured (Z-Stack's AF.IncomingMsg SecurityUse, as
    # zigpy-znp passes it up in tx_options); sent: whether the stick was asked to secure it.
    aps_secured: bool | None = None


class FrameTrace:
    """Thread-safe append-only list of FrameRecord with marks to slice one case."""

    def __init__(self) -> None:
        self._records: list[FrameRecord] = []
        self._lock = threading.Lock()

    def append(self, **fields: object) -> FrameRecord:
        with self._lock:
            record = FrameRecord(seq=len(self._records), **fields)  # type: ignore[arg-type]
            self._records.append(record)
        return record

    def mark(self) -> int:
        """The position the next record will take: slice a case's frames from here."""
        with self._lock:
            return len(self._records)

    def since(self, mark: int) -> list[FrameRecord]:
        with self._lock:
            return self._records[mark:]

    def __iter__(self) -> Iterator[FrameRecord]:
        with self._lock:
            return iter(list(self._records))

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)
