"""One coordinator session: start the stick, form the configured network, admit the unit
under test, send frames once and wait for frames with deadlines.

All methods are coroutines on the bench's event loop. Waiting goes through a `Waiter`
(the bench's clock: real time on hardware, virtual time in simulation), never a fixed
sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import zigpy.types as zt
import zigpy_znp.commands as c

from harness.errors import BenchError, CoordinatorError, FatalBenchError
from harness.radio import seams
from harness.radio.app import HarnessZnpApp
from harness.radio.trace import Direction, FrameRecord
from harness.stick_identity import EMULATED_BOOTLOADER_REVISION, is_emulated
from harness.zcl import ids  # importing harness.zcl registers the SE clusters before zigpy starts
from harness.zcl.ids import SE_PROFILE

LOGGER = logging.getLogger(__name__)
T = TypeVar("T")

ESI_DEVICE_TYPE = 0x0500  # SE Energy Service Interface
ESI_SERVER_CLUSTERS = [ids.BASIC, ids.TIME, ids.METERING, ids.MESSAGING, ids.PREPAYMENT, ids.DEVICE_MANAGEMENT]
# The bench's "rogue" endpoint: a Smart Energy endpoint on the coordinator that is no ESI
# (an SE Smart Appliance serving Basic only: no Device Management server, so no unit
# discovers it as a meter). Spoofing cases (DM-06) send a Publish CoT from it; a unit must
# take a CoT only from the ESI endpoints it discovered. It is endpoint 11, beside the
# default ESME (9) and GPF (10), or the next free one when a declared ESI endpoint is 11.
ROGUE_ENDPOINT = 11
ROGUE_DEVICE_TYPE = 0x0505  # SE Smart Appliance
ROGUE_SERVER_CLUSTERS = [ids.BASIC]
# The HAN clients the harness plays when the unit under test is a meter (ESME or GPF): SE
# In-Home Display endpoints with the client side of every cluster a GB IHD asks a meter
# about. Two of them, each bound to the meter on its own, so a push to every bound device
# (ESI-07) is seen arriving at two. Endpoints 12 and 13: beside the ESI defaults (9, 10) and
# the rogue endpoint (11), none of which a meter-role bench registers as an ESI.
HAN_CLIENT_ENDPOINTS = (12, 13)
HAN_CLIENT_DEVICE_TYPE = 0x0507  # SE In-Home Display
HAN_CLIENT_SERVER_CLUSTERS = [ids.BASIC]
HAN_CLIENT_CLIENT_CLUSTERS = [ids.TIME, ids.METERING, ids.MESSAGING, ids.PREPAYMENT, ids.DEVICE_MANAGEMENT]
SILENT_AFTER = 3  # undelivered frames in a row (each after the MAC's own retries) that mean "gone"
STICK_KEY = "stick"  # in network_summary only when the stick is an emulator
EMULATED_STICK = f"EMULATED: SYS.Version BootloaderRevision 0x{EMULATED_BOOTLOADER_REVISION:08X}"
ZIGPY_ENDPOINTS = frozenset({1, 2, 242})  # zigpy registers HA, ZLL and Green Power itself


class Waiter(Protocol):
    """How the bench waits: a condition or a deadline on the bench clock."""

    def now(self) -> float: ...

    def stamp(self) -> float:
        """The time of a frame the tap records (harness.bench.han.Clock.stamp)."""
        ...

    async def until(self, condition: Callable[[], object], timeout: float, what: str, jump: bool = True) -> object: ...


@dataclass(frozen=True)
class RadioSettings:
    path: str
    baudrate: int
    flow_control: str | None
    channel: int
    pan_id: int
    extended_pan_id: str | None
    network_key: bytes | None
    esi_endpoints: dict[str, int]  # source name -> harness endpoint
    skip_bootloader: bool = True
    request_timeout: float = 15.0  # zigpy-znp's sync_request_timeout (radio.request_timeout)
    client_endpoints: tuple[int, ...] = ()  # the HAN clients the harness plays for a meter under test
    key_establishment_endpoint: int | None = None  # radio.security cbke: the ESI endpoint serving KE too
    # zigpy's watchdog (a SYS.Ping every 30 s): a real stick's. On a loop that keeps the
    # simulated world's time (harness.bench.event_time) it would ping 2 880 times in a 24 h
    # soak, for an in-process stick that cannot die unnoticed (Han.check_world).
    watchdog: bool = True

    @property
    def rogue_endpoint(self) -> int:
        """The endpoint that is no ESI (ROGUE_ENDPOINT unless a declared ESI takes it)."""
        taken = set(self.esi_endpoints.values()) | set(self.client_endpoints) | ZIGPY_ENDPOINTS
        return next(ep for ep in range(ROGUE_ENDPOINT, 241) if ep not in taken)


def zigpy_config(settings: RadioSettings) -> dict:
    network: dict[str, object] = {"channel": settings.channel, "pan_id": settings.pan_id}
    if settings.extended_pan_id:
        network["extended_pan_id"] = settings.extended_pan_id
    if settings.network_key is not None:
        network["key"] = zt.KeyData(settings.network_key)
    return {
        "device": {
            "path": settings.path,
            "baudrate": settings.baudrate,
            "flow_control": settings.flow_control,
        },
        "database_path": None,
        "network": network,
        # A conformance bench sends nothing behind a case's back.
        "backup_enabled": False,
        "topology_scan_enabled": False,
        "watchdog_enabled": settings.watchdog,
        "ota": {"enabled": False},
        "znp_config": {
            "prefer_endpoint_1": False,  # so replies can leave from the ESI endpoints
            "skip_bootloader": settings.skip_bootloader,
            "sync_request_timeout": settings.request_timeout,
            # zigpy-znp's callbacks (a frame's DataConfirm) get twice as long, its own 15/30 s ratio
            "async_response_timeout": 2 * settings.request_timeout,
        },
        "additional_endpoints": [
            {
                "endpoint": endpoint,
                "profile": SE_PROFILE,
                "device_type": ESI_DEVICE_TYPE,
                "device_version": 0,
                "input_clusters": ESI_SERVER_CLUSTERS
                + ([ids.KEY_ESTABLISHMENT] if endpoint == settings.key_establishment_endpoint else []),
                "output_clusters": [],
            }
            for endpoint in sorted(settings.esi_endpoints.values())
        ]
        + [
            {
                "endpoint": settings.rogue_endpoint,
                "profile": SE_PROFILE,
                "device_type": ROGUE_DEVICE_TYPE,
                "device_version": 0,
                "input_clusters": ROGUE_SERVER_CLUSTERS,
                "output_clusters": [],
            }
        ]
        + [
            {
                "endpoint": endpoint,
                "profile": SE_PROFILE,
                "device_type": HAN_CLIENT_DEVICE_TYPE,
                "device_version": 0,
                "input_clusters": HAN_CLIENT_SERVER_CLUSTERS,
                "output_clusters": HAN_CLIENT_CLIENT_CLUSTERS,
            }
            for endpoint in settings.client_endpoints
        ],
    }


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and what it came from (__cause__, else __context__), outermost first."""
    chain: list[BaseException] = []
    node: BaseException | None = exc
    while node is not None and all(node is not seen for seen in chain):  # a cycle ends it
        chain.append(node)
        node = node.__cause__ or node.__context__
    return chain


def _errno_of(chain: list[BaseException]) -> int | None:
    for error in chain:
        number = getattr(error, "errno", None)
        if isinstance(number, int):
            return number
        # pyserial's SerialException (an OSError) may carry the errno only as its first argument
        if isinstance(error, OSError) and error.args and isinstance(error.args[0], int):
            return error.args[0]
    return None


def _check_hint(settings: RadioSettings, chain: list[BaseException]) -> str:
    """What the lab engineer checks first, by the kind of failure anywhere in the chain."""
    number = _errno_of(chain)
    path = settings.path
    if path.startswith("socket://"):
        where = path.removeprefix("socket://")
        listener = f"is ser2net (or the emulator) listening on {where}, and reachable from here?"
    else:
        listener = f"is the stick plugged in and is {path} its device path (ls -l /dev/serial/by-id/)?"
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or number == errno.ECONNREFUSED:
        return f"connection refused: {listener}"
    if any(isinstance(e, PermissionError) for e in chain) or number in (errno.EACCES, errno.EPERM):
        return (
            f"permission denied on {path}: is this user in the group that owns it "
            f"(usually dialout: sudo usermod -aG dialout $USER, then log in again)?"
        )
    if any(isinstance(e, FileNotFoundError) for e in chain) or number == errno.ENOENT:
        return f"no such file: {listener}"
    if number == errno.ENOTTY:
        return f"{path} is not a serial device: check radio.path"
    if any(isinstance(e, TimeoutError) for e in chain):
        return (
            f"the stick did not answer on {path}: check radio.baudrate ({settings.baudrate}) and "
            f"radio.flow_control ({settings.flow_control or 'null'}), that it runs Z-Stack coordinator firmware, "
            f"and that it is not waiting in its bootloader (replug it)"
        )
    if any(isinstance(e, ConnectionError | OSError) for e in chain):
        return f"the connection failed: {listener}"
    return f"check radio.path ({path}), radio.baudrate ({settings.baudrate}) and the stick's firmware"


def start_failure(settings: RadioSettings, exc: BaseException, seconds: float | None = None) -> str:
    """One line for a coordinator that did not start: the path, the first exception in the
    chain that says something (zigpy's TransientConnectionError and asyncio's TimeoutError
    say nothing; the OSError under them does), and what to check.

    The full traceback stays in the report; this is the line a lab engineer reads first."""
    chain = _chain(exc)
    said = next((e for e in chain if str(e).strip()), None)
    if said is None:
        # Nothing in the chain has words: name the kinds, outermost first.
        cause = " from ".join(dict.fromkeys(type(e).__name__ for e in chain))
    else:
        cause = f"{type(said).__name__}: {' '.join(str(said).split())}"
        if said is not chain[0]:
            cause = f"{type(chain[0]).__name__} ({cause})"
    if seconds is not None and any(isinstance(e, TimeoutError) for e in chain):
        cause += f" after {seconds:.1f} s"  # how long it waited says which timeout it was
    return f"coordinator on {settings.path} did not start: {cause}. Check: {_check_hint(settings, chain)}"


class Coordinator:
    """The harness's coordinator: zigpy-znp over a serial path."""

    def __init__(self, settings: RadioSettings, waiter: Waiter) -> None:
        self.settings = settings
        self.waiter = waiter
        self.app: HarnessZnpApp | None = None
        self._tsn = 0
        # SYS.Version BootloaderRevision of the stick opened (None: it reported none).
        self.bootloader_revision: int | None = None
        self._lost: asyncio.Event | None = None  # set when zigpy-znp lost the serial link
        # Frames in a row the unit's radio never acknowledged, with nothing heard from it since
        # the first: the unit is off the air (SILENT_AFTER of them make the bench unusable).
        self._undelivered: list[str] = []
        self._heard_at_first_undelivered = 0
        self.lost_because: str | None = None
        # Units whose CBKE link key is installed in the stick: every frame to them but Key
        # Establishment's goes APS-secured (radio.security cbke; harness.bench.security).
        self.secured_peers: set[int] = set()

    @property
    def trace(self):  # noqa: ANN201  (FrameTrace; typed via app)
        assert self.app is not None
        return self.app.trace

    async def start(self) -> None:
        started = time.monotonic()  # real seconds: a stick that never answers takes real time
        try:
            self.app = await HarnessZnpApp.new(zigpy_config(self.settings), auto_form=True)
        except Exception as exc:
            raise CoordinatorError(start_failure(self.settings, exc, time.monotonic() - started)) from exc
        self.app.now = self.waiter.stamp
        info = self.app.state.network_info
        wanted_key = self.settings.network_key
        if (
            info.channel != self.settings.channel
            or info.pan_id != self.settings.pan_id
            or (wanted_key is not None and bytes(info.network_key.key) != wanted_key)
        ):
            # A stick that already had a network keeps it: form the configured one.
            await self.app.form_network()
            await self.app.shutdown()
            self.app = await HarnessZnpApp.new(zigpy_config(self.settings), auto_form=True)
            self.app.now = self.waiter.stamp
        await self._read_identity()
        asyncio.get_running_loop().set_exception_handler(_log_without_traceback)
        self._lost = asyncio.Event()
        self.app.add_listener(_LinkWatch(self))  # zigpy's public listener events

    def link_lost(self, exc: BaseException | None) -> None:
        """zigpy-znp lost the serial link (its application's connection_lost event)."""
        if self._lost is not None and not self._lost.is_set():
            self.lost_because = " ".join(str(exc).split()) or type(exc).__name__ if exc else "closed"
            self._lost.set()

    def check_link(self) -> None:
        """StickLost once zigpy-znp has lost the serial link: nothing the unit does can be seen
        any more, so a wait must not end as "the unit did not answer" (a device failure)."""
        if self._lost is not None and self._lost.is_set():
            raise StickLost(
                f"the coordinator on {self.settings.path} went away mid-run (zigpy-znp lost the serial link: "
                f"{self.lost_because}): every remaining case is blocked. Check: is the stick still plugged in, "
                f"is ser2net (or the emulator) still running?"
            )

    async def _read_identity(self) -> None:
        """Ask the stick itself what it is, whatever path reached it (in-process, a TCP port,
        ser2net, a pty): an emulated stick says so in SYS.Version (harness.stick_identity), so a
        run against one is never reported as a hardware result. Asked here, not taken from
        zigpy-znp's start-up, so that it is this stick's answer on this connection."""
        assert self.app is not None
        try:
            version = await seams.znp_of(self.app).request(c.SYS.Version.Req())
        except Exception as exc:
            raise CoordinatorError(
                f"coordinator on {self.settings.path} did not answer SYS.Version after start-up: {exc!r}"
            ) from exc
        revision = getattr(version, "BootloaderRevision", None)
        self.bootloader_revision = None if revision is None else int(revision)

    @property
    def emulated(self) -> bool:
        return is_emulated(self.bootloader_revision)

    async def stop(self) -> None:
        if self.app is not None:
            await self.app.shutdown()
            self.app = None

    def firmware(self) -> str:
        assert self.app is not None
        return self.app.state.node_info.version or "unknown"

    def network_summary(self) -> dict[str, str]:
        assert self.app is not None
        info = self.app.state.network_info
        revision = self.bootloader_revision
        return {
            "channel": str(info.channel),
            "pan_id": f"0x{info.pan_id:04X}",
            "extended_pan_id": str(info.extended_pan_id),
            "coordinator_ieee": str(self.app.state.node_info.ieee),
            "firmware": self.firmware(),
            "bootloader_revision": "none" if revision is None else f"0x{revision:08X}",
            **({STICK_KEY: EMULATED_STICK} if self.emulated else {}),
        }

    async def permit(self, seconds: int) -> None:
        assert self.app is not None
        await self.app.permit(seconds)

    async def open_for(self, ieee: str, link_key: bytes | None, seconds: int) -> asyncio.Task[None] | None:
        """Open the network for the unit: with its install-code link key when it has one
        (zigpy-znp then admits only install-code joins), else plain permit-join."""
        assert self.app is not None
        if link_key is None:
            await self.app.permit(seconds)
            return None
        # permit_with_link_key holds the window open by sleeping through it: a task.
        # It sends the install code and install-code-only mode before opening the window.
        return asyncio.get_running_loop().create_task(
            self.app.permit_with_link_key(zt.EUI64.convert(ieee), zt.KeyData(link_key), seconds)
        )

    async def close_joining(self, joining: asyncio.Task[None] | None) -> None:
        if joining is not None:
            joining.cancel()  # its cleanup turns install-code-only joins off again
            with contextlib.suppress(asyncio.CancelledError):
                await joining
        await self.permit(0)

    async def wait_for_device(self, ieee: str, timeout: float) -> int:
        """The NWK address of the unit under test once zigpy has interviewed it.

        Joining is waited for on the bench clock (in simulation a unit that never joins is
        known at once); zigpy's interview runs in real time, so that part never jumps."""
        assert self.app is not None
        app = self.app
        key = zt.EUI64.convert(ieee)
        deadline = self.waiter.now() + timeout
        await self.waiter.until(lambda: key in app.devices, timeout, f"the unit {ieee} to join")

        def interviewed() -> int | None:
            device = app.devices.get(key)
            return device.nwk if device is not None and device.is_initialized else None

        remaining = max(1.0, deadline - self.waiter.now())
        nwk = await self.waiter.until(interviewed, remaining, f"zigpy to interview {ieee}", jump=False)
        return int(nwk)  # type: ignore[call-overload]

    def next_tsn(self) -> int:
        self._tsn = (self._tsn + 1) & 0xFF
        return self._tsn

    async def send(
        self,
        *,
        dst_nwk: int,
        dst_ep: int,
        src_ep: int,
        cluster_id: int,
        payload: bytes,
        profile_id: int = SE_PROFILE,
        aps_security: bool | None = None,
    ) -> FrameRecord:
        """Send one APS frame, once. Delivery failure is a BenchError naming the frame.

        `aps_security` None: APS-secured when the unit's CBKE key is installed (secured_peers),
        Key Establishment never; True/False: as a SEC case asks."""
        assert self.app is not None
        if aps_security is None:
            aps_security = dst_nwk in self.secured_peers and cluster_id != ids.KEY_ESTABLISHMENT
        aps_security = aps_security and profile_id == SE_PROFILE
        packet = zt.ZigbeePacket(
            src=zt.AddrModeAddress(addr_mode=zt.AddrMode.NWK, address=self.app.state.node_info.nwk),
            src_ep=src_ep,
            dst=zt.AddrModeAddress(addr_mode=zt.AddrMode.NWK, address=dst_nwk),
            dst_ep=dst_ep,
            tsn=self.app.get_sequence(),  # the APS transaction ID; the ZCL TSN is in the payload
            profile_id=profile_id,
            cluster_id=cluster_id,
            data=zt.SerializableBytes(payload),
            tx_options=zt.TransmitOptions.ACK
            | (zt.TransmitOptions.APS_Encryption if aps_security else zt.TransmitOptions.NONE),
            radius=30,
        )
        self.check_link()
        try:
            return await self._unless_lost(self.app.send_once(packet))
        except BenchError:
            raise  # the bench's own refusal (e.g. an endpoint not registered), not the air's
        except Exception as exc:
            self.check_link()  # the frame failed because the stick went away: say that
            what = f"frame to 0x{dst_nwk:04X} ep {dst_ep} cluster 0x{cluster_id:04X} ({payload.hex(' ')})"
            if any(isinstance(e, TimeoutError) for e in _chain(exc)) and not await self._stick_answers():
                # No status at all, and the stick does not answer a ping either: the stick, or
                # the line to it, has failed (Z-Stack confirms every request, delivered or not).
                raise StickUnresponsive(
                    f"the coordinator on {self.settings.path} never confirmed the {what} (zigpy-znp timed out "
                    "waiting for the stick) and does not answer SYS.Ping: the stick, or the serial line to it, "
                    "stopped answering (garbage or lost bytes on the line?); every remaining case is blocked "
                    f"[{' from '.join(type(e).__name__ for e in _chain(exc))}]"
                ) from None  # zigpy-znp's and asyncio's frames say no more than the line above
            self._count_undelivered(dst_nwk, what, exc)
            raise DeliveryFailed(f"{what} was not delivered: {exc}") from exc
        else:
            self._undelivered.clear()

    async def _stick_answers(self) -> bool:
        """After a request the stick never confirmed: does it answer SYS.Ping (within
        zigpy-znp's own request timeout)? Only asked on that failure path."""
        assert self.app is not None
        try:
            await self._unless_lost(seams.znp_of(self.app).request(c.SYS.Ping.Req()))
        except StickLost:
            raise
        except Exception:  # noqa: BLE001 (any failure to answer is the answer)
            return False
        return True

    def _heard_from(self, nwk: int) -> int:
        return sum(1 for r in self.trace.since(0) if r.direction is Direction.RX and r.src_nwk == nwk)

    def _count_undelivered(self, dst_nwk: int, what: str, exc: BaseException) -> None:
        """UnitSilent when SILENT_AFTER frames in a row were never acknowledged by the unit's
        radio and nothing at all was heard from it meanwhile. One lost frame is the air's (a
        case may resend); a unit no frame reaches, time after time, is off the air, and every
        case after would end broken or, waiting for what it never sends, look like its fault."""
        heard = self._heard_from(dst_nwk)
        if not self._undelivered or heard != self._heard_at_first_undelivered:
            self._undelivered = []
            self._heard_at_first_undelivered = heard
        self._undelivered.append(what)
        if len(self._undelivered) >= SILENT_AFTER:
            raise UnitSilent(
                f"the unit (0x{dst_nwk:04X}) went silent: {len(self._undelivered)} frames in a row reached no radio "
                f"(last: {what}: {exc}) and nothing was heard from it since the first; every remaining case is "
                "blocked. Check: is it powered, in range, still joined?"
            ) from exc

    async def _unless_lost(self, work: Coroutine[Any, Any, T]) -> T:
        """`work`, or StickLost as soon as the link is lost (zigpy-znp would otherwise wait out
        its own request timeout for an answer that can no longer come)."""
        task = asyncio.ensure_future(work)
        if self._lost is None:
            return await task
        lost = asyncio.ensure_future(self._lost.wait())
        try:
            await asyncio.wait({task, lost}, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:
            task.cancel()
            raise
        finally:
            lost.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
            self.check_link()
        return task.result()

    async def expect(
        self, match: Callable[[FrameRecord], bool], *, since: int, timeout: float, what: str
    ) -> FrameRecord | None:
        """The first received frame after trace mark `since` that matches, or None at the deadline."""
        trace = self.trace
        scanned = since  # the trace only grows: each pass reads only the frames the last one had not seen

        def found() -> FrameRecord | None:
            nonlocal scanned
            self.check_link()  # no answer from a stick that went away is no answer from the unit
            fresh = trace.since(scanned)
            scanned += len(fresh)
            for record in fresh:
                if record.direction is Direction.RX and match(record):
                    return record
            return None

        try:
            return await self.waiter.until(found, timeout, what)  # type: ignore[return-value]
        except TimeoutError:
            return None


class DeliveryFailed(BenchError):
    """The coordinator could not deliver a frame (no route, no MAC ACK)."""


class StickLost(CoordinatorError, FatalBenchError):
    """zigpy-znp lost the serial link to the stick mid-run (unplugged, ser2net or the emulator
    gone): the bench is unusable, every remaining case is blocked."""


class StickUnresponsive(CoordinatorError, FatalBenchError):
    """The stick stopped confirming requests: it, or the serial line, has failed mid-run."""


class UnitSilent(CoordinatorError, FatalBenchError):
    """No frame reaches the unit any more, and it sends nothing: off the air mid-run."""


def _log_without_traceback(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """asyncio's report of a task nobody awaited (zigpy-znp leaves one behind when the stick
    stops answering), logged without its traceback. Python 3.11 formats a traceback's carets
    with ast.parse, whose recursion-depth bookkeeping is shared between threads: formatted on
    the bench loop while pytest formats a failure in the main thread, it raises SystemError
    ("AST constructor recursion depth mismatch") and the run ends in an INTERNALERROR."""
    error = context.get("exception")
    LOGGER.warning("%s%s", context.get("message", "unhandled error on the bench loop"), f": {error!r}" if error else "")


class _LinkWatch:
    """A zigpy application listener: its connection_lost event marks the link lost."""

    def __init__(self, coordinator: Coordinator) -> None:
        self._coordinator = coordinator

    def connection_lost(self, exc: BaseException | None) -> None:
        self._coordinator.link_lost(exc)


__all__ = [
    "Coordinator",
    "DeliveryFailed",
    "RadioSettings",
    "StickLost",
    "StickUnresponsive",
    "UnitSilent",
    "Waiter",
    "asyncio",
]
