"""The emulated stick served on a loopback TCP port, for clients that are not the harness.

The emulator runs on its own thread and event loop (as behind ser2net), one per test; the
clients are real programs in real subprocesses (zigpy-znp's own tools, zigpy-cli), or
zigpy-znp in-process on the stick's loop where a test needs a device to join first.
Nothing waits on a fixed sleep: subprocesses have a deadline far above what they need on a
loaded machine, and waits on the loop are conditions with one too.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import zigpy.types as zt
from zigpy_znp.zigbee.application import ControllerApplication

from harness.sim.air import Air, AirFrame
from harness.sim.clock import VirtualClock
from harness.sim.mt_server import MtServer
from harness.sim.zstack import ZStackEmulator

STICK_IEEE = "00:12:4b:00:1c:a1:b2:c3"
DATA = Path(__file__).parent / "data"
# Far above what any of these clients needs (a few seconds; zigpy's channel change sleeps
# 6 s by design): only a hung client reaches it.
CLIENT_DEADLINE_S = 240.0
T = TypeVar("T")


class JoiningDevice:
    """A device on the simulated air that joins through the trust centre as soon as
    permit-join opens (what a SimNode does, without an application)."""

    def __init__(self, stick: EmulatedStick, ieee: str) -> None:
        self.stick = stick
        self.ieee = zt.EUI64.convert(ieee)
        self.nwk: int | None = None
        self.received: list[AirFrame] = []

    def try_join(self) -> None:
        nwk = self.stick.emulator.admit(self.ieee)
        if nwk is not None:
            self.nwk = nwk
            self.stick.air.remove_permit_listener(self.try_join)
            self.stick.air.attach(self)

    def receive(self, frame: AirFrame) -> None:
        self.received.append(frame)


class EmulatedStick:
    """An emulator and its TCP port on a private thread; `path` is what a client opens."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="emulated-stick", daemon=True)
        self._thread.start()
        self.clock = VirtualClock()
        self.air: Air
        self.emulator: ZStackEmulator
        self.server: MtServer
        self.path = self.run(self._start())

    async def _start(self) -> str:
        self.clock.bind(self.loop)
        self.air = Air(self.loop, self.clock)
        self.emulator = ZStackEmulator(zt.EUI64.convert(STICK_IEEE), self.air, self.clock)
        self.server = MtServer(self.emulator)
        return await self.server.start_tcp()

    def run(self, coro: Awaitable[T], timeout: float = CLIENT_DEADLINE_S) -> T:
        """Run a coroutine on the stick's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)  # type: ignore[arg-type]

    def call(self, fn: Callable[[], T]) -> T:
        async def call() -> T:
            return fn()

        return self.run(call())

    def device(self, ieee: str) -> JoiningDevice:
        """A device waiting for permit-join (it joins when a host opens it)."""
        device = JoiningDevice(self, ieee)
        self.call(lambda: self.air.on_permit_open(device.try_join))
        return device

    def stop(self) -> None:
        try:
            self.run(self.server.close(), timeout=30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=30)
            self.loop.close()


@pytest.fixture
def stick() -> Iterator[EmulatedStick]:
    emulated = EmulatedStick()
    try:
        yield emulated
        # A handler that raised is an emulator bug, whatever the client made of it; a request
        # without a handler is what the emulator does not implement yet: both fail the test.
        faults, unknown = emulated.call(lambda: (list(emulated.emulator.faults), list(emulated.emulator.unknown)))
        assert not faults, f"emulator handlers raised for {faults}"
        assert not unknown, f"MT requests the emulator does not implement: {[f'0x{h:04X}' for h in unknown]}"
    finally:
        emulated.stop()


async def start_host(stick: EmulatedStick, channel: int | None = 15) -> ControllerApplication:
    """zigpy-znp in-process on the stick's loop, started (forming a network when blank)."""
    config: dict[str, Any] = {
        "device": {"path": stick.path},
        "backup_enabled": False,
        "startup_energy_scan": False,
    }
    if channel is not None:
        config["network"] = {"channel": channel}
    return await ControllerApplication.new(config, auto_form=True)


async def until(condition: Callable[[], object], what: str, deadline_s: float = 30.0) -> None:
    """Wait on the loop for a condition; a deadline far above what it needs."""
    try:
        async with asyncio.timeout(deadline_s):
            while not condition():
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"not within {deadline_s:.0f} s: {what}") from None


def join_one(stick: EmulatedStick, ieee: str) -> int:
    """A host opens permit-join and the device joins; returns its NWK address."""
    device = stick.device(ieee)

    async def join() -> None:
        app = await start_host(stick)
        try:
            await app.permit(60)
            await until(lambda: device.nwk is not None, f"{ieee} joins while permit-join is open")
        finally:
            await app.shutdown()

    stick.run(join())
    assert device.nwk is not None
    return device.nwk


def run_client(*argv: str) -> subprocess.CompletedProcess[str]:
    """A client program in a subprocess; fails the test with its output when it fails."""
    done = subprocess.run(argv, capture_output=True, text=True, timeout=CLIENT_DEADLINE_S)
    assert done.returncode == 0, f"{' '.join(argv[:4])} exited {done.returncode}:\n{done.stdout}\n{done.stderr[-4000:]}"
    return done


def znp_tool(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    """One of zigpy-znp's maintenance tools (python -m zigpy_znp.tools.<tool>)."""
    return run_client(sys.executable, "-m", f"zigpy_znp.tools.{tool}", *args)


def zigpy_cli(path: str, *args: str) -> subprocess.CompletedProcess[str]:
    """zigpy-cli's radio commands for a Z-Stack radio (`zigpy radio znp PORT ...`), by the
    console script it installs beside this interpreter (its package has no runnable
    __main__)."""
    script = Path(sys.executable).with_name("zigpy")
    assert script.exists(), f"zigpy-cli is not installed beside {sys.executable} (pip install -e '.[test]')"
    return run_client(str(script), "radio", "znp", path, *args)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())
