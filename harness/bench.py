"""The bench: one coordinator, one network, the unit under test joined once per session.

zigpy needs one running event loop for the whole session while pytest cases come and go,
so the bench owns its loop in a background thread and case bodies stay synchronous:
Allure steps and attachments are emitted from the case's own thread (allure-pytest does
not follow asyncio tasks). Every wait is a condition with a deadline on the bench clock;
in simulation, when nothing is moving, the virtual clock jumps to the next device timer
or the deadline, so long device timings cost no real time.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from harness.clock import Clock, RealClock
from harness.errors import BenchError, CoordinatorError, PreconditionNotMet
from harness.esi.meter import CotEvent, EmulatedMeter
from harness.esi.tenancy import Tenancy
from harness.esi.tenant import DataClass, Fuel, Tenant
from harness.observe.base import Observation, Observer
from harness.observe.simulation import SimulationObserver
from harness.profile import Profile
from harness.radio.coordinator import Coordinator, RadioSettings
from harness.radio.trace import FrameRecord

LOGGER = logging.getLogger(__name__)
T = TypeVar("T")

JOIN_WINDOW_S = 180  # permit-join window opened for the unit under test
SIM_SETTLE_POLL_S = 0.002  # how often a non-quiet simulated world is re-checked (real)
HARDWARE_POLL_S = 0.05  # how often a condition is re-checked on hardware (real)
FUELS = {"esme": Fuel.ELECTRICITY, "gpf": Fuel.GAS}


class Bench:
    """The session's radio, emulated meters, tenancy and observer."""

    def __init__(self, profile: Profile, *, sim_transport: str = "tcp") -> None:
        self.profile = profile
        self.sim_transport = sim_transport
        self.world: Any = None  # harness.sim.world.SimWorld when simulated
        self.clock: Clock = RealClock()
        self.coordinator: Coordinator | None = None
        self.meters: dict[str, EmulatedMeter] = {}
        self.tenancy = Tenancy()
        self.observer: Observer | None = None
        self.uut_nwk: int | None = None
        self.started_at = 0.0
        self.alluredir: str | None = None  # where the run's evidence goes (set by the plugin)
        self.start_seconds = 0.0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="bench-loop", daemon=True)

    # -- the loop ---------------------------------------------------------------------
    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run a coroutine on the bench loop from a case's thread."""
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return future.result(timeout)

    def call(self, fn: Callable[[], T]) -> T:
        """Run a plain function on the bench loop (sim state is only touched there)."""

        async def wrapper() -> T:
            return fn()

        return self.run(wrapper())

    def now(self) -> float:
        return self.clock.now()

    # -- start / stop -----------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()
        started = time.monotonic()
        self.run(self._start())
        self.start_seconds = time.monotonic() - started

    async def _start(self) -> None:
        profile = self.profile
        path = profile.radio.path
        if profile.is_simulated:
            from harness.sim.world import SimWorld  # only a sim:// path reaches the simulator

            self.world = SimWorld(profile, transport=self.sim_transport)  # type: ignore[arg-type]
            path = await self.world.start()
            self.clock = self.world.clock
        key = profile.radio.network_key
        settings = RadioSettings(
            path=path,
            baudrate=profile.radio.baudrate,
            flow_control=profile.radio.flow_control.value if profile.radio.flow_control else None,
            channel=profile.radio.channel,
            pan_id=profile.radio.pan_id,
            extended_pan_id=profile.radio.extended_pan_id,
            network_key=bytes.fromhex(key.get_secret_value().replace(":", "").replace(" ", ""))
            if key
            else None,
            esi_endpoints={s.value: getattr(profile.esi.endpoints, s.value) for s in profile.esi.sources},
            skip_bootloader=not profile.is_simulated,  # no DTR/RTS dance on a socket
        )
        self.coordinator = Coordinator(settings, waiter=self)
        await self.coordinator.start()
        self.started_at = self.now()
        for source, endpoint in settings.esi_endpoints.items():
            meter = EmulatedMeter(source, endpoint, FUELS[source], self.coordinator, self._uut_address)
            meter.tenant = self.tenancy.resident
            self.meters[source] = meter
            assert self.coordinator.app is not None
            self.coordinator.app.add_claimer(meter.claim)
        if self.world is not None:
            self.observer = SimulationObserver(self.world.uut.displayed, self.now)
        await self.coordinator.permit(JOIN_WINDOW_S)
        try:
            self.uut_nwk = await self.coordinator.wait_for_device(
                profile.identity.ieee, timeout=profile.timings.poll.after_join.total_seconds(), jump=False
            )
        except TimeoutError as exc:
            raise CoordinatorError(
                f"the unit {profile.identity.ieee} did not join within "
                f"timings.poll.after_join ({profile.timings.poll.after_join}): check its "
                f"install code / security mode ({profile.radio.security}) and that it is in pairing mode"
            ) from exc
        await self.coordinator.permit(0)

    def stop(self) -> None:
        if not self._thread.is_alive():
            return

        async def _stop() -> None:
            if self.coordinator is not None:
                await self.coordinator.stop()
            if self.world is not None:
                await self.world.stop()

        try:
            self.run(_stop(), timeout=30)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)

    def _uut_address(self) -> int | None:
        """The unit's NWK address as soon as it has joined (before zigpy's interview ends):
        it queries the meters right after joining and must be answered then."""
        if self.uut_nwk is not None:
            return self.uut_nwk
        app = self.coordinator.app if self.coordinator else None
        if app is None:
            return None
        import zigpy.types as zt

        device = app.devices.get(zt.EUI64.convert(self.profile.identity.ieee))
        return device.nwk if device is not None else None

    # -- waiting (the Waiter protocol of harness.radio) --------------------------------
    def _quiet(self) -> bool:
        app = self.coordinator.app if self.coordinator else None
        if self.world is None or app is None:
            return False
        return (
            self.world.quiet()
            and app.idle()
            and self.world.coordinator.data_to_host == app.data_in
            and not any(m.busy for m in self.meters.values())
        )

    async def until(
        self, condition: Callable[[], T | None], timeout: float, what: str, jump: bool = True
    ) -> T:
        """Until condition() is truthy (its value is returned) or TimeoutError at the deadline."""
        deadline = self.now() + timeout
        while True:
            result = condition()
            if result:
                return result
            if self.now() >= deadline:
                raise TimeoutError(f"{what}: not within {timeout:g} s")
            if jump and self._quiet():
                # Nothing is in flight: only a device timer can change anything now.
                # What the timer sends makes the world busy, so the next pass waits for it.
                self.world.clock.step_to(deadline)
                continue
            poll = SIM_SETTLE_POLL_S if self.world is not None else HARDWARE_POLL_S
            await asyncio.sleep(min(poll, max(0.0, deadline - self.now())))

    def wait_until(self, condition: Callable[[], T | None], timeout: float, what: str) -> T:
        """Sync form for cases; the condition runs on the bench loop."""
        return self.run(self.until(condition, timeout, what))

    # -- what cases use -----------------------------------------------------------------
    @property
    def uut_endpoint(self) -> int:
        return self.profile.identity.endpoint

    def mark(self) -> int:
        assert self.coordinator is not None
        return self.coordinator.trace.mark()

    def frames_since(self, mark: int) -> list[FrameRecord]:
        assert self.coordinator is not None
        return self.coordinator.trace.since(mark)

    def observe(self, data_class: DataClass, previous: Tenant, new: Tenant) -> Observation:
        if self.observer is None:
            raise BenchError(
                f"no observer for {data_class}: observe.{data_class} is not usable on this bench"
            )
        observer = self.observer
        return self.call(lambda: observer.observe(data_class, previous, new))

    def await_observation(
        self,
        data_class: DataClass,
        previous: Tenant,
        new: Tenant,
        predicate: Callable[[Observation], bool],
        timeout: float,
        what: str,
    ) -> Observation | None:
        """The first observation satisfying predicate within timeout, else None."""
        observer = self.observer
        if observer is None:
            raise BenchError(f"no observer for {data_class}")

        def check() -> Observation | None:
            seen = observer.observe(data_class, previous, new)
            return seen if predicate(seen) else None

        try:
            return self.wait_until(check, timeout, what)
        except TimeoutError:
            return None

    def require_previous_shown(self, data_class: DataClass, previous: Tenant, new: Tenant) -> Observation:
        """Precondition: the unit shows the previous occupier's data (never passed if not)."""
        seen = self.await_observation(
            data_class,
            previous,
            new,
            lambda o: o.shows_previous,
            self.profile.timings.poll.after_join.total_seconds(),
            f"the unit to show the previous occupier's {data_class}",
        )
        if seen is None:
            raise PreconditionNotMet(
                f"the unit never showed the previous occupier's {data_class} within "
                f"timings.poll.after_join: the case cannot tell clearing from never having had the data"
            )
        return seen

    def move_in(self, implementation_time: int = 0) -> tuple[Tenant, Tenant, CotEvent]:
        """A new occupier: the meters hold the CoT and serve the new occupier's data from now."""
        previous, new = self.tenancy.move_in()
        event = CotEvent(
            issuer_event_id=self.tenancy.next_issuer_event_id(self.now()),
            implementation_time=implementation_time,
        )

        def apply() -> None:
            for meter in self.meters.values():
                meter.tenant = new
                meter.cot = event

        self.call(apply)
        return previous, new, event

    def publish_cot(
        self,
        source: str,
        event: CotEvent,
        *,
        disable_default_response: bool = False,
        payload: bytes | None = None,
    ) -> tuple[FrameRecord, bytes]:
        meter = self.meters[source]
        assert self.uut_nwk is not None
        tsn = self.coordinator.next_tsn() if self.coordinator else 0
        return self.run(
            meter.publish_cot(
                self.uut_nwk,
                self.uut_endpoint,
                tsn=tsn,
                event=event,
                disable_default_response=disable_default_response,
                payload=payload,
            )
        )

    def expect_from_uut(
        self, match: Callable[[FrameRecord], bool], *, since: int, timeout: float, what: str
    ) -> FrameRecord | None:
        assert self.coordinator is not None
        uut = self.uut_nwk
        return self.run(
            self.coordinator.expect(
                lambda r: r.src_nwk == uut and match(r), since=since, timeout=timeout, what=what
            )
        )

    def require(self, ok: bool, message: str) -> None:
        if not ok:
            raise BenchError(message)
