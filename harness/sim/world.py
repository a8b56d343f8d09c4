"""The simulated HAN a profile names: clock, air, emulated coordinator and the UUT model.

The bench starts it when the profile's radio path is sim://, then talks to it only
through the coordinator's serial path (TCP or pty), like to a stick on a lab bench. The
simulation observer and bench capabilities (power, rejoin) are the only other ways in.

A lab's stick is normally already formed, and the harness keeps a network that matches the
profile (harness/radio/coordinator.py). So does a simulated one, except the first of a
process: that stick starts blank and zigpy-znp forms it (the blank-stick path, always
exercised), and the stick's state is taken the moment it first restarts on the profile's
network, before any unit can have joined (`FORMED`). Later worlds of the process with the
same radio settings and stick address start from a copy, so zigpy-znp finds the network and
does not form (the 457 table entries it writes and reads back one by one are most of a
run's MT frames). `prepare_formed_stick` takes that state without a unit (the selftest
template, before it forks its runs).
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Literal

import zigpy.types as zt
import zigpy_znp.types as t
from zigpy_znp.types.nvids import OsalNvIds

from harness.errors import BenchError
from harness.sim.air import Air, AirFaults
from harness.sim.clock import VirtualClock
from harness.sim.model_faults import ModelFaults
from harness.sim.mt_server import MtServer
from harness.sim.node import SimNode
from harness.sim.zstack import ZStackEmulator
from harness.sim.zstack.core import FormedStick

if TYPE_CHECKING:
    from harness.profile import Profile

COORDINATOR_IEEE = "00:12:4b:00:1c:a1:b2:c3"  # a TI OUI, as a real CC2652 stick has

# What decides the NV a formed stick holds: channel, PAN ID, extended PAN ID and network key
# as the profile names them (None: zigpy-znp picks one when it forms), and the stick's address.
StickKey = tuple[int, int, str | None, bytes | None, str]
# The formed sticks of this process, by StickKey (taken right after formation, no joins).
FORMED: dict[StickKey, FormedStick] = {}


def stick_key(profile: Profile) -> StickKey:
    radio = profile.radio
    key = radio.network_key
    network_key = bytes.fromhex(key.get_secret_value().replace(":", "")) if key else None
    ext_pan = str(t.EUI64.convert(radio.extended_pan_id)) if radio.extended_pan_id else None
    return (radio.channel, radio.pan_id, ext_pan, network_key, COORDINATOR_IEEE)


def holds_network_of(stick: ZStackEmulator, key: StickKey) -> bool:
    """The stick's NV holds the network the settings name (what the harness keeps)."""
    channel, pan_id, ext_pan, network_key, _ieee = key
    nib = stick.nvram.read_as(OsalNvIds.NIB, t.NIB)
    active = stick.nvram.read_as(OsalNvIds.NWK_ACTIVE_KEY_INFO, t.NwkKeyDesc)
    if not isinstance(nib, t.NIB) or not isinstance(active, t.NwkKeyDesc):
        return False
    return (
        nib.nwkLogicalChannel == channel
        and nib.nwkPanId == pan_id
        and (ext_pan is None or str(nib.extendedPANID) == ext_pan)
        and (network_key is None or bytes(active.Key) == network_key)
    )


def _keep_when_formed(stick: ZStackEmulator, key: StickKey) -> None:
    """Take the stick's state the first time it restarts on the settings' network: formation
    is over (zigpy-znp restarts the stick only after writing the network), and no unit can
    have joined (zigpy-znp has not yet opened joining)."""

    def restarted() -> None:
        if key not in FORMED and holds_network_of(stick, key):
            FORMED[key] = stick.formed_state()
        if key in FORMED:
            stick.on_network_restart = None

    stick.on_network_restart = restarted


async def prepare_formed_stick(profile: Profile, start_host: Callable[[str], Awaitable[None]]) -> bool:
    """Form the profile's network on a stick of its own, with no unit on the air: the host
    (`start_host(serial path)`, the harness's coordinator start-up and stop) forms it as on
    any blank stick, and FORMED keeps the state for the worlds started later in this
    process. True when FORMED holds it afterwards."""
    key = stick_key(profile)
    if key in FORMED:
        return True
    clock = VirtualClock()
    clock.bind(asyncio.get_running_loop())
    air = Air(asyncio.get_running_loop(), clock, AirFaults(), seed=0)
    stick = ZStackEmulator(zt.EUI64.convert(COORDINATOR_IEEE), air, clock)
    _keep_when_formed(stick, key)
    server = MtServer(stick)
    try:
        await start_host(await server.start_tcp("127.0.0.1", 0))
    finally:
        await server.close()
    return key in FORMED


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
        *,
        listen: tuple[str, int] = ("127.0.0.1", 0),
        pty_link: str | None = None,
        formed: bool = True,
        stepped: bool = False,
    ) -> None:
        assert profile.simulation is not None
        self.profile = profile
        self.transport = transport
        # Where the serial port is served: in-process a loopback port the kernel picks; a
        # standalone emulator (harness.sim.standalone) the address or pty link it was given.
        self.listen = listen
        self.pty_link = pty_link
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
        # formed=False: always the blank stick (the path the first world of a process takes).
        self.use_formed = formed
        self.started_formed = False  # the stick started from FORMED (else blank)
        # Stepped: the harness in this process moves the clock (harness.sim.clock says why);
        # a standalone emulator's keeps real time as well, for a host that never moves it.
        self.clock = VirtualClock(stepped=stepped)
        self.model_faults = ModelFaults()  # what the world's own code raised (harness.sim.model_faults)
        self.clock.model_faults = self.model_faults
        self.air: Air
        self.coordinator: ZStackEmulator
        self.server: MtServer
        self.uut: SimNode

    async def start(self) -> str:
        """Start the emulator and power the UUT on; returns the serial path for zigpy-znp."""
        loop = asyncio.get_running_loop()
        self.clock.bind(loop)
        self.air = Air(loop, self.clock, self.faults, seed=self.seed)
        self.air.model_faults = self.model_faults
        self.coordinator = ZStackEmulator(zt.EUI64.convert(COORDINATOR_IEEE), self.air, self.clock)
        key = stick_key(self.profile)
        formed = FORMED.get(key) if self.use_formed else None
        if formed is not None:
            self.coordinator.start_from(formed)
            self.started_formed = True
        else:
            _keep_when_formed(self.coordinator, key)
        self.server = MtServer(self.coordinator)
        if self.transport == "tcp":
            path = await self.server.start_tcp(*self.listen)
        else:
            path = self.server.start_pty(self.pty_link)
        self.uut = self.model(self)
        self.uut.power_on()  # it joins as soon as the coordinator permits joining
        return path

    async def stop(self) -> None:
        self.uut.power_off()
        await self.server.close()

    def quiet(self) -> bool:
        """Nothing is moving on the simulated side: only a timer can change anything."""
        return self.air.in_flight == 0
