"""The simulation's one face to the harness (harness.bench.han.Han).

Everything the bench may know about the simulated HAN goes through here: its virtual
clock, whether anything is still moving (so the clock may jump), the simulated unit's
power, rejoin and display, and the line an assessor reads in the run's environment.
Nothing outside harness.sim reaches SimWorld's parts (the MT server, the emulated stick,
the unit model) except the harness's own tests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from harness.errors import BenchError, SimulationFault
from harness.sim.air import AirFrame, parse_air
from harness.sim.aps_link import SE_PROFILE, seal
from harness.sim.world import SimWorld
from harness.sim.zstack import FIRMWARE_NAME

if TYPE_CHECKING:
    from harness.bench.han import HostActivity
    from harness.domain import DataClass, Item
    from harness.observe.simulation import Watcher
    from harness.profile import Profile

UNIT_ACTIONS = ("power_off", "power_on", "power_cycle", "rejoin", "change_of_tenancy")
FOREIGN_NWK = 0x7A11  # bench.foreign_node: another node of the HAN, not the trust centre
FOREIGN_IEEE = bytes.fromhex("020000fffe00f0e1")  # a locally administered EUI-64, big-endian


class SimulationFacade:
    poll_interval = 0.002  # a busy simulated world is re-checked this often (real seconds)
    virtual_time = True
    skip_bootloader = False  # the emulated stick has no serial bootloader to skip

    def __init__(
        self,
        profile: Profile,
        *,
        transport: str = "tcp",
        air: str | None = None,
        seed: int | None = None,
        listen: tuple[str, int] = ("127.0.0.1", 0),
        pty_link: str | None = None,
        stepped: bool = False,
    ) -> None:
        try:
            faults = parse_air(air) if air else None
        except ValueError as error:
            raise BenchError(str(error)) from error
        self.world = SimWorld(
            profile,
            transport=transport,  # type: ignore[arg-type]
            air=faults,
            seed=seed,
            listen=listen,
            pty_link=pty_link,
            stepped=stepped,
        )
        self.clock = self.world.clock
        self._model = profile.simulation.model if profile.simulation else "?"
        self._foreign_counter = 0
        self._host: HostActivity | None = None
        self._offsets = (0, 0)

    async def start(self) -> str:
        return await self.world.start()

    def check_world(self) -> None:
        """SimulationFault when a device model, a simulated timer or the air raised since the
        last look (each reported once, with where it was raised): the waiting case is broken."""
        raised = self.world.model_faults.take()
        if raised:
            more = f" (and {len(raised) - 3} more)" if len(raised) > 3 else ""
            raise SimulationFault(
                "the simulation's own code raised, so this case cannot be judged (a bug in the device model "
                f"or the harness, not the simulated unit's conduct): {'; '.join(raised[:3])}{more}"
            )

    async def stop(self) -> None:
        if getattr(self.world, "server", None) is not None:  # started (start-up may have failed)
            await self.world.stop()

    def bind_host(self, host: HostActivity) -> None:
        # zigpy-znp talks to the stick before counting starts, and start-up is
        # request/response throughout: nothing is in flight when this is called.
        server = self.world.server
        self._host = host
        self._offsets = (server.frames_in - host.mt_out, server.frames_out - host.mt_in)

    def quiet(self) -> bool:
        host = self._host
        return host is not None and self._settled(host) and not self._joining_in_host(host)

    def _settled(self, host: HostActivity) -> bool:
        """No delivery queued on the air, the host sending nothing, every MT frame the host
        wrote served and every one the emulator wrote parsed."""
        return (
            self.world.quiet()
            and host.idle()
            and self.in_flight() == (0, 0)
            and self.world.coordinator.data_to_host == host.data_in
        )

    def in_flight(self) -> tuple[int, int]:
        """MT frames on the serial link, counted on one side only: (written by the host, not
        yet parsed by the emulator; written by the emulator, not yet parsed by the host)."""
        host, server = self._host, self.world.server
        assert host is not None
        return (
            host.mt_out - server.frames_in + self._offsets[0],
            server.frames_out - host.mt_in - self._offsets[1],
        )

    def _joining_in_host(self, host: HostActivity) -> bool:
        """The trust centre admitted the unit but zigpy has not created it yet: zigpy-znp
        then waits (in real time) for its announcement before handling the join."""
        unit = self.world.uut
        return unit.ieee in self.world.coordinator.joined and not host.knows(str(unit.ieee))

    def advance_to(self, deadline: float) -> None:
        self.world.clock.step_to(deadline)

    # -- the bench's event loop on this world's clock (harness.bench.event_time) ------------
    def event_world(self) -> SimulationFacade | None:
        """This world, when its clock moves only when the bench moves it (stepped)."""
        return self if self.world.clock.stepped else None

    def elapsed(self) -> float:
        return self.world.clock.elapsed()

    def next_event(self) -> float | None:
        clock = self.world.clock
        due = clock.next_due()
        return None if due is None else clock.elapsed_at(due)

    def step(self, to: float) -> None:
        self.world.clock.step_elapsed(to)

    def time_may_pass(self) -> bool | None:
        """Every MT frame either side wrote has been parsed and no delivery is queued on the
        air: nothing is on its way, so only time can change anything. Not whether zigpy or
        the harness's meters have work of their own: that work waits on I/O or on a timer of
        the loop's, and time must pass for it (zigpy-znp's route discovery sleeps 1.3 s).
        None before the host's side is counted (bind_host): the world cannot tell."""
        host = self._host
        if host is None:
            return None
        return self.world.quiet() and self.in_flight() == (0, 0) and self.world.coordinator.data_to_host == host.data_in

    def act_on_unit(self, action: str) -> None:
        unit = self.world.uut
        if action == "power_cycle":
            unit.power_off()
            unit.power_on()
        elif action == "change_of_tenancy" and not callable(getattr(unit, action, None)):
            # Only a meter model takes a CoT from its supplier (harness.sim.devices.meter).
            raise BenchError(f"the simulated unit ({type(unit).__name__}) is no meter: it cannot take a CoT")
        elif action in UNIT_ACTIONS:
            getattr(unit, action)()
        else:
            raise BenchError(f"the simulated unit cannot {action!r}: one of {', '.join(UNIT_ACTIONS)}")

    def send_from_foreign_node(self, dst_ep: int, src_ep: int, cluster_id: int, payload: bytes, link_key: bytes) -> str:
        """A node beside the coordinator that is not the trust centre (bench.foreign_node): it
        sends from the ESI's endpoint number, APS-secured with the key given, straight onto the air."""
        unit = self.world.uut
        if unit.nwk is None:
            raise BenchError("the simulated unit is not on the network: no frame can reach it")
        self._foreign_counter += 1
        frame = AirFrame(FOREIGN_NWK, src_ep, unit.nwk, dst_ep, SE_PROFILE, cluster_id, payload, self._foreign_counter)
        sealed = seal(frame, link_key=link_key, frame_counter=self._foreign_counter, source_ieee=FOREIGN_IEEE)
        delivered = self.world.air.transmit(sealed)
        return (
            f"from node 0x{FOREIGN_NWK:04X} ({FOREIGN_IEEE.hex(':')}, not the trust centre) endpoint {src_ep} to "
            f"0x{unit.nwk:04X} ep {dst_ep} cluster 0x{cluster_id:04X}, APS-secured, {len(payload)} octets: "
            f"{payload.hex(' ')}{'' if delivered else ' (not acknowledged)'}"
        )

    def display(self) -> _UnitDisplay:
        return _UnitDisplay(self.world.uut)

    def environment(self) -> dict[str, str]:
        # An assessor must see at a glance that no real stick or device was involved.
        return {"emulated": f"yes: {FIRMWARE_NAME}; device model {self._model}"}


class _UnitDisplay:
    """The simulated unit's display, as far as its model has one."""

    def __init__(self, unit: Any) -> None:
        self._unit = unit

    def displayed(self, data_class: DataClass) -> frozenset[Item] | None:
        displayed: Callable[[DataClass], frozenset[Item] | None] | None = getattr(self._unit, "displayed", None)
        return displayed(data_class) if displayed is not None else None

    def subscribe(self, watcher: Watcher) -> Callable[[], None] | None:
        display = getattr(self._unit, "display", None)
        return display.watch(watcher) if display is not None else None
