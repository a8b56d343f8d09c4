"""The emulator's state and its MT link to the host: one request in, SRSP then callbacks out.

Separate from the handlers so every subsystem module (SYS, NV, UTIL, BDB/ZDO, AF) reads and
changes the same declared state, and the ordering rule of the link (the synchronous
response first, then the callbacks the request queued) lives in one place.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import random
from collections.abc import Callable
from typing import Any

import zigpy.zdo.types as zdo_t
import zigpy_znp.commands as c
import zigpy_znp.types as t
from zigpy_znp.frames import GeneralFrame

from harness.sim.air import COORDINATOR_NWK, Air, ApsDuplicateFilter
from harness.sim.clock import VirtualClock
from harness.sim.nvram import Nvram, NvSnapshot

# One logger for the whole emulator, named after its package.
LOGGER = logging.getLogger("harness.sim.zstack")

Send = Callable[[GeneralFrame], None]
Handler = Callable[[Any], t.CommandBase | None]
# What the stick sends the host: a command object, or a frame a fast path built on raw octets.
Outgoing = t.CommandBase | GeneralFrame
# A request answered from its raw payload: the response payload, or None to fall back.
RawHandler = Callable[[bytes], bytes | None]
# The callbacks that carry a frame from the air to the host (counted as data_to_host).
_DATA_TO_HOST = frozenset({c.AF.IncomingMsg.Callback.header, c.ZDO.MsgCbIncoming.Callback.header})


@dataclasses.dataclass(frozen=True)
class FormedStick:
    """A stick's state once it has formed and restarted on its network: its NV and its
    random generator's state. Formation draws from that generator (channel, PAN ID), so a
    stick started from this state admits the unit at the address the one that formed would."""

    nv: NvSnapshot
    rng_state: object


class EmulatorCore:
    """State of the emulated stick, and MT request dispatch to the handler table."""

    def __init__(self, ieee: t.EUI64, air: Air, clock: VirtualClock) -> None:
        self.ieee = ieee
        self.air = air
        self.clock = clock
        self.nvram = Nvram(ieee)
        self.nwk: int | None = COORDINATOR_NWK  # the Node protocol of air.Air
        self.endpoints: dict[int, zdo_t.SimpleDescriptor] = {}
        self.joined: dict[t.EUI64, int] = {}  # the trust centre's device table
        self.install_code_keys: dict[t.EUI64, bytes] = {}  # link keys derived from install codes
        self.joins_need_install_code = False
        self.tc_requires_key_exchange = True  # Z-Stack 3.x default (bdbTrustCenterRequireKeyExchange)
        self.running = False  # network started since the last reset
        self.permit_until = 0.0  # virtual time
        self.primary_channels = t.Channels.NO_CHANNELS
        self.served: collections.Counter[str] = collections.Counter()  # MT requests by name
        self.unknown: list[int] = []  # MT headers we had no handler for
        self.faults: list[str] = []  # requests whose handler raised (emulator bugs)
        self.callbacks_sent = 0
        self.data_to_host = 0  # AF.IncomingMsg and ZDO.MsgCbIncoming sent to the host
        self._send: Send | None = None
        self._pending: list[Outgoing] = []
        self._aps_counter = 0
        self.aps_frame_counter = 0  # outgoing APS security frame counter (the trust centre's)
        self.aps_dropped = 0  # secured frames that did not open under the sender's link key
        self._zdo_tsn = 0  # ZDO requests the stick itself sends (MT ZDO commands)
        self._aps_duplicates = ApsDuplicateFilter()
        self._rng = random.Random(ieee.serialize())
        # Told each time the stick restarts on a network it already holds (BDB formation
        # finding one in NV): the moment a formed stick's state is taken (harness.sim.world).
        self.on_network_restart: Callable[[], None] | None = None
        self._handlers = self._handler_table()
        self._raw_handlers = {
            request.header: (request.__qualname__, response.header, raw)
            for request, response, raw in self._raw_handler_table()
        }

    def formed_state(self) -> FormedStick:
        return FormedStick(self.nvram.snapshot(), self._rng.getstate())

    def start_from(self, formed: FormedStick) -> None:
        """Power up holding a formed stick's state (before any host has connected)."""
        self.nvram.restore(formed.nv)
        self._rng.setstate(formed.rng_state)  # type: ignore[arg-type]

    def _handler_table(self) -> dict[type, Handler]:
        """MT request class -> handler; the emulator declares it."""
        raise NotImplementedError

    def _raw_handler_table(self) -> list[tuple[type, type, RawHandler]]:
        """(request class, response class, raw handler) for the bulk requests; optional."""
        return []

    # -- host side -------------------------------------------------------------------
    def connect_host(self, send: Send) -> None:
        self._send = send

    def disconnect_host(self) -> None:
        self._send = None

    def handle_frame(self, frame: GeneralFrame) -> None:
        """One MT frame from the host: answer it (SRSP) and emit any callbacks."""
        raw = self._raw_handlers.get(frame.header)
        if raw is not None and self._handle_raw(frame, *raw):
            return
        request_cls = c.COMMANDS_BY_ID.get(frame.header)
        handler = self._handlers.get(request_cls) if request_cls else None
        if request_cls is None or handler is None:
            self.unknown.append(int(frame.header))
            LOGGER.warning("emulated Z-Stack: no handler for MT header 0x%04X", frame.header)
            self._emit(
                c.RPCError.CommandNotRecognized.Rsp(
                    ErrorCode=c.rpc_error.ErrorCode.InvalidCommandId,
                    RequestHeader=frame.header,
                )
            )
            return
        request = request_cls.from_frame(frame, align=True)
        self.served[type(request).__qualname__] += 1
        try:
            response = handler(request)
        except Exception:
            # An emulator bug must show up as a bench error on the host (its request
            # times out), never take the port down silently.
            self.faults.append(type(request).__qualname__)
            self._pending.clear()
            LOGGER.exception("emulated Z-Stack: handler for %s failed", type(request).__qualname__)
            return
        if response is not None:
            self._emit(response, first=True)
        for callback in self._pending:
            self._emit(callback)
        self._pending.clear()

    def _handle_raw(self, frame: GeneralFrame, name: str, response: t.CommandHeader, raw: RawHandler) -> bool:
        try:
            payload = raw(bytes(frame.data))
        except Exception:
            self.served[name] += 1  # as the command path counts a request whose handler failed
            self.faults.append(name)
            self._pending.clear()
            LOGGER.exception("emulated Z-Stack: raw handler for %s failed", name)
            return True  # as for any handler: the host's request times out
        if payload is None:
            self._pending.clear()
            return False
        self.served[name] += 1
        self._emit(GeneralFrame(response, payload), first=True)
        for callback in self._pending:
            self._emit(callback)
        self._pending.clear()
        return True

    def _later(self, *callbacks: Outgoing) -> None:
        """Queue callbacks to follow the synchronous response of this request."""
        self._pending.extend(callbacks)

    def _callback(self, command: Outgoing) -> None:
        """An unsolicited callback (from the air or a timer), outside any request."""
        self._emit(command)

    def _emit(self, command: Outgoing, first: bool = False) -> None:
        if self._send is None:
            return
        if not first:
            self.callbacks_sent += 1
        frame = command if isinstance(command, GeneralFrame) else command.to_frame(align=True)
        if frame.header in _DATA_TO_HOST:
            self.data_to_host += 1
        self._send(frame)
