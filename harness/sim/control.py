"""A standalone emulator's control endpoint: SimulationFacade served to a harness elsewhere.

What only a simulation can do (the virtual clock, "is the world quiet" so that the clock may
jump, the unit's power and rejoin, its display and the environment line) cannot cross the
coordinator's serial port, so a standalone emulator (harness.sim.standalone) serves its
SimulationFacade here, one JSON line per message (harness.control_wire), to the harness's
client (harness.bench.remote_sim).

Quiet stays SimulationFacade's own check. The harness reports its side of the serial link
(MT frames written and parsed, data indications handled, idle, whether zigpy knows the
unit) with every `quiet` and `advance` request; the facade compares those with what the
emulator counted, here, against the world as it is now. A frame still inside ser2net, a pty
or a socket has been counted on one side only, so the world is not quiet. `advance` checks
quiet again before it moves the clock: the world runs on while an answer travels, so a
"quiet" the harness read a moment ago is never what lets time jump.

One harness session per emulator: its world has moved on after a run (the unit has joined,
its records have changed), so a second session is refused; the emulator ends when the
session does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from harness.control_wire import PROTOCOL, LineReader, WireError, encode, endpoint_url
from harness.domain import DataClass, Item
from harness.errors import BenchError
from harness.sim.facade import SimulationFacade

LOGGER = logging.getLogger(__name__)


class ReportedHost:
    """The harness's side of the serial link as its last request reported it
    (harness.bench.han.HostActivity, fed over the control channel)."""

    def __init__(self, unit_ieee: str) -> None:
        self._unit_ieee = unit_ieee
        self.mt_out = 0
        self.mt_in = 0
        self.data_in = 0
        self._idle = False
        self._knows_unit = False

    def update(self, report: dict[str, Any]) -> None:
        try:
            self.mt_out = int(report["mt_out"])
            self.mt_in = int(report["mt_in"])
            self.data_in = int(report["data_in"])
            self._idle = bool(report["idle"])
            self._knows_unit = bool(report["knows_unit"])
        except (KeyError, TypeError, ValueError) as error:
            raise WireError(f"a host report without its counts: {error}") from error

    def idle(self) -> bool:
        return self._idle

    def knows(self, ieee: str) -> bool:
        return ieee == self._unit_ieee and self._knows_unit


def _items(items: frozenset[Item] | None) -> list[list[Any]] | None:
    return None if items is None else [list(item) for item in sorted(items)]


class ControlServer:
    """Serves one SimulationFacade (started) to one harness session."""

    def __init__(self, facade: SimulationFacade, *, model: str, seed: int) -> None:
        self.facade = facade
        self._model = model
        self._seed = seed
        self._unit_ieee = str(facade.world.uut.ieee)
        self._host = ReportedHost(self._unit_ieee)
        self._server: asyncio.Server | None = None
        self._sessions = 0
        self._writer: asyncio.StreamWriter | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self.session_over = asyncio.Event()  # the one session came and went: the emulator may end
        self.url: str | None = None

    async def start(self, host: str, port: int) -> str:
        self._server = await asyncio.start_server(self._serve, host, port)
        bound = self._server.sockets[0].getsockname()
        self.url = endpoint_url(bound[0], bound[1])
        return self.url

    async def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._writer is not None:
            self._writer.close()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    # -- one session ----------------------------------------------------------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._sessions:
            writer.write(
                encode(
                    {
                        "id": 0,
                        "error": "this emulator has already served a harness session and its world has moved "
                        "on (the unit joined, its records changed): start a fresh cot-harness emulate for every run",
                    }
                )
            )
            with contextlib.suppress(ConnectionError):
                await writer.drain()
            writer.close()
            return
        self._sessions += 1
        self._writer = writer
        lines = LineReader()
        try:
            while data := await reader.read(65536):
                for message in lines.feed(data):
                    writer.write(encode(self._answer(message)))
                await writer.drain()
        except (ConnectionError, WireError) as error:
            LOGGER.warning("control session ended: %s", error)
        finally:
            if self._unsubscribe is not None:
                self._unsubscribe()
                self._unsubscribe = None
            self._writer = None
            writer.close()
            self.session_over.set()

    def _base(self) -> float:
        return self.facade.clock.now() - time.monotonic()

    def _answer(self, message: dict[str, Any]) -> dict[str, Any]:
        ident = message.get("id")
        try:
            answer = self._do(str(message.get("op")), message)
        except (BenchError, WireError, ValueError, KeyError) as error:
            return {"id": ident, "error": str(error), "base": self._base()}
        return {"id": ident, **answer, "base": self._base()}

    def _do(self, op: str, message: dict[str, Any]) -> dict[str, Any]:
        facade = self.facade
        if op == "hello":
            if message.get("protocol") != PROTOCOL:
                raise WireError(f"the harness speaks {message.get('protocol')!r}; this emulator {PROTOCOL!r}")
            display = facade.display()
            unit = facade.world.uut
            self._unsubscribe = display.subscribe(self._on_display_change)
            return {
                "protocol": PROTOCOL,
                "model": self._model,
                "seed": self._seed,
                "unit_ieee": self._unit_ieee,
                "environment": facade.environment(),
                "displays": getattr(unit, "displayed", None) is not None,
                "display_events": self._unsubscribe is not None,
                "mono": time.monotonic(),
            }
        if op == "bind":
            self._host.update(message["host"])
            facade.bind_host(self._host)
            return self._link()
        if op == "quiet":
            self._host.update(message["host"])
            return {"quiet": facade.quiet(), **self._link()}
        if op == "advance":
            self._host.update(message["host"])
            # Checked again here, against the world as it is now: see the module's docstring.
            if not facade.quiet():
                return {"advanced": False, **self._link()}
            facade.advance_to(float(message["deadline"]))
            return {"advanced": True, **self._link()}
        if op == "act":
            facade.act_on_unit(str(message["action"]))
            return {}
        if op == "displayed":
            return {"items": _items(facade.display().displayed(DataClass(message["class"])))}
        if op == "sync":
            return {}  # a barrier: every event before it has been written
        raise WireError(f"unknown request {op!r}")

    def _link(self) -> dict[str, Any]:
        """The serial link as the emulator sees it, for the harness's watch on it: frames in
        flight each way, what was served, and frames that arrived corrupted."""
        server = self.facade.world.server
        return {
            "in_flight": list(self.facade.in_flight()),
            "frames_in": server.frames_in,
            "frames_out": server.frames_out,
            "bad_frames": server.bad_frames,
        }

    def _on_display_change(self, data_class: DataClass, added: frozenset[Item], removed: frozenset[Item]) -> None:
        if self._writer is None:
            return
        # Written at once, before the answer to the request that caused it (if any).
        self._writer.write(
            encode(
                {
                    "event": "display",
                    "class": data_class.value,
                    "added": _items(added),
                    "removed": _items(removed),
                    "at": self.facade.clock.now(),
                    "base": self._base(),
                }
            )
        )
