"""The simulated HAN a profile names: clock, air, emulated coordinator and the UUT model.

The bench starts it when the profile's radio path is sim://, then talks to it only
through the coordinator's serial path (TCP or pty), like to a stick on a lab bench. The
simulation observer and bench capabilities (power, rejoin) are the only other ways in.
"""

from __future__ import annotations

import asyncio
import importlib
from typing import TYPE_CHECKING, Literal

import zigpy.types as zt

from harness.errors import BenchError
from harness.sim.air import Air, AirFaults
from harness.sim.clock import VirtualClock
from harness.sim.mt_server import MtServer
from harness.sim.node import SimNode
from harness.sim.zstack import ZStackEmulator

if TYPE_CHECKING:
    from harness.profile import Profile

COORDINATOR_IEEE = "00:12:4b:00:1c:a1:b2:c3"  # a TI OUI, as a real CC2652 stick has


def load_model(reference: str) -> type[SimNode]:
    """Import a device model named "module:Class" (built-ins use the same mechanism)."""
    module_name, _, class_name = reference.partition(":")
    try:
        module = importlib.import_module(module_name)
        model = getattr(module, class_name)
    except (ImportError, AttributeError) as exc:
        raise BenchError(f"simulation.model {reference!r} cannot be loaded: {exc}") from exc
    if not (isinstance(model, type) and issubclass(model, SimNode)):
        raise BenchError(f"simulation.model {reference!r} is not a SimNode subclass")
    return model


class SimWorld:
    """Everything behind the emulated coordinator's serial port."""

    def __init__(
        self,
        profile: Profile,
        transport: Literal["tcp", "pty"] = "tcp",
        air: AirFaults | None = None,
        seed: int | None = None,
    ) -> None:
        assert profile.simulation is not None
        self.profile = profile
        self.transport = transport
        spec = profile.simulation.air
        self.faults = air or AirFaults(
            loss=spec.loss,
            delay=spec.delay.total_seconds(),
            jitter=spec.jitter.total_seconds(),
            duplicate=spec.duplicate,
            reorder=spec.reorder,
        )
        self.seed = profile.simulation.seed if seed is None else seed
        self.model = load_model(profile.simulation.model)
        self.clock = VirtualClock()
        self.air: Air
        self.coordinator: ZStackEmulator
        self.server: MtServer
        self.uut: SimNode

    async def start(self) -> str:
        """Start the emulator and power the UUT on; returns the serial path for zigpy-znp."""
        loop = asyncio.get_running_loop()
        self.clock.bind(loop)
        self.air = Air(loop, self.clock, self.faults, seed=self.seed)
        self.coordinator = ZStackEmulator(zt.EUI64.convert(COORDINATOR_IEEE), self.air, self.clock)
        self.server = MtServer(self.coordinator)
        path = await self.server.start_tcp() if self.transport == "tcp" else self.server.start_pty()
        self.uut = self.model(self)
        self.uut.power_on()  # it joins as soon as the coordinator permits joining
        return path

    async def stop(self) -> None:
        self.uut.power_off()
        await self.server.close()

    def quiet(self) -> bool:
        """Nothing is moving on the simulated side: only a timer can change anything."""
        return self.air.in_flight == 0
