"""The composition root: builds the session's collaborators, starts and stops them.

Cases reach the collaborators by name: `bench.han` (the HAN facade), `bench.loop` (time and waits), `bench.link` (frames
to and from the unit), `bench.observing` (what the unit shows), `bench.occupancy` (who
lives there and the CoT the meters hold), `bench.meters` (the emulated ESME/GPF) and
`bench.controls` (power, rejoin and the CoT trigger) and, for a meter under test, `bench.han_client`
(the IHD the harness plays).
"""

from __future__ import annotations

import time
from typing import Any

from zigpy.util import convert_install_code

from harness.bench.controls import BenchControls
from harness.bench.han import Han, open_han
from harness.bench.link import UutLink
from harness.bench.loop import BenchLoop
from harness.bench.observing import Observing
from harness.bench.security import LinkSecurity, link_security
from harness.domain import Fuel
from harness.errors import CoordinatorError
from harness.esi.han_client import HanClient, MeterClient
from harness.esi.meter import EmulatedMeter
from harness.esi.occupancy import Occupancy
from harness.observe.factory import build_observers, build_operator
from harness.observe.operator import OperatorObserver
from harness.observe.simulation import SimulationObserver
from harness.observe.terminal import operator_terminal
from harness.profile import EsiSource, Profile, SecurityMode
from harness.radio.coordinator import HAN_CLIENT_ENDPOINTS, Coordinator, RadioSettings

JOIN_WINDOW_S = 180  # permit-join window opened for the unit under test
FUELS = {EsiSource.ESME: Fuel.ELECTRICITY, EsiSource.GPF: Fuel.GAS}
CONTROLS = ("power_control", "rejoin_control", "cot_trigger")


def radio_settings(profile: Profile, path: str, *, skip_bootloader: bool, watchdog: bool = True) -> RadioSettings:
    """The coordinator's settings from the profile's radio section (the path and the
    bootloader choice from the HAN facade)."""
    radio = profile.radio
    key = radio.network_key
    return RadioSettings(
        path=path,
        baudrate=radio.baudrate,
        flow_control=radio.flow_control.value if radio.flow_control else None,
        channel=radio.channel,
        pan_id=radio.pan_id,
        extended_pan_id=radio.extended_pan_id,
        network_key=bytes.fromhex(key.get_secret_value().replace(":", "")) if key else None,
        esi_endpoints={s.value: getattr(profile.esi.endpoints, s.value) for s in profile.esi.sources},
        skip_bootloader=skip_bootloader,
        watchdog=watchdog,
        request_timeout=radio.request_timeout.total_seconds(),
        # A meter under test: the harness plays the IHD (harness.esi.han_client), not the meters.
        client_endpoints=HAN_CLIENT_ENDPOINTS if profile.identity.role.is_esi else (),
        key_establishment_endpoint=key_establishment_endpoint(profile),
    )


def key_establishment_endpoint(profile: Profile) -> int | None:
    """With radio.security cbke, the ESI endpoint that also serves Key Establishment (the first)."""
    if profile.radio.security is not SecurityMode.CBKE:
        return None
    return min(getattr(profile.esi.endpoints, s.value) for s in profile.esi.sources)


def unit_link_key(profile: Profile) -> bytes | None:
    """With radio.security install_code, the unit's link key (derived from its install
    code, never logged); None for the well-known link key."""
    code = profile.identity.install_code
    if profile.radio.security not in (SecurityMode.INSTALL_CODE, SecurityMode.CBKE) or code is None:
        return None
    return bytes(convert_install_code(bytes.fromhex(code.get_secret_value())))


class Bench:
    """The session's HAN facade, loop, radio, emulated meters, occupiers, observers and controls."""

    def __init__(
        self, profile: Profile, *, sim_transport: str = "tcp", air: str | None = None, air_seed: int | None = None
    ) -> None:
        self.profile = profile
        self.han: Han = open_han(profile, transport=sim_transport, air=air, seed=air_seed)
        self.meters: dict[str, EmulatedMeter] = {}
        self.loop = BenchLoop(
            self.han.clock,
            quiet=self._quiet,
            advance_to=self.han.advance_to,
            poll_interval=self.han.poll_interval,
            check=self.han.check_world,
            event_world=self.han.event_world(),
        )
        self.security: LinkSecurity = link_security(profile)
        self.link = UutLink(self.loop, profile)
        self.occupancy = Occupancy(self.loop, self.link, self.meters)
        # The IHD the harness plays for a meter under test (its endpoints exist only then).
        self.han_client: MeterClient = HanClient(self.link, profile.timings.response_timeout.total_seconds())
        self.observing = Observing(self.loop, profile, {}, before_require=self.occupancy.before_observing)
        self.operator: Any = None  # the one operator for questions and bench steps
        self.controls = BenchControls(profile, self.han, self.loop, lambda: self.operator, self._trace_mark)
        # Every frame of the session, kept past the coordinator's stop for the whole-run
        # capture (harness.evidence.case_evidence.write_run_capture): set when the bench stops.
        self.session_trace: Any = None
        self.coordinator: Coordinator | None = None
        self.join_opened_at = 0.0  # bench time permit-join opened for the unit
        self.start_seconds = 0.0  # real seconds the start-up took
        self.soak = False  # run soak cases on hardware (--soak)
        self.alluredir: str | None = None  # where the run's evidence goes (set by the plugin)

    @property
    def uut_nwk(self) -> int | None:
        return self.link.nwk

    def _trace_mark(self) -> int:
        """Where the next frame goes in the session's trace (0 before the coordinator starts)."""
        return self.link.mark() if self.coordinator is not None else 0

    def _harness_idle(self) -> bool:
        """The harness's own parts on the HAN (the emulated meters, the trust centre) do nothing."""
        return not any(m.busy for m in self.meters.values()) and not self.security.busy

    def _quiet(self) -> bool:
        return self.han.quiet() and self._harness_idle()

    # -- start / stop -----------------------------------------------------------------
    def start(self) -> None:
        self.loop.start()
        started = time.monotonic()
        self.loop.run_coroutine(self._start())
        self.start_seconds = time.monotonic() - started

    async def _start(self) -> None:
        profile = self.profile
        path = await self.han.start()
        settings = radio_settings(
            profile, path, skip_bootloader=self.han.skip_bootloader, watchdog=self.han.event_world() is None
        )
        self.coordinator = Coordinator(settings, waiter=self.loop)
        await self.coordinator.start()
        assert self.coordinator.app is not None
        self.han.bind_host(self.coordinator.app)  # HarnessZnpApp counts its side of the link
        if settings.key_establishment_endpoint is not None:
            # Its claimer before the meters': Key Establishment frames reach the trust centre.
            await self.security.before_join(self.coordinator, settings.key_establishment_endpoint)
        for source in profile.esi.sources:
            endpoint = getattr(profile.esi.endpoints, source.value)
            meter = EmulatedMeter(
                source.value, endpoint, FUELS[source], self.coordinator, self.link.address, self.occupancy.resident
            )
            self.meters[source.value] = meter
            self.coordinator.app.add_claimer(meter.claim)
        self.link.attach(self.coordinator, self.meters)
        self.link.client_endpoints = settings.client_endpoints
        self._build_observers()
        self.join_opened_at = self.loop.now()
        joining = await self.coordinator.open_for(profile.identity.ieee, unit_link_key(profile), JOIN_WINDOW_S)
        after_join = profile.timings.poll.after_join
        try:
            self.link.nwk = await self.coordinator.wait_for_device(profile.identity.ieee, after_join.total_seconds())
        except TimeoutError as exc:
            raise CoordinatorError(
                f"the unit {profile.identity.ieee} did not join within timings.poll.after_join "
                f"({after_join}): check its install code / security mode ({profile.radio.security}) "
                f"and that it is in pairing mode"
            ) from exc
        finally:
            await self.coordinator.close_joining(joining)
        await self.security.after_join(self.link.nwk, self.loop, self.join_opened_at)

    def _build_observers(self) -> None:
        display = self.han.display()
        simulation = SimulationObserver(display, self.loop.now) if display is not None else None
        tty_in, tty_out = operator_terminal()
        observers = build_observers(
            self.profile,
            simulation=simulation,
            zcl_read=self.link.read_attribute,
            now=self.loop.now,
            stdin=tty_in,
            stdout=tty_out,
        )
        self.observing.observers.update(observers)
        # One operator for questions and bench steps alike: an answers file is used up in
        # the order things are asked.
        self.operator = next((o for o in observers.values() if isinstance(o, OperatorObserver)), None)
        if self.operator is None and any(getattr(self.profile.bench, c).by == "operator" for c in CONTROLS):
            self.operator = build_operator(self.profile, now=self.loop.now, stdin=tty_in, stdout=tty_out)

    def stop(self) -> None:
        if not self.loop.running:
            return
        if self.coordinator is not None and self.coordinator.app is not None:
            self.session_trace = self.coordinator.trace

        async def _stop() -> None:
            for meter in self.meters.values():
                await meter.stop()
            if self.coordinator is not None:
                await self.coordinator.stop()
            await self.han.stop()

        try:
            self.loop.run_coroutine(_stop(), timeout=30)
        finally:
            self.loop.close()
