"""The emulator's state and its MT link to the host: one request in, SRSP then callbacks out.

Separate from the handlers so every subsystem module (SYS, NV, UTIL, BDB/ZDO, AF) reads and
changes the same declared state, and the ordering rule of the link (the synchronous
response first, then the callbacks the request queued) lives in one place.
"""

from __future__ import annotations

import collections
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
from harness.sim.nvram import Nvram

# One logger for the whole emulator, named after its package.
LOGGER = logging.getLogger("harness.sim.zstack")

Send = Callable[[GeneralFrame], None]
Handler = Callable[[Any], t.CommandBase | None]


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
        self.running = False  # network started since the last reset
        self.permit_until = 0.0  # virtual time
        self.primary_channels = t.Channels.NO_CHANNELS
        self.served: collections.Counter[str] = collections.Counter()  # MT requests by name
        self.unknown: list[int] = []  # MT headers we had no handler for
        self.faults: list[str] = []  # requests whose handler raised (emulator bugs)
        self.callbacks_sent = 0
        self.data_to_host = 0  # AF.IncomingMsg and ZDO.MsgCbIncoming sent to the host
        self._send: Send | None = None
        self._pending: list[t.CommandBase] = []
        self._aps_counter = 0
        self._aps_duplicates = ApsDuplicateFilter()
        self._rng = random.Random(ieee.serialize())
        self._handlers = self._handler_table()

    def _handler_table(self) -> dict[type, Handler]:
        """MT request class -> handler; the emulator declares it."""
        raise NotImplementedError

    # -- host side -------------------------------------------------------------------
    def connect_host(self, send: Send) -> None:
        self._send = send

    def disconnect_host(self) -> None:
        self._send = None

    def handle_frame(self, frame: GeneralFrame) -> None:
        """One MT frame from the host: answer it (SRSP) and emit any callbacks."""
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

    def _later(self, *callbacks: t.CommandBase) -> None:
        """Queue callbacks to follow the synchronous response of this request."""
        self._pending.extend(callbacks)

    def _callback(self, command: t.CommandBase) -> None:
        """An unsolicited callback (from the air or a timer), outside any request."""
        self._emit(command)

    def _emit(self, command: t.CommandBase, first: bool = False) -> None:
        if self._send is None:
            return
        if not first:
            self.callbacks_sent += 1
        if isinstance(command, (c.AF.IncomingMsg.Callback, c.ZDO.MsgCbIncoming.Callback)):
            self.data_to_host += 1
        self._send(command.to_frame(align=True))
