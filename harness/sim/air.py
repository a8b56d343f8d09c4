"""The simulated HAN: APS data frames between the coordinator and simulated nodes.

Delivery is always asynchronous (scheduled on the world's loop), as on a real network:
a node never sees its own transmission's consequences before its send call returns.
Fault injection (loss, delay and jitter, duplicates, reordering) happens here and nowhere
else, seeded so a run can be repeated. Loss applies per transmission attempt: unicast
frames get the MAC retries every 802.15.4 radio makes, broadcasts get none.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from harness.sim.clock import VirtualClock

if TYPE_CHECKING:
    from harness.sim.model_faults import ModelFaults

BROADCAST_MIN = 0xFFF8  # NWK broadcast addresses 0xFFF8..0xFFFF
COORDINATOR_NWK = 0x0000
MAC_MAX_FRAME_RETRIES = 3  # IEEE 802.15.4 macMaxFrameRetries default


@dataclasses.dataclass(frozen=True)
class AirFrame:
    """One APS data frame on the simulated air. `secured`: APS-secured, and `payload` is then
    what follows the APS header on air (auxiliary header, ciphertext, MIC: harness.sim.aps_link)."""

    src_nwk: int
    src_ep: int
    dst_nwk: int
    dst_ep: int
    profile_id: int
    cluster_id: int
    payload: bytes
    aps_counter: int = 0
    radius: int = 30
    secured: bool = False

    @property
    def is_broadcast(self) -> bool:
        return self.dst_nwk >= BROADCAST_MIN


@dataclasses.dataclass(frozen=True)
class AirFaults:
    """What the air does to frames (profile simulation.air, or a run's --air)."""

    loss: float = 0.0
    delay: float = 0.0  # seconds
    jitter: float = 0.0  # seconds, uniform extra delay
    duplicate: float = 0.0
    reorder: float = 0.0

    @property
    def any(self) -> bool:
        return any((self.loss, self.delay, self.jitter, self.duplicate, self.reorder))

    def describe(self) -> str:
        return (
            f"loss {self.loss:.0%} per attempt, delay {self.delay * 1000:.0f} ms + jitter up to "
            f"{self.jitter * 1000:.0f} ms, duplicates {self.duplicate:.0%}, reordering {self.reorder:.0%}"
        )


@dataclasses.dataclass(frozen=True)
class ForeignNetwork:
    """Another PAN within radio range: a coordinator's network scan hears its beacons."""

    channel: int
    pan_id: int
    extended_pan_id: bytes  # 8 bytes in frame order (least significant first)
    permit_joining: bool = False
    lqi: int = 120
    src_nwk: int = 0x0000  # the beaconing router or coordinator


class Node(Protocol):
    nwk: int | None

    def receive(self, frame: AirFrame) -> None: ...


@dataclasses.dataclass
class AirCounters:
    frames: int = 0  # frames handed to the air
    attempts: int = 0
    lost_attempts: int = 0
    undelivered: int = 0  # unicast frames that exhausted MAC retries, broadcast copies lost
    duplicated: int = 0
    reordered: int = 0


class Air:
    """Routes frames by NWK address; broadcasts reach every other node."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        clock: VirtualClock | None = None,
        faults: AirFaults | None = None,
        seed: int = 0,
    ) -> None:
        self._loop = loop
        self._clock = clock
        self.faults = faults or AirFaults()
        self._rng = random.Random(seed)
        self._nodes: dict[int, Node] = {}
        self._beacon_listeners: list[Callable[[], None]] = []
        # Set by the simulated world: a node's exception on receiving is kept there (a model bug).
        self.model_faults: ModelFaults | None = None
        self.counters = AirCounters()
        # What a coordinator's scans find: energy (0..255 ED units) on busy channels, others
        # are quiet; other networks' beacons. Empty by default: the HAN is alone.
        self.channel_energy: dict[int, int] = {}
        self.foreign_networks: list[ForeignNetwork] = []
        self.in_flight = 0  # deliveries queued on the loop (the world is not quiet)

    def attach(self, node: Node) -> None:
        assert node.nwk is not None
        self._nodes[node.nwk] = node

    def detach(self, node: Node) -> None:
        if node.nwk is not None and self._nodes.get(node.nwk) is node:
            del self._nodes[node.nwk]

    def reachable(self, nwk: int) -> bool:
        return nwk in self._nodes

    def send(
        self,
        src_nwk: int,
        src_ep: int,
        dst_nwk: int,
        dst_ep: int,
        profile: int,
        cluster: int,
        payload: bytes,
        aps_counter: int,
    ) -> bool:
        """Send one APS data frame; True when a unicast destination acknowledged it."""
        return self.transmit(
            AirFrame(
                src_nwk=src_nwk,
                src_ep=src_ep,
                dst_nwk=dst_nwk,
                dst_ep=dst_ep,
                profile_id=profile,
                cluster_id=cluster,
                payload=payload,
                aps_counter=aps_counter,
            )
        )

    def transmit(self, frame: AirFrame) -> bool:
        """Send a frame; True when a unicast destination acknowledged it (MAC ACK)."""
        self.counters.frames += 1
        if frame.is_broadcast:
            for addr, node in list(self._nodes.items()):
                if addr != frame.src_nwk and self._attempt():
                    self._schedule(node, frame)
            return True
        node = self._nodes.get(frame.dst_nwk)
        if node is None:
            return False
        for _attempt in range(1 + MAC_MAX_FRAME_RETRIES):
            if self._attempt():
                self._schedule(node, frame)
                return True
        self.counters.undelivered += 1
        return False

    def _attempt(self) -> bool:
        self.counters.attempts += 1
        if self.faults.loss and self._rng.random() < self.faults.loss:
            self.counters.lost_attempts += 1
            return False
        return True

    def _schedule(self, node: Node, frame: AirFrame) -> None:
        faults = self.faults
        delay = faults.delay + (self._rng.uniform(0, faults.jitter) if faults.jitter else 0.0)
        if faults.reorder and self._rng.random() < faults.reorder:
            # Held back long enough for the next frame to overtake it.
            delay += max(faults.jitter, 0.05)
            self.counters.reordered += 1
        self._deliver_after(node, frame, delay)
        if faults.duplicate and self._rng.random() < faults.duplicate:
            self.counters.duplicated += 1
            self._deliver_after(node, frame, delay + self._rng.uniform(0, max(faults.jitter, 0.01)))

    def _deliver_after(self, node: Node, frame: AirFrame, delay: float) -> None:
        if delay <= 0 or self._clock is None:
            self.in_flight += 1
            self._loop.call_soon(self._deliver, node, frame)
        else:
            # On the virtual clock: the frame arrives when time reaches it (on a stepped clock,
            # once nothing else can happen first: harness.bench.event_time).
            self._clock.call_later(delay, lambda: self._deliver_now(node, frame))

    def _deliver(self, node: Node, frame: AirFrame) -> None:
        self.in_flight -= 1
        self._deliver_now(node, frame)

    def _deliver_now(self, node: Node, frame: AirFrame) -> None:
        if node.nwk is not None and self._nodes.get(node.nwk) is node:  # still on the air
            if self.model_faults is None:
                node.receive(frame)
            else:
                self.model_faults.guard(f"node 0x{node.nwk:04X} receiving a frame", node.receive, frame)

    # Joining: nodes waiting for a network listen for beacons with permit-join set.
    def on_permit_open(self, listener: Callable[[], None]) -> None:
        self._beacon_listeners.append(listener)

    def remove_permit_listener(self, listener: Callable[[], None]) -> None:
        if listener in self._beacon_listeners:
            self._beacon_listeners.remove(listener)

    def announce_permit_open(self) -> None:
        for listener in list(self._beacon_listeners):
            self._loop.call_soon(listener)


class ApsDuplicateFilter:
    """APS duplicate rejection, as every Zigbee stack has: (source, APS counter) seen lately."""

    def __init__(self, size: int = 32) -> None:
        self._seen: list[tuple[int, int, int]] = []
        self._size = size

    def is_duplicate(self, frame: AirFrame) -> bool:
        key = (frame.src_nwk, frame.aps_counter, frame.cluster_id)
        if key in self._seen:
            return True
        self._seen.append(key)
        del self._seen[: -self._size]
        return False


def parse_air(text: str) -> AirFaults:
    """`loss=0.1,jitter=200ms,duplicate=0.05,reorder=0.02,delay=10ms` (a run's --air)."""
    from harness.durations import parse_duration

    fields: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.partition("=")
        if name not in {f.name for f in dataclasses.fields(AirFaults)} or not value:
            raise ValueError(f"--air: {part!r} is not name=value with name in loss, delay, jitter, duplicate, reorder")
        if name in ("delay", "jitter"):
            fields[name] = parse_duration(value).total_seconds()
        else:
            fields[name] = float(value)
            if not 0 <= fields[name] <= 1:
                raise ValueError(f"--air: {name} must be a probability in [0, 1], got {value}")
    return AirFaults(**fields)
