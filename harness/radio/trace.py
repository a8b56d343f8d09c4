"""The frame trace: every APS frame the coordinator sent or received, in order.

The tap records frames below zigpy's ZCL layer (before duplicate filtering and before
zigpy drops Smart Energy frames), so the trace is the evidence of what crossed the air,
not of what zigpy chose to deliver.
"""

from __future__ import annotations

import dataclasses
import enum
import threading
from collections.abc import Iterator, Sequence

DEVICE_ANNCE = 0x0013  # ZDO Device_annce: NWK address, IEEE address, capability


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


def normal_ieee(ieee: str) -> str:
    """ "00:0D:6F:..." and "00:0d:6f:..." name one node: the profile's spelling is free, zigpy's lower case."""
    return ieee.strip().lower()


def announced(record: FrameRecord) -> tuple[int, str] | None:
    """The (NWK, IEEE) a received Device_annce binds (ZDO, profile 0, endpoint 0), or None."""
    payload = record.payload
    if (
        record.direction is not Direction.RX
        or record.profile_id != 0
        or record.dst_ep != 0
        or record.cluster_id != DEVICE_ANNCE
        or len(payload) < 11  # TSN, NWK (2), IEEE (8): the capability octet is not needed
    ):
        return None
    nwk = int.from_bytes(payload[1:3], "little")
    return nwk, ":".join(f"{octet:02x}" for octet in reversed(payload[3:11]))


class NodeAddresses:
    """Which node had which NWK address, over a whole trace: from every record's IEEE (the
    coordinator's device table when the frame crossed it) and every Device_annce. A node that
    rejoined under another address is still the same node; a record whose IEEE the
    coordinator did not know is named by the address's binding at its position."""

    def __init__(self, records: Sequence[FrameRecord]) -> None:
        self._bindings: dict[int, list[tuple[int, str]]] = {}  # NWK -> [(seq, IEEE)], in trace order
        for record in records:
            for nwk, ieee in _bindings_of(record):
                self._bindings.setdefault(nwk, []).append((record.seq, normal_ieee(ieee)))

    def ieee_at(self, nwk: int, seq: int) -> str | None:
        """The node that had `nwk` at trace position `seq`: the last binding at or before it,
        or, before any, the first after it (a node's first frames after a join may cross the
        coordinator before its table holds the node; its announcement names it)."""
        bindings = self._bindings.get(nwk, [])
        before = [ieee for at, ieee in bindings if at <= seq]
        if before:
            return before[-1]
        return bindings[0][1] if bindings else None


def _bindings_of(record: FrameRecord) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    if record.src_ieee:
        found.append((record.src_nwk, record.src_ieee))
    if record.dst_ieee:
        found.append((record.dst_nwk, record.dst_ieee))
    annce = announced(record)
    if annce is not None:
        found.append(annce)
    return found


def sender_of(record: FrameRecord, trace: Sequence[FrameRecord]) -> str | None:
    """The IEEE address (lower case) of the node that sent `record`; `trace` is the whole trace
    it belongs to, read only when the record itself does not name its sender."""
    if record.src_ieee:
        return normal_ieee(record.src_ieee)
    return NodeAddresses(trace).ieee_at(record.src_nwk, record.seq)


def sent_by(trace: Sequence[FrameRecord], ieee: str, since: int = 0) -> list[FrameRecord]:
    """The frames the node `ieee` sent from trace position `since` on, under whatever NWK
    address it had when it sent each (it may have rejoined under another since). `trace` is
    the whole trace, from position 0: an address's binding may come before `since`."""
    wanted = normal_ieee(ieee)
    addresses: NodeAddresses | None = None  # built only if a record does not name its sender
    found: list[FrameRecord] = []
    for record in trace[since:]:
        if record.direction is not Direction.RX:
            continue
        sender = record.src_ieee
        if sender:
            if normal_ieee(sender) == wanted:
                found.append(record)
            continue
        if addresses is None:
            addresses = NodeAddresses(trace)
        if addresses.ieee_at(record.src_nwk, record.seq) == wanted:
            found.append(record)
    return found
