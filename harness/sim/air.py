"""The simulated HAN: APS data frames between the coordinator and simulated nodes.

Delivery is always asynchronous (scheduled on the world's loop), as on a real network:
a node never sees its own transmission's consequences before its send call returns.
Fault injection (loss, delay, duplicates, reordering) hooks in here and nowhere else.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Protocol

BROADCAST_MIN = 0xFFF8  # NWK broadcast addresses 0xFFF8..0xFFFF
COORDINATOR_NWK = 0x0000


@dataclasses.dataclass(frozen=True)
class AirFrame:
    """One APS data frame on the simulated air (security is not modelled)."""

    src_nwk: int
    src_ep: int
    dst_nwk: int
    dst_ep: int
    profile_id: int
    cluster_id: int
    payload: bytes
    aps_counter: int = 0
    radius: int = 30

    @property
    def is_broadcast(self) -> bool:
        return self.dst_nwk >= BROADCAST_MIN


class Node(Protocol):
    nwk: int | None

    def receive(self, frame: AirFrame) -> None: ...


class Air:
    """Routes frames by NWK address; broadcasts reach every other node."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._nodes: dict[int, Node] = {}
        self._beacon_listeners: list[Callable[[], None]] = []
        self.frames_carried = 0
        self.in_flight = 0  # scheduled deliveries not yet made (the world is not quiet)

    def attach(self, node: Node) -> None:
        assert node.nwk is not None
        self._nodes[node.nwk] = node

    def detach(self, node: Node) -> None:
        if node.nwk is not None and self._nodes.get(node.nwk) is node:
            del self._nodes[node.nwk]

    def reachable(self, nwk: int) -> bool:
        return nwk in self._nodes

    def transmit(self, frame: AirFrame) -> bool:
        """Send a frame; True when a unicast destination is on the air (a MAC ACK)."""
        if frame.is_broadcast:
            targets = [n for addr, n in self._nodes.items() if addr != frame.src_nwk]
        else:
            node = self._nodes.get(frame.dst_nwk)
            if node is None:
                return False
            targets = [node]
        for node in targets:
            self.frames_carried += 1
            self.in_flight += 1
            self._loop.call_soon(self._deliver, node, frame)
        return True

    def _deliver(self, node: Node, frame: AirFrame) -> None:
        self.in_flight -= 1
        node.receive(frame)

    # Joining: nodes waiting for a network listen for beacons with permit-join set.
    def on_permit_open(self, listener: Callable[[], None]) -> None:
        self._beacon_listeners.append(listener)

    def remove_permit_listener(self, listener: Callable[[], None]) -> None:
        if listener in self._beacon_listeners:
            self._beacon_listeners.remove(listener)

    def announce_permit_open(self) -> None:
        for listener in list(self._beacon_listeners):
            self._loop.call_soon(listener)
