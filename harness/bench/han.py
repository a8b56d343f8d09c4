"""The HAN behind the coordinator's serial path, as the bench sees it: one narrow facade.

It is owned by whoever owns that HAN: on a lab bench, the real one (the wall clock, a
stick and a device nobody can look inside); in simulation, harness.sim's facade (the
virtual clock, "is anything moving", the simulated unit's power and display). The bench
never asks which it has: it asks the facade. `open_han` is the one place that chooses,
from the profile's radio path.
"""

from __future__ import annotations

import time
from typing import Protocol

from harness.bench.event_time import EventTimeWorld
from harness.errors import BenchError
from harness.observe.simulation import Display
from harness.profile import Profile
from harness.profile.rules import has_remote_simulation


class Clock(Protocol):
    def now(self) -> float: ...

    def stamp(self) -> float:
        """The time of a frame the tap records (harness.sim.clock.VirtualClock.stamp)."""
        ...


class RealClock:
    def now(self) -> float:
        return time.time()

    def stamp(self) -> float:
        return self.now()


class HostActivity(Protocol):
    """What the host stack (zigpy-znp) has done, counted on the harness's side of the
    serial link: a simulated world is quiet only when both sides agree nothing is in flight."""

    mt_out: int  # MT frames written to the stick
    mt_in: int  # MT frames parsed from the stick
    data_in: int  # AF/ZDO data indications handled

    def idle(self) -> bool: ...

    def knows(self, ieee: str) -> bool: ...


class Han(Protocol):
    """The facade. Every method runs on the bench's event loop."""

    clock: Clock
    poll_interval: float  # how often a condition is re-checked while the world is busy (real s)
    virtual_time: bool  # long waits cost no real time (a soak is cheap)
    skip_bootloader: bool  # zigpy-znp's bootloader-skip sequence, which a real CC2652 needs

    async def start(self) -> str:
        """Bring the world up; the serial path zigpy-znp opens."""
        ...

    async def stop(self) -> None: ...

    def bind_host(self, host: HostActivity) -> None:
        """Start comparing the host's counts with the world's (after the stick started)."""
        ...

    def quiet(self) -> bool:
        """Nothing is moving: only a device timer can change anything now."""
        ...

    def check_world(self) -> None:
        """SimulationFault when the simulated world's own code raised since the last look (a
        model's bug: the waiting case is broken, never judged); nothing on a real bench."""
        ...

    def advance_to(self, deadline: float) -> None:
        """Let time pass to `deadline` at once (only ever called while quiet)."""
        ...

    def event_world(self) -> EventTimeWorld | None:
        """A world whose clock only the bench moves: the bench's event loop keeps its time
        (harness.bench.event_time); any other world: None."""
        ...

    def act_on_unit(self, action: str) -> None:
        """power_off, power_on, power_cycle or rejoin, done to the simulated unit."""
        ...

    def display(self) -> Display | None: ...

    def environment(self) -> dict[str, str]:
        """What an assessor must see about this world in the run's environment."""
        ...

    def send_from_foreign_node(self, dst_ep: int, src_ep: int, cluster_id: int, payload: bytes, link_key: bytes) -> str:
        """One frame to the unit from a node that is not the trust centre, APS-secured with
        `link_key` (bench.foreign_node); what was sent, in words (never the key)."""
        ...


class LabHan:
    """A real bench: wall-clock time, never quiet (the air is not ours to see), and a unit
    the harness cannot touch except through the profile's bench controls."""

    poll_interval = 0.05
    virtual_time = False
    skip_bootloader = True

    def __init__(self, profile: Profile) -> None:
        self.clock: Clock = RealClock()
        self._path = profile.radio.path

    async def start(self) -> str:
        return self._path

    async def stop(self) -> None:
        return None

    def bind_host(self, host: HostActivity) -> None:
        return None

    def quiet(self) -> bool:
        return False

    def check_world(self) -> None:
        return None  # a real unit's conduct is all there is: nothing of ours runs on the air

    def advance_to(self, deadline: float) -> None:
        raise BenchError("a real bench's clock cannot be advanced")

    def event_world(self) -> None:
        return None  # the air runs in real time

    def act_on_unit(self, action: str) -> None:
        raise BenchError(f"cannot {action.replace('_', ' ')} by simulation: the radio is not simulated")

    def send_from_foreign_node(self, dst_ep: int, src_ep: int, cluster_id: int, payload: bytes, link_key: bytes) -> str:
        raise BenchError("bench.foreign_node: a lab bench has no second transmitter the harness drives")

    def display(self) -> Display | None:
        return None

    def environment(self) -> dict[str, str]:
        return {}


def open_han(profile: Profile, *, transport: str = "tcp", air: str | None = None, seed: int | None = None) -> Han:
    """The HAN the profile's radio path names: sim:// is the simulation in this process, a
    path with simulation.control a standalone emulator (cot-harness emulate), anything else a lab."""
    if profile.is_simulated:
        from harness.sim.facade import SimulationFacade  # only a sim:// path reaches the simulator

        return SimulationFacade(profile, transport=transport, air=air, seed=seed, stepped=True)
    if has_remote_simulation(profile):
        if air is not None or seed is not None:
            raise BenchError(
                "--air and --air-seed set the air of an emulator this process starts: this profile's emulator "
                "runs on its own (simulation.control), so give them to its cot-harness emulate"
            )
        from harness.bench.remote_sim import RemoteSimulation

        return RemoteSimulation(profile)
    if air is not None:
        raise BenchError("--air injects faults into the simulated air only: this profile's radio is not simulated")
    return LabHan(profile)
