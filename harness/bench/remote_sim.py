"""The HAN facade of a standalone emulator (cot-harness emulate), over its control endpoint.

The second implementation of harness.bench.han.Han for a simulation: the profile's
radio.path reaches the emulator's serial port (directly, through ser2net, labgrid, a pty)
exactly as it would reach a stick, and `simulation.control` names the endpoint that serves
what no serial port carries (harness.sim.control). Every method runs on the bench's event
loop and makes one request at a time: send, then read until its answer, handing the
display events read on the way to the watchers in the order they happened. Between
requests the socket is watched by the loop, so an event is handed on as it arrives.

The clock is a mirror: the emulator's virtual clock is its monotonic clock plus an offset
that only the harness's `advance` moves, and every message from the emulator carries that
offset (`base`), so now() here is the emulator's now() without a request. On one machine
the two monotonic clocks are one; across machines the skew is measured once, at hello.
A display event is handed on with the clock pinned to the virtual time it happened at,
as the in-process watcher sees it.

A lost control endpoint (the emulator gone, the connection cut) is a FatalBenchError: the
case it happens in is broken, the rest are blocked.
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from harness.control_wire import PROTOCOL, LineReader, WireError, encode, parse_endpoint
from harness.domain import DataClass, Item
from harness.errors import BenchError, FatalBenchError, PreconditionNotMet

if TYPE_CHECKING:
    from harness.bench.han import HostActivity
    from harness.observe.simulation import Watcher
    from harness.profile import Profile

CONNECT_TIMEOUT_S = 10.0  # real seconds to reach the endpoint at all
# Real seconds an answer may take. The emulator answers each request from memory in well
# under a millisecond; the margin is for a loaded machine, never reached by a live one.
ANSWER_TIMEOUT_S = 60.0


# Real seconds a frame may stay counted on one side of the serial link only while nothing at
# all moves on it, before the link counts as having lost it. A frame crosses a pty, a socket or
# ser2net in milliseconds; only a line that dropped or corrupted bytes keeps one in flight.
LINK_STALL_S = 30.0


class ControlLost(FatalBenchError):
    """The standalone emulator's control endpoint went away or stopped answering."""


class SerialLinkBroken(FatalBenchError):
    """MT frames were corrupted or lost between zigpy-znp and the emulator: the two sides no
    longer agree what was said, so the virtual clock can never safely jump again."""


class RemoteClock:
    """The emulator's virtual clock, mirrored (see the module's docstring)."""

    def __init__(self) -> None:
        self._base = 0.0  # emulator's virtual now minus this machine's monotonic clock
        self._pinned: float | None = None

    def now(self) -> float:
        return self._pinned if self._pinned is not None else time.monotonic() + self._base

    def stamp(self) -> float:
        return self.now()  # the emulator's clock keeps real time: frames are apart by themselves

    def follow(self, base: float) -> None:
        self._base = base

    @contextlib.contextmanager
    def pinned(self, when: float) -> Any:
        self._pinned = when
        try:
            yield
        finally:
            self._pinned = None


class RemoteSimulation:
    poll_interval = 0.002  # as SimulationFacade: a busy simulated world is re-checked this often
    virtual_time = True
    skip_bootloader = False  # an emulated stick has no serial bootloader to skip

    def __init__(self, profile: Profile) -> None:
        assert profile.simulation is not None and profile.simulation.control is not None
        self._profile = profile
        self._url = profile.simulation.control
        self._model = profile.simulation.model
        self.clock = RemoteClock()
        self._skew = 0.0  # emulator's monotonic clock minus ours (0 on one machine)
        self._sock: socket.socket | None = None
        self._lines = LineReader()
        self._next_id = 0
        # Reentrant: a watcher an event is handed to may ask the display (a nested request).
        self._lock = threading.RLock()
        self._answers: dict[int, dict[str, Any]] = {}  # read by a nested request, not yet taken
        self._lost: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._host: HostActivity | None = None
        self._unit_ieee = ""
        self._environment: dict[str, str] = {}
        self._displays = False
        self._display_events = False
        self._watchers: list[Watcher] = []
        self._bad_frames_at_bind = 0
        self._stall: tuple[Any, ...] | None = None  # the link's counts while something is in flight
        self._stall_since = 0.0

    # -- life -------------------------------------------------------------------------------
    async def start(self) -> str:
        host, port = parse_endpoint(self._url)
        try:
            sock = socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S)
        except OSError as error:
            raise PreconditionNotMet(
                f"simulation.control {self._url}: cannot reach the emulator's control endpoint ({error}): "
                "is cot-harness emulate running with that --control, and reachable from here?"
            ) from error
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        sent = time.monotonic()
        hello = self._request("hello", protocol=PROTOCOL)
        received = time.monotonic()
        theirs = float(hello["mono"])
        # One machine, one monotonic clock: theirs was read between our two readings.
        self._skew = 0.0 if sent <= theirs <= received else theirs - (sent + received) / 2
        self.clock.follow(float(hello["base"]) + self._skew)
        if hello["model"] != self._model:
            raise PreconditionNotMet(
                f"simulation.model is {self._model!r} but the emulator at {self._url} plays {hello['model']!r}: "
                "point the profile at the right emulator, or write it with cot-harness emulate --write-profile"
            )
        self._unit_ieee = str(hello["unit_ieee"])
        self._displays = bool(hello["displays"])
        self._display_events = bool(hello["display_events"])
        self._environment = {str(k): str(v) for k, v in dict(hello["environment"]).items()}
        self._environment["emulated"] += f"; a standalone emulator, control {self._url}"
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(sock.fileno(), self._on_readable)
        return self._profile.radio.path

    async def stop(self) -> None:
        sock, self._sock = self._sock, None
        if sock is None:
            return
        if self._loop is not None:
            with contextlib.suppress(Exception):
                self._loop.remove_reader(sock.fileno())
        sock.close()  # the emulator's session ends: it closes its ports and exits

    # -- the facade -----------------------------------------------------------------------
    def bind_host(self, host: HostActivity) -> None:
        self._host = host
        self._bad_frames_at_bind = int(self._request("bind", host=self._report())["bad_frames"])

    def check_world(self) -> None:
        # The standalone emulator's models run in its own process (cot-harness emulate), which
        # logs what they raise; nothing of the simulation runs in this one.
        return None

    def quiet(self) -> bool:
        if self._host is None:
            return False
        answer = self._request("quiet", host=self._report())
        self._watch_link(answer)
        return bool(answer["quiet"])

    def advance_to(self, deadline: float) -> None:
        # The emulator moves its clock only if it is still quiet when the request arrives;
        # if not, nothing moves and the bench's wait looks again.
        self._watch_link(self._request("advance", host=self._report(), deadline=deadline))

    def event_world(self) -> None:
        return None  # a standalone emulator's clock keeps real time: its air delivers by itself

    def _watch_link(self, answer: dict[str, Any]) -> None:
        """SerialLinkBroken when the line corrupted a frame (the emulator saw a bad checksum)
        or a frame stays counted on one side only while nothing moves for LINK_STALL_S: the
        bytes were lost, and without this every wait would run its virtual deadline (hours)
        in real time, never quiet."""
        corrupted = int(answer["bad_frames"]) - self._bad_frames_at_bind
        if corrupted > 0:
            raise SerialLinkBroken(
                f"the emulator received {corrupted} corrupted MT frame(s) (bad checksum) from zigpy-znp over "
                f"{self._profile.radio.path}: the serial line is corrupting bytes; every remaining case is blocked. "
                "Check the cable, ser2net's serial settings (115200n81, no flow control) and that nothing else "
                "writes to the port"
            )
        to_stick, to_host = (int(n) for n in answer["in_flight"])
        if (to_stick, to_host) == (0, 0):
            self._stall = None
            return
        counts = (to_stick, to_host, answer["frames_in"], answer["frames_out"])
        now = time.monotonic()
        if counts != self._stall:
            self._stall, self._stall_since = counts, now
            return
        if now - self._stall_since > LINK_STALL_S:
            raise SerialLinkBroken(
                f"MT frames lost on the serial line {self._profile.radio.path}: {max(to_host, 0)} the emulator "
                f"wrote never reached zigpy-znp and {max(to_stick, 0)} zigpy-znp wrote never reached the emulator, "
                f"with nothing moving for {LINK_STALL_S:g} s (garbage or dropped bytes on the line); the two "
                "sides no longer agree what was said, so every remaining case is blocked"
            )

    def act_on_unit(self, action: str) -> None:
        self._request("act", action=action)

    def send_from_foreign_node(self, dst_ep: int, src_ep: int, cluster_id: int, payload: bytes, link_key: bytes) -> str:
        # The key would have to cross the control endpoint: it never leaves the harness's process.
        raise BenchError("bench.foreign_node: not through a standalone emulator's control endpoint")

    def display(self) -> _RemoteDisplay | None:
        return _RemoteDisplay(self) if self._displays or self._display_events else None

    def environment(self) -> dict[str, str]:
        return dict(self._environment)

    # -- what the display needs -------------------------------------------------------------
    def displayed(self, data_class: DataClass) -> frozenset[Item] | None:
        if not self._displays:
            return None
        items = self._request("displayed", **{"class": data_class.value})["items"]
        return None if items is None else frozenset(_item(i) for i in items)

    def subscribe(self, watcher: Watcher) -> Callable[[], None] | None:
        if not self._display_events:
            return None
        # A barrier first: a change the emulator made before this subscription, still on its
        # way, goes to the watchers there were when it happened, not to this one.
        self._request("sync")
        self._watchers.append(watcher)
        return lambda: self._watchers.remove(watcher)

    # -- the wire ---------------------------------------------------------------------------
    def _report(self) -> dict[str, Any]:
        host = self._host
        assert host is not None
        return {
            "mt_out": host.mt_out,
            "mt_in": host.mt_in,
            "data_in": host.data_in,
            "idle": host.idle(),
            "knows_unit": host.knows(self._unit_ieee),
        }

    def _lose(self, why: str) -> ControlLost:
        if self._lost is None:
            self._lost = why
        return ControlLost(
            f"the emulator's control endpoint {self._url} was lost ({self._lost}): the simulated unit can no "
            "longer be timed, powered or observed, so every remaining case is blocked; is cot-harness emulate "
            "still running?"
        )

    def _request(self, op: str, **fields: Any) -> dict[str, Any]:
        with self._lock:
            if self._lost is not None or self._sock is None:
                raise self._lose(self._lost or "not connected")
            self._next_id += 1
            ident = self._next_id
            self._send(encode({"id": ident, "op": op, **fields}))
            deadline = time.monotonic() + ANSWER_TIMEOUT_S
            while ident not in self._answers:
                for message in self._receive(deadline, op):
                    if "event" in message:
                        self._dispatch(message)
                    elif isinstance(message.get("id"), int):
                        self.clock.follow(float(message.get("base", 0.0)) + self._skew)
                        self._answers[message["id"]] = message
                    if 0 in self._answers:  # the emulator refused the session itself
                        raise PreconditionNotMet(f"simulation.control {self._url}: {self._answers[0]['error']}")
            message = self._answers.pop(ident)
            if "error" in message:
                raise BenchError(f"the standalone emulator refused {op}: {message['error']}")
            return message

    def _send(self, data: bytes) -> None:
        assert self._sock is not None
        view = memoryview(data)
        deadline = time.monotonic() + ANSWER_TIMEOUT_S
        while view:
            try:
                view = view[self._sock.send(view) :]
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise self._lose("it took nothing for 60 s") from None
                select.select([], [self._sock], [], 0.05)
            except OSError as error:
                raise self._lose(str(error) or type(error).__name__) from error

    def _receive(self, deadline: float, op: str) -> list[dict[str, Any]]:
        """The messages of the next chunk that arrives (blocking until one does)."""
        assert self._sock is not None
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._lose(f"no answer to {op} within {ANSWER_TIMEOUT_S:g} s")
            readable, _, _ = select.select([self._sock], [], [], remaining)
            if not readable:
                continue
            try:
                data = self._sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError as error:
                raise self._lose(str(error) or type(error).__name__) from error
            if not data:
                raise self._lose("the emulator closed it")
            try:
                return self._lines.feed(data)
            except WireError as error:
                raise self._lose(str(error)) from error

    def _on_readable(self) -> None:
        """Events between requests, as they arrive (on the bench loop)."""
        if self._sock is None or not self._lock.acquire(blocking=False):
            return  # a request is reading: it hands the events on
        try:
            try:
                data = self._sock.recv(65536)
            except BlockingIOError:
                return
            except OSError as error:
                data, why = b"", str(error)
            else:
                why = "the emulator closed it"
            if not data:
                self._lost = self._lost or why
                assert self._loop is not None
                self._loop.remove_reader(self._sock.fileno())
                return
            try:
                messages = self._lines.feed(data)
            except WireError as error:
                self._lost = self._lost or str(error)
                return
            for message in messages:
                if "event" in message:
                    self._dispatch(message)
        finally:
            self._lock.release()

    def _dispatch(self, message: dict[str, Any]) -> None:
        self.clock.follow(float(message["base"]) + self._skew)
        if message["event"] != "display":
            return
        data_class = DataClass(message["class"])
        added = frozenset(_item(i) for i in message["added"])
        removed = frozenset(_item(i) for i in message["removed"])
        with self.clock.pinned(float(message["at"])):
            for watcher in list(self._watchers):
                watcher(data_class, added, removed)


class _RemoteDisplay:
    """harness.observe.simulation.Display over the control endpoint."""

    def __init__(self, han: RemoteSimulation) -> None:
        self._han = han

    def displayed(self, data_class: DataClass) -> frozenset[Item] | None:
        return self._han.displayed(data_class)

    def subscribe(self, watcher: Watcher) -> Callable[[], None] | None:
        return self._han.subscribe(watcher)


def _item(raw: list[Any]) -> Item:
    fuel, key, value = raw
    return (str(fuel), int(key), int(value))
