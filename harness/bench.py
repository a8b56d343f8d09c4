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
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import zigpy.types as zt

from harness.clock import Clock, RealClock
from harness.controls import BenchControls
from harness.errors import BenchError, CoordinatorError, PreconditionNotMet
from harness.esi.meter import CotEvent, EmulatedMeter
from harness.esi.tenancy import Tenancy
from harness.esi.tenant import DataClass, Fuel, Tenant
from harness.observe.base import Observation, Observer, Watch
from harness.profile import Profile
from harness.radio.coordinator import Coordinator, DeliveryFailed, RadioSettings
from harness.radio.trace import FrameRecord
from harness.zcl import codec
from harness.zcl.codec import Direction

T = TypeVar("T")

JOIN_WINDOW_S = 180  # permit-join window opened for the unit under test
SIM_SETTLE_POLL_S = 0.002  # how often a non-quiet simulated world is re-checked (real)
HARDWARE_POLL_S = 0.05  # how often a condition is re-checked on hardware (real)
FUELS = {"esme": Fuel.ELECTRICITY, "gpf": Fuel.GAS}
BASIC = 0x0000
ZCL_EPOCH_UNIX = 946684800


class Bench:
    """The session's radio, emulated meters, tenancy, observers and bench controls."""

    def __init__(
        self, profile: Profile, *, sim_transport: str = "tcp", air: Any = None, air_seed: int | None = None
    ) -> None:
        self.profile = profile
        self.sim_transport = sim_transport
        self.air = air  # harness.sim.air.AirFaults overriding the profile's, simulation only
        self.air_seed = air_seed
        self.world: Any = None  # harness.sim.world.SimWorld when simulated
        self.clock: Clock = RealClock()
        self.coordinator: Coordinator | None = None
        self.meters: dict[str, EmulatedMeter] = {}
        self.tenancy = Tenancy()
        self.observers: dict[DataClass, Observer] = {}
        self.controls: BenchControls | None = None
        self.uut_nwk: int | None = None
        self.join_opened_at = 0.0  # bench time permit-join opened for the unit
        self.soak = False  # run soak cases on hardware (--soak)
        self.start_seconds = 0.0
        self.alluredir: str | None = None  # where the run's evidence goes (set by the plugin)
        self._mt_offsets = (0, 0)
        self.sampled_watches: list[SampledWatch] = []
        self.operator: Any = None  # the operator for bench steps (harness.observe.operator)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="bench-loop", daemon=True)

    # -- the loop ---------------------------------------------------------------------
    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run a coroutine on the bench loop from a case's thread."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def call(self, fn: Callable[[], T]) -> T:
        """Run a plain function on the bench loop (simulated state is only touched there)."""

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

    def _settings(self, path: str) -> RadioSettings:
        radio = self.profile.radio
        key = radio.network_key
        return RadioSettings(
            path=path,
            baudrate=radio.baudrate,
            flow_control=radio.flow_control.value if radio.flow_control else None,
            channel=radio.channel,
            pan_id=radio.pan_id,
            extended_pan_id=radio.extended_pan_id,
            network_key=bytes.fromhex(key.get_secret_value().replace(":", "")) if key else None,
            esi_endpoints={s.value: getattr(self.profile.esi.endpoints, s.value) for s in self.profile.esi.sources},
            skip_bootloader=not self.profile.is_simulated,  # no DTR/RTS dance on a socket
        )

    async def _start(self) -> None:
        profile = self.profile
        path = profile.radio.path
        if profile.is_simulated:
            from harness.sim.world import SimWorld  # only a sim:// path reaches the simulator

            self.world = SimWorld(
                profile,
                transport=self.sim_transport,
                air=self.air,  # type: ignore[arg-type]
                seed=self.air_seed,
            )
            path = await self.world.start()
            self.clock = self.world.clock
        settings = self._settings(path)
        self.coordinator = Coordinator(settings, waiter=self)
        await self.coordinator.start()
        if self.world is not None:
            # Start-up is request/response throughout: nothing is in flight when it returns.
            app, server = self.coordinator.app, self.world.server
            self._mt_offsets = (server.frames_in - app.mt_out, server.frames_out - app.mt_in)
        for source, endpoint in settings.esi_endpoints.items():
            meter = EmulatedMeter(
                source, endpoint, FUELS[source], self.coordinator, self._uut_address, self.tenancy.resident
            )
            self.meters[source] = meter
            assert self.coordinator.app is not None
            self.coordinator.app.add_claimer(meter.claim)
        self.observers = self._build_observers()
        self.controls = BenchControls(self)
        self.join_opened_at = self.now()
        joining = await self.coordinator.open_for(profile.identity.ieee, self._link_key(), JOIN_WINDOW_S)
        after_join = profile.timings.poll.after_join
        try:
            self.uut_nwk = await self.coordinator.wait_for_device(profile.identity.ieee, after_join.total_seconds())
        except TimeoutError as exc:
            raise CoordinatorError(
                f"the unit {profile.identity.ieee} did not join within timings.poll.after_join "
                f"({after_join}): check its install code / security mode ({profile.radio.security}) "
                f"and that it is in pairing mode"
            ) from exc
        finally:
            await self.coordinator.close_joining(joining)

    def _link_key(self) -> bytes | None:
        """With radio.security install_code, the unit's link key (derived from its install
        code, never logged); None for the well-known link key."""
        if str(self.profile.radio.security) != "install_code" or self.profile.identity.install_code is None:
            return None
        from zigpy.util import convert_install_code

        return bytes(convert_install_code(bytes.fromhex(self.profile.identity.install_code.get_secret_value())))

    def _build_observers(self) -> dict[DataClass, Observer]:
        from harness.observe.factory import build_observers, build_operator
        from harness.observe.operator import OperatorObserver
        from harness.observe.simulation import SimulationObserver

        simulation = None
        if self.world is not None:
            uut = self.world.uut
            simulation = SimulationObserver(
                uut.displayed, self.now, getattr(uut, "display", None) and uut.display.watch
            )
        tty_in, tty_out = _operator_terminal()
        observers = build_observers(
            self.profile,
            simulation=simulation,
            zcl_read=self.read_uut_attribute,
            now=self.now,
            stdin=tty_in,
            stdout=tty_out,
        )
        # One operator for questions and bench steps alike: an answers file is used up in
        # the order things are asked.
        self.operator = next((o for o in observers.values() if isinstance(o, OperatorObserver)), None)
        if self.operator is None and any(
            getattr(self.profile.bench, c).by == "operator" for c in ("power_control", "rejoin_control", "cot_trigger")
        ):
            self.operator = build_operator(self.profile, now=self.now, stdin=tty_in, stdout=tty_out)
        return observers

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
        app = self.coordinator.app if self.coordinator else None
        if app is None:
            return self.uut_nwk
        device = app.devices.get(zt.EUI64.convert(self.profile.identity.ieee))
        return device.nwk if device is not None else self.uut_nwk

    # -- waiting (the Waiter protocol of harness.radio) --------------------------------
    def _quiet(self) -> bool:
        app = self.coordinator.app if self.coordinator else None
        if self.world is None or app is None:
            return False
        server = self.world.server
        return (
            self.world.quiet()
            and app.idle()
            # every MT frame the host wrote was served, every one the emulator wrote parsed
            # (offsets: zigpy-znp talks to the stick before the counting starts)
            and server.frames_in - app.mt_out == self._mt_offsets[0]
            and server.frames_out - app.mt_in == self._mt_offsets[1]
            and self.world.coordinator.data_to_host == app.data_in
            and not any(m.busy for m in self.meters.values())
            and not self._joining_in_zigpy(app)
        )

    def _joining_in_zigpy(self, app: Any) -> bool:
        """The trust centre admitted the unit but zigpy has not created it yet: zigpy-znp
        then waits (in real time) for its announcement before handling the join."""
        ieee = zt.EUI64.convert(self.profile.identity.ieee)
        return ieee in self.world.coordinator.joined and ieee not in app.devices

    async def _settled(self) -> bool:
        """Quiet now and still quiet after one pass of the event loop: a coroutine that a
        just-parsed answer made ready gets its turn before the clock may jump."""
        if not self._quiet():
            return False
        one_pass = self._loop.create_future()
        self._loop.call_soon(one_pass.set_result, None)
        await one_pass
        return self._quiet()

    async def until(self, condition: Callable[[], T | None], timeout: float, what: str, jump: bool = True) -> T:
        """Until condition() is truthy (its value is returned) or TimeoutError at the deadline."""
        deadline = self.now() + timeout
        while True:
            result = condition()
            if result:
                return result
            if self.now() >= deadline:
                raise TimeoutError(f"{what}: not within {timeout:g} s")
            if jump and await self._settled():
                # Nothing is in flight: only a device timer can change anything now. What
                # the timer sends makes the world busy, so the next pass waits for it.
                self.world.clock.step_to(deadline)
                continue
            poll = SIM_SETTLE_POLL_S if self.world is not None else HARDWARE_POLL_S
            await asyncio.sleep(min(poll, max(0.0, deadline - self.now())))

    def wait_until(self, condition: Callable[[], T | None], timeout: float, what: str) -> T:
        """Sync form for cases; the condition runs on the bench loop."""
        return self.run(self.until(condition, timeout, what))

    def hold_watching(self, seconds: float, what: str, tenant: Tenant, other: Tenant) -> None:
        """Let `seconds` pass while sampled watches (polled observers) look every so often."""
        polled = [w for w in self.sampled_watches if getattr(self.observer_for(w.watch.data_class), "polling", False)]
        if not polled:
            self.hold(seconds, what)
            return
        deadline = self.now() + seconds
        interval = max(0.5, seconds / 20)
        while True:
            for watch in polled:
                watch.sample(tenant, other)
            if self.now() >= deadline:
                return
            self.hold(min(interval, deadline - self.now()), what)

    def hold(self, seconds: float, what: str) -> None:
        """Let `seconds` of bench time pass (virtual in simulation)."""
        try:
            self.wait_until(lambda: None, seconds, what)
        except TimeoutError:
            return

    # -- observing ----------------------------------------------------------------------
    def observer_for(self, data_class: DataClass) -> Observer:
        observer = self.observers.get(data_class)
        if observer is None:
            raise BenchError(f"no observer for {data_class}: add observe.{data_class} to the profile")
        return observer

    def observe(self, data_class: DataClass, previous: Tenant, new: Tenant) -> Observation:
        observer = self.observer_for(data_class)
        if getattr(observer, "on_bench_loop", False):
            return self.call(lambda: observer.observe(data_class, previous, new))
        return observer.observe(data_class, previous, new)

    def await_observation(
        self,
        data_class: DataClass,
        previous: Tenant,
        new: Tenant,
        predicate: Callable[[Observation], bool],
        timeout: float,
        what: str,
    ) -> Observation | None:
        """The first observation satisfying predicate within timeout, else None.

        Simulated displays are checked continuously; a command or ZCL observer is polled;
        a person is asked once, when the time is up (nobody is asked the same thing twenty
        times)."""
        observer = self.observer_for(data_class)
        if getattr(observer, "on_bench_loop", False):

            def check() -> Observation | None:
                seen = observer.observe(data_class, previous, new)
                return seen if predicate(seen) else None

            try:
                return self.wait_until(check, timeout, what)
            except TimeoutError:
                return None
        deadline = self.now() + timeout
        if getattr(observer, "polling", False):
            interval = max(0.5, timeout / 20)
            while True:
                seen = observer.observe(data_class, previous, new)
                if predicate(seen):
                    return seen
                if self.now() >= deadline:
                    return None
                self.hold(min(interval, deadline - self.now()), what)
        self.hold(timeout, what)
        seen = observer.observe(data_class, previous, new)
        return seen if predicate(seen) else None

    def first_observations(
        self,
        classes: list[DataClass],
        previous: Tenant,
        new: Tenant,
        predicate: Callable[[Observation], bool],
        timeout: float,
        what: str,
        until: str = "all",
    ) -> dict[DataClass, Observation | None]:
        """Watch several classes at once: the first observation satisfying predicate, per class.

        Stops when all (or, with until="any", one) are satisfied, or at the deadline; each
        class's time is when it was first seen satisfied, not when the wait ended."""
        found: dict[DataClass, Observation | None] = {dc: None for dc in classes}

        def sweep() -> bool:
            for dc in classes:
                if found[dc] is None:
                    seen = self.observer_for(dc).observe(dc, previous, new)
                    if predicate(seen):
                        found[dc] = seen
            done = [seen is not None for seen in found.values()]
            return all(done) if until == "all" else any(done)

        if all(getattr(self.observer_for(dc), "on_bench_loop", False) for dc in classes):
            try:
                self.wait_until(sweep, timeout, what)
            except TimeoutError:
                pass
            return found
        deadline = self.now() + timeout
        interval = max(0.5, timeout / 20)
        while not sweep() and self.now() < deadline:
            self.hold(min(interval, deadline - self.now()), what)
        return found

    def require_shown(
        self, data_class: DataClass, tenant: Tenant, other: Tenant, *, role: str = "previous"
    ) -> Observation:
        """Precondition: the unit shows `tenant`'s data (never passed if it does not)."""
        # The unit takes an occupier's data when it joins, when a CoT is actioned, and at
        # its next query at the latest: a unit behind after a failed case catches up by then.
        poll = self.profile.timings.poll
        timeout = max(poll.after_join, poll.max_interval).total_seconds()
        if data_class is DataClass.SUPPLIER_MESSAGES:
            self.publish_supplier_messages()
        if role == "previous":
            seen = self.await_observation(
                data_class,
                tenant,
                other,
                lambda o: o.shows_previous,
                timeout,
                f"the unit to show the {role} occupier's {data_class}",
            )
        else:
            seen = self.await_observation(
                data_class,
                other,
                tenant,
                lambda o: o.shows_new,
                timeout,
                f"the unit to show the {role} occupier's {data_class}",
            )
        if seen is None:
            pair = (tenant, other) if role == "previous" else (other, tenant)
            now = self.observe(data_class, *pair)
            raise PreconditionNotMet(
                f"the unit never showed the {role} occupier's ({tenant.name}) {data_class} within "
                f"{timeout:g} s (the longer of timings.poll.after_join and max_interval): the case cannot tell "
                f"clearing from never having had the data; it shows: {now.detail}"
            )
        return seen

    def watch(self, data_class: DataClass) -> tuple[Watch, Callable[[], None]]:
        """Record removals of data_class as they happen (exact observers), or by sampling."""
        observer = self.observer_for(data_class)
        if hasattr(observer, "watch"):
            return self.call(lambda: observer.watch(data_class))  # type: ignore[attr-defined]
        return SampledWatch(self, data_class).start()

    # -- tenancy ------------------------------------------------------------------------
    def zcl_now(self) -> int:
        return int(self.now()) - ZCL_EPOCH_UNIX

    def move_in(self, implementation_time: int | None = None, **cot_fields: int) -> tuple[Tenant, Tenant, CotEvent]:
        """A new occupier: the meters hold the CoT and serve the new occupier's data from now.

        The implementation time defaults to the current time, as GB's DCC sets it; 0 ("now"
        by the SE convention) is left to IMPL-03, the case about it."""
        previous, new = self.tenancy.move_in()
        event = CotEvent(
            issuer_event_id=self.tenancy.next_issuer_event_id(self.now()),
            implementation_time=(
                self.tenancy.next_implementation_time(self.zcl_now())
                if implementation_time is None
                else implementation_time
            ),
            **cot_fields,
        )

        def apply() -> None:
            for meter in self.meters.values():
                meter.tenant = new
                meter.cot = event
                meter.message_published = False

        self.call(apply)
        return previous, new, event

    def cancel_move(self, cancel: CotEvent) -> Tenant:
        """A cancelled CoT: the meters serve the previous occupier again and hold the cancel."""
        resident = self.tenancy.move_back()

        def apply() -> None:
            for meter in self.meters.values():
                meter.tenant = resident
                meter.cot = cancel

        self.call(apply)
        return resident

    def publish_supplier_messages(self) -> None:
        """The supplier sends the occupier in residence a message: the meters serve it and
        push it to the unit (Display Message), as a GB meter relays a supplier message."""
        uut = self._uut_address()
        to_push = [m for m in self.meters.values() if not m.message_published]
        for meter in to_push:
            self.call(lambda m=meter: setattr(m, "message_published", True))
            tsn = self.next_tsn()
            frame = meter.display_message_frame(tsn=tsn)
            if frame is None or uut is None:
                continue
            try:
                sent = self.run(meter.push(uut, self.uut_endpoint, 0x0703, frame))
            except DeliveryFailed:
                # Not delivered: the unit polls Get Last Message and will fetch it anyway.
                continue
            # Wait for the unit's acknowledgement: a push still in flight when a case's
            # CoT goes out would land after it and look like data coming back.
            self.expect_from_uut(
                lambda r, tsn=tsn: r.cluster_id == 0x0703 and len(r.payload) > 2 and r.payload[1] == tsn,
                since=sent.seq,
                timeout=self.profile.timings.response_timeout.total_seconds(),
                what="the unit's Default Response to Display Message",
            )

    def fresh_event(self, implementation_time: int | None = None, **cot_fields: int) -> CotEvent:
        """A CoT newer than any issued, that no meter holds (for malformed or rogue frames)."""
        return CotEvent(
            issuer_event_id=self.tenancy.next_issuer_event_id(self.now()),
            implementation_time=(
                self.tenancy.next_implementation_time(self.zcl_now())
                if implementation_time is None
                else implementation_time
            ),
            **cot_fields,
        )

    def set_meters(self, **state: object) -> None:
        def apply() -> None:
            for meter in self.meters.values():
                for name, value in state.items():
                    setattr(meter, name, value)

        self.call(apply)

    # -- frames -------------------------------------------------------------------------
    @property
    def uut_endpoint(self) -> int:
        return self.profile.identity.endpoint

    def mark(self) -> int:
        assert self.coordinator is not None
        return self.coordinator.trace.mark()

    def frames_since(self, mark: int) -> list[FrameRecord]:
        assert self.coordinator is not None
        return self.coordinator.trace.since(mark)

    def next_tsn(self) -> int:
        assert self.coordinator is not None
        return self.coordinator.next_tsn()

    def send_to_uut(self, source: str, cluster_id: int, payload: bytes) -> FrameRecord:
        """One frame from an emulated meter's endpoint to the unit, sent once."""
        meter = self.meters[source]
        uut = self._uut_address()
        if uut is None:
            raise BenchError("the unit has no NWK address: it is not on the network")
        return self.run(meter.push(uut, self.uut_endpoint, cluster_id, payload))

    def publish_cot(self, source: str, event: CotEvent, *, disable_default_response: bool = False) -> FrameRecord:
        frame = self.meters[source].publish_cot_frame(
            event, tsn=self.next_tsn(), disable_default_response=disable_default_response
        )
        return self.send_to_uut(source, 0x0708, frame)

    def expect_from_uut(
        self, match: Callable[[FrameRecord], bool], *, since: int, timeout: float, what: str
    ) -> FrameRecord | None:
        assert self.coordinator is not None
        return self.run(
            self.coordinator.expect(
                lambda r: r.src_nwk == self._uut_address() and match(r), since=since, timeout=timeout, what=what
            )
        )

    def ping_uut(self, source: str | None = None) -> FrameRecord | None:
        """Is the unit still answering? Read Attributes of Basic ZCL version; its answer or None."""
        source = source or self.profile.esi.sources[0].value
        tsn = self.next_tsn()
        request = codec.build(BASIC, "read_attributes", tsn=tsn, direction=Direction.TO_SERVER, attribute_ids=[0x0000])
        try:
            sent = self.send_to_uut(source, BASIC, request)
        except DeliveryFailed:
            return None  # not delivered: no answer (callers may try again)

        def answer(record: FrameRecord) -> bool:
            return record.cluster_id == BASIC and len(record.payload) > 2 and record.payload[1] == tsn

        return self.expect_from_uut(
            answer,
            since=sent.seq,
            timeout=self.profile.timings.response_timeout.total_seconds(),
            what="the unit's answer to Read Attributes (Basic)",
        )

    def read_uut_attribute(self, cluster_id: int, attribute_id: int, endpoint: int | None = None) -> object | None:
        """Read one attribute of the unit over the air (the ZCL observer's way in)."""
        from harness.errors import ObserverError
        from harness.zcl.attributes import read_values

        source = self.profile.esi.sources[0].value if self.profile.esi.sources else None
        if source is None:
            raise ObserverError("a ZCL observer needs an ESI endpoint to read from (esi.sources is empty)")
        tsn = self.next_tsn()
        request = codec.build(
            cluster_id, "read_attributes", tsn=tsn, direction=Direction.TO_SERVER, attribute_ids=[attribute_id]
        )
        meter = self.meters[source]
        uut = self._uut_address()
        assert self.coordinator is not None and uut is not None
        coordinator = self.coordinator

        async def read() -> FrameRecord | None:
            sent = await coordinator.send(
                dst_nwk=uut,
                dst_ep=endpoint or self.uut_endpoint,
                src_ep=meter.endpoint,
                cluster_id=cluster_id,
                payload=request,
            )
            return await coordinator.expect(
                lambda r: r.cluster_id == cluster_id and len(r.payload) > 2 and r.payload[1] == tsn,
                since=sent.seq,
                timeout=self.profile.timings.response_timeout.total_seconds(),
                what="attribute",
            )

        answer = self.run(read()) if threading.current_thread() is not self._thread else None
        if answer is None:
            raise ObserverError(f"the unit did not answer Read Attributes 0x{cluster_id:04X}/0x{attribute_id:04X}")
        return read_values(codec.decode(cluster_id, answer.payload)).get(attribute_id)


def _operator_terminal() -> tuple[Any, Any]:
    """The controlling terminal, when there is one: pytest captures stdin, so operator
    prompts go to /dev/tty; in CI (no terminal) the answers file is the only way."""
    try:
        tty = open("/dev/tty", "r+")  # noqa: SIM115 (kept open for the session)
    except OSError:
        return None, None
    return tty, tty


class SampledWatch:
    """Watching by repeated observation, for observers that cannot report changes: each
    sample is compared with the last, and a yes/no answer of "not shown" counts as gone."""

    def __init__(self, bench: Bench, data_class: DataClass) -> None:
        self.bench = bench
        self.watch = Watch(data_class)
        self._last: frozenset | None = None

    def sample(self, tenant: Tenant, other: Tenant) -> None:
        observation = self.bench.observe(self.watch.data_class, tenant, other)
        if not observation.shows_previous:
            self.watch.gone = True
        items = observation.items
        if items is None:
            return
        if self._last is not None:
            self.watch.record(observation.at, items - self._last, self._last - items)
        self._last = items

    def start(self) -> tuple[Watch, Callable[[], None]]:
        self.bench.sampled_watches.append(self)
        return self.watch, lambda: self.bench.sampled_watches.remove(self)
