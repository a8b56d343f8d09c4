"""The trust centre's Key Establishment server (cluster 0x0800) on the harness's Smart Energy
endpoint: harness.security.responder's exchange over the coordinator.

A claimer on the radio, beside the emulated meters: Key Establishment frames to its endpoint
from a joined node go to the responder, whose answer is sent once, at the APS layer
unsecured (the link key is what the exchange makes). When an exchange confirms its key, the
key is installed in the stick for that unit (harness.radio.link_keys) *before* the Confirm
Key Data Response leaves, so the unit's first secured frame already finds it there.

`tamper` lets a SEC case change what the trust centre sends (another CA's certificate, a
wrong MACV) to see that the unit refuses it; keys never reach a log or the evidence.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from zigpy.zcl import foundation

from harness.radio.coordinator import Coordinator
from harness.radio.trace import FrameRecord
from harness.security import cbke
from harness.security.responder import EstablishedKey, KeTimings, KeyEstablishmentServer, Reply
from harness.zcl import codec
from harness.zcl.attributes import read_attributes_rsp
from harness.zcl.codec import Direction, ZclDecodeError
from harness.zcl.ids import KEY_ESTABLISHMENT

LOGGER = logging.getLogger(__name__)
SUITE_ATTRIBUTE = 0x0000  # KeyEstablishmentSuite: the suites the server offers
Installer = Callable[[EstablishedKey, int], Awaitable[None]]  # (the key, the unit's NWK address)
Tamper = Callable[[Reply], Reply]


class TrustCentreKeyEstablishment:
    def __init__(
        self,
        coordinator: Coordinator,
        endpoint: int,
        identities: Mapping[int, cbke.Identity],
        install: Installer,
        timings: KeTimings | None = None,
    ) -> None:
        self.coordinator = coordinator
        self.endpoint = endpoint
        self._install = install
        self.established: list[EstablishedKey] = []
        self.tamper: Tamper | None = None
        self._pending: EstablishedKey | None = None
        self._tasks: set[asyncio.Task[object]] = set()
        self.responder = KeyEstablishmentServer(identities, timings or KeTimings(), on_established=self._on_established)

    @property
    def busy(self) -> bool:
        return any(not task.done() for task in self._tasks)

    def _on_established(self, key: EstablishedKey) -> None:
        self._pending = key

    def key_for(self, ieee: bytes) -> EstablishedKey | None:
        """The latest key established with `ieee` (big-endian)."""
        return next((key for key in reversed(self.established) if key.peer_ieee == ieee), None)

    def claim(self, record: FrameRecord) -> bool:
        if record.cluster_id != KEY_ESTABLISHMENT or record.dst_ep != self.endpoint:
            return False
        try:
            zcl = codec.decode(record.cluster_id, record.payload)
        except ZclDecodeError:
            return True  # a frame that does not decode ends nothing: the tap keeps it
        if zcl.direction is not Direction.TO_SERVER:
            return True
        if not zcl.is_cluster_specific:
            if zcl.command_name == "read_attributes":  # attribute 0x0000: the suites it offers
                values = {SUITE_ATTRIBUTE: (foundation.DataTypeId.map16, int(self.responder.supported_suites))}
                self._send_soon(record, None, read_attributes_rsp(zcl, values))
            return True
        if record.src_ieee is None:
            LOGGER.warning(
                "Key Establishment from 0x%04X, whose IEEE address zigpy does not know: ignored", record.src_nwk
            )
            return True
        peer = bytes.fromhex(record.src_ieee.replace(":", ""))
        now = self.coordinator.waiter.now()
        reply = self.responder.receive(peer, zcl.command_name, zcl.fields, now)
        established, self._pending = self._pending, None
        if reply is None:
            return True
        if self.tamper is not None:
            reply = self.tamper(reply)
        payload = codec.build(
            KEY_ESTABLISHMENT, reply.command, tsn=zcl.tsn, direction=Direction.TO_CLIENT, **reply.fields
        )
        self._send_soon(record, established, payload)
        return True

    def _send_soon(self, record: FrameRecord, established: EstablishedKey | None, payload: bytes) -> None:
        async def answer() -> None:
            if self.coordinator.app is None:
                return  # the bench has stopped: an exchange still under way ends with it
            if established is not None:
                await self._install(established, record.src_nwk)
                self.established.append(established)
            await self.coordinator.send(
                dst_nwk=record.src_nwk,
                dst_ep=record.src_ep,
                src_ep=self.endpoint,
                cluster_id=KEY_ESTABLISHMENT,
                payload=payload,
            )

        task = asyncio.get_running_loop().create_task(answer())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
