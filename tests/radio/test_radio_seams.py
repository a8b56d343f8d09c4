"""harness.radio.seams against the installed zigpy and zigpy-znp: every internal a seam
wraps, and every private method HarnessZnpApp overrides, still exists and still behaves
as the seam relies on. A failure names both versions and the attribute.

Everything here is the real zigpy / zigpy-znp code. The one stand-in is the radio link:
the MT test talks to a local TCP socket that answers a ping, and the pending-request
test holds zigpy's send_packet open instead of transmitting.

(Named test_radio_seams.py, not test_seams.py: tests/ has no __init__.py files, so two
test modules called test_seams would collide under pytest's default import mode.)
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import inspect
from pathlib import Path
from typing import Any

import pytest
import zigpy.device
import zigpy.types as zt
import zigpy_znp.commands as c
import zigpy_znp.config as znp_conf
import zigpy_znp.types as znp_t
from zigpy.zcl import foundation
from zigpy_znp.api import ZNP
from zigpy_znp.frames import TransportFrame
from zigpy_znp.uart import ZnpMtProtocol
from zigpy_znp.zigbee.application import ControllerApplication

from harness.radio import seams
from harness.radio.app import HarnessZnpApp
from harness.radio.coordinator import RadioSettings, zigpy_config
from tests.source_tree import parse

VERSIONS = seams.versions()
RADIO_DIR = Path(seams.__file__).resolve().parent
UNIT_IEEE = zt.EUI64.convert("00:0d:6f:00:00:00:00:01")
OWN_IEEE = zt.EUI64.convert("00:12:4b:00:00:00:00:01")


def require(owner: object, name: str, seam: str) -> None:
    assert hasattr(owner, name), (
        f"{VERSIONS}: {getattr(owner, '__qualname__', type(owner).__qualname__)} no longer has {name};"
        f" harness.radio.seams.{seam} has to be updated for these versions"
    )


def config(**extra: Any) -> dict:
    settings = RadioSettings(
        path="/dev/null",
        baudrate=115200,
        flow_control=None,
        channel=15,
        pan_id=0x1A62,
        extended_pan_id=None,
        network_key=None,
        esi_endpoints={"esme": 2},
    )
    return {**zigpy_config(settings), **extra}


def make_app(cls: type[HarnessZnpApp] = HarnessZnpApp, **extra: Any) -> HarnessZnpApp:
    return cls(config(**extra))


def base_attributes() -> set[str]:
    """Every name a stock zigpy-znp ControllerApplication has, on the class or instance."""
    return set(dir(ControllerApplication)) | set(vars(ControllerApplication(config())))


# -- overridden private methods ------------------------------------------------------------


@pytest.mark.parametrize("name", seams.OVERRIDDEN_PRIVATE_NAMES)
def test_overridden_method_exists_in_zigpy_znp(name: str) -> None:
    require(ControllerApplication, name, name)
    parameters = list(inspect.signature(getattr(ControllerApplication, name)).parameters.values())[1:]
    names = [p.name for p in parameters]
    wanted = list(seams.OVERRIDDEN_PRIVATE_METHODS[name])
    assert names[: len(wanted)] == wanted, (
        f"{VERSIONS}: ControllerApplication.{name} now takes {names}, the override in harness/radio/app.py"
        f" and its callers rely on {wanted}"
    )
    extra_required = [
        p.name
        for p in parameters[len(wanted) :]
        if p.default is inspect.Parameter.empty and p.kind is not p.VAR_KEYWORD
    ]
    assert not extra_required, f"{VERSIONS}: ControllerApplication.{name} gained required parameters {extra_required}"


@pytest.mark.parametrize("name", seams.OVERRIDDEN_PRIVATE_NAMES)
def test_our_override_accepts_zigpy_znps_arguments(name: str) -> None:
    assert name in vars(HarnessZnpApp), f"HarnessZnpApp no longer overrides {name}: drop it from the seam list"
    arguments = {p: 0 for p in seams.OVERRIDDEN_PRIVATE_METHODS[name]}
    inspect.signature(getattr(HarnessZnpApp, name)).bind(None, **arguments)


def test_zigpy_znp_still_calls_the_overridden_methods() -> None:
    # The overrides only work while zigpy-znp reaches them by name: send_packet through
    # _send_request_raw, which asks _find_endpoint for the source endpoint.
    for caller, callee in (("send_packet", "_send_request_raw"), ("_send_request_raw", "_find_endpoint")):
        source = inspect.getsource(getattr(ControllerApplication, caller))
        assert f"self.{callee}(" in source, (
            f"{VERSIONS}: ControllerApplication.{caller} no longer calls self.{callee}; the override in"
            " harness/radio/app.py would be dead code"
        )


def test_every_private_override_is_listed() -> None:
    private = {
        n for n, v in vars(HarnessZnpApp).items() if n.startswith("_") and not n.startswith("__") and callable(v)
    }
    overriding = {n for n in private if hasattr(ControllerApplication, n)}
    assert overriding == set(seams.OVERRIDDEN_PRIVATE_NAMES), (
        f"{VERSIONS}: HarnessZnpApp overrides private {sorted(overriding)};"
        f" harness.radio.seams lists {sorted(seams.OVERRIDDEN_PRIVATE_NAMES)}"
    )


def test_own_private_attributes_do_not_shadow_zigpy_ones() -> None:
    stock = set(vars(ControllerApplication(config())))
    own = {n for n in vars(make_app()) if n.startswith("_")} - stock
    assert own == {"_claimers"}, f"new private attributes on HarnessZnpApp: {sorted(own)}: check them here"
    assert not own & base_attributes()


def test_find_endpoint_seams() -> None:
    app = make_app()
    # The ZDO endpoint and Green Power are answered before zigpy-znp looks at the stick.
    assert seams.stock_find_endpoint(app, 0, 0x0104, 0x0006) == 0
    assert seams.find_endpoint(app, 0, 0x0104, 0x0006) == 0  # through HarnessZnpApp's override
    assert seams.stock_find_endpoint(app, 1, 0xA1E0, 0x0021) == 242


def test_send_request_raw_goes_through_the_override_to_zigpy_znp() -> None:
    app = make_app()
    request = {
        "dst_addr": znp_t.AddrModeAddress(mode=znp_t.AddrMode.NWK, address=0x1234),
        "dst_ep": 0,
        "src_ep": 0,
        "profile": 0x0000,
        "cluster": 0x0005,
        "sequence": 1,
        "options": c.af.TransmitOptions.NONE,
        "radius": 0,
        "data": b"\x01\x34\x12",
    }
    # Not connected: zigpy-znp's own implementation refuses, after HarnessZnpApp counted it.
    with pytest.raises(Exception, match="disconnected"):
        asyncio.run(seams.send_request_raw(app, **request))
    assert (app.sends_started, app.sends_done) == (1, 1)
    with pytest.raises(Exception, match="disconnected"):
        asyncio.run(seams.stock_send_request_raw(app, **request))
    assert (app.sends_started, app.sends_done) == (1, 1)  # the stock one bypasses the count


# -- private attributes ----------------------------------------------------------------------


def test_znp_of_is_none_before_connect() -> None:
    app = make_app()
    assert "_znp" in vars(app), f"{VERSIONS}: ControllerApplication no longer sets _znp; harness.radio.seams.znp_of"
    assert seams.znp_of(app) is None


def test_coordinator_device() -> None:
    app = make_app()
    require(ControllerApplication, "_device", "coordinator_device")
    app.state.node_info.ieee = OWN_IEEE
    own = app.add_device(OWN_IEEE, 0x0000)
    assert seams.coordinator_device(app) is own


def test_limit_concurrency_queues_beyond_the_limit() -> None:
    app = make_app(max_concurrent_requests=4)
    require(app, "_limit_concurrency", "limit_concurrency")

    async def entered() -> int:
        count = 0
        async with contextlib.AsyncExitStack() as stack:
            while count < 10:
                try:
                    await asyncio.wait_for(stack.enter_async_context(seams.limit_concurrency(app, None)), 0.05)
                except TimeoutError:
                    return count
                count += 1
        return count

    count = asyncio.run(entered())
    assert 1 <= count <= 4, f"{VERSIONS}: _limit_concurrency let {count} requests through a limit of 4"


class _HeldRadio(HarnessZnpApp):
    """send_packet never completes: zigpy's request stays pending, as while a unit thinks."""

    async def send_packet(self, packet: zt.ZigbeePacket) -> None:
        await asyncio.Event().wait()


def test_zigpy_awaits_response_sees_zigpys_pending_request() -> None:
    app = make_app(_HeldRadio)
    unit = app.add_device(UNIT_IEEE, 0x5C21)
    require(unit, "_requests", "zigpy_awaits_response")
    header = foundation.ZCLHeader.general(
        tsn=7, command_id=foundation.GeneralCommand.Read_Attributes, direction=foundation.Direction.Client_to_Server
    )
    read = foundation.GENERAL_COMMANDS[foundation.GeneralCommand.Read_Attributes].schema(attribute_ids=[0x0004])
    answer = {"endpoint_id": 1, "cluster_id": 0x0000, "tsn": 7}

    async def run() -> tuple[bool, bool, bool, bool]:
        pending = asyncio.create_task(unit.request(0x0104, 0x0000, 1, 1, 7, header.serialize() + read.serialize()))
        for _ in range(10):
            await asyncio.sleep(0)
        during = seams.zigpy_awaits_response(unit, direction=foundation.Direction.Server_to_Client, **answer)
        wrong_way = seams.zigpy_awaits_response(unit, direction=foundation.Direction.Client_to_Server, **answer)
        other_tsn = seams.zigpy_awaits_response(
            unit, endpoint_id=1, cluster_id=0, tsn=8, direction=foundation.Direction.Server_to_Client
        )
        pending.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pending
        after = seams.zigpy_awaits_response(unit, direction=foundation.Direction.Server_to_Client, **answer)
        return during, wrong_way, other_tsn, after

    during, wrong_way, other_tsn, after = asyncio.run(run())
    assert during, f"{VERSIONS}: a pending zigpy request is no longer in Device._requests under its ResponseKey"
    assert not wrong_way and not other_tsn and not after


def test_response_key_fields() -> None:
    fields = [f.name for f in zigpy.device.ResponseKey.__dataclass_fields__.values()]
    assert fields == ["endpoint_id", "cluster_id", "direction", "tsn"], f"{VERSIONS}: ResponseKey is now {fields}"


def test_tap_mt_frames_counts_both_ways_on_a_real_serial_link() -> None:
    require(ZNP(znp_conf.CONFIG_SCHEMA({"device": {"path": "/dev/null"}})), "_uart", "tap_mt_frames")
    require(ZnpMtProtocol, "send", "tap_mt_frames")
    pong = TransportFrame(c.SYS.Ping.Rsp(Capabilities=znp_t.MTCapabilities.SYS).to_frame()).serialize()

    async def run() -> tuple[object, int, int]:
        async def stick(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read(64)  # the ping
            writer.write(pong)
            await writer.drain()
            await reader.read(64)  # until zigpy-znp hangs up

        server = await asyncio.start_server(stick, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        znp = ZNP(znp_conf.CONFIG_SCHEMA({"device": {"path": f"socket://127.0.0.1:{port}"}}))
        counts = {"out": 0, "in": 0}
        try:
            await znp.connect(test_port=False)
            seams.tap_mt_frames(
                znp,
                on_send=lambda: counts.__setitem__("out", counts["out"] + 1),
                on_receive=lambda: counts.__setitem__("in", counts["in"] + 1),
            )
            response = await znp.request(c.SYS.Ping.Req())
        finally:
            await znp.disconnect()
            server.close()
            await server.wait_closed()
        return response, counts["out"], counts["in"]

    response, sent, parsed = asyncio.run(asyncio.wait_for(run(), 10))
    assert isinstance(response, c.SYS.Ping.Rsp)  # the frames passed on unchanged
    assert (sent, parsed) == (1, 1), (
        f"{VERSIONS}: ZNP no longer sends through _uart.send / receives through frame_received"
        f" (counted {sent} out, {parsed} in)"
    )


def test_tap_refuses_an_unconnected_znp() -> None:
    znp = ZNP(znp_conf.CONFIG_SCHEMA({"device": {"path": "/dev/null"}}))
    with pytest.raises(seams.SeamBroken, match="_uart"):
        seams.tap_mt_frames(znp, on_send=lambda: None, on_receive=lambda: None)


def test_a_missing_attribute_names_the_versions_and_the_seam() -> None:
    with pytest.raises(seams.SeamBroken) as caught:
        seams.znp_of(object())  # type: ignore[arg-type]
    message = str(caught.value)
    assert VERSIONS in message and "_znp" in message and "znp_of" in message


# -- nothing else in harness/radio touches a zigpy private name ------------------------------


def _private_uses(path: Path) -> list[str]:
    """Underscore attributes reached on anything but ``self`` (dunders aside)."""
    found = []
    for node in ast.walk(parse(path)):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            if not (isinstance(node.value, ast.Name) and node.value.id == "self"):
                found.append(f"{path.name}:{node.lineno} .{node.attr}")
    return found


def _self_privates(path: Path) -> set[str]:
    return {
        node.attr
        for node in ast.walk(parse(path))
        if isinstance(node, ast.Attribute)
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
    }


@pytest.mark.parametrize("name", ["app.py", "coordinator.py"])
def test_only_the_seams_module_uses_zigpy_private_names(name: str) -> None:
    assert not _private_uses(RADIO_DIR / name), (
        f"private attribute use outside harness/radio/seams.py: {_private_uses(RADIO_DIR / name)}"
    )


def test_the_apps_own_private_names_are_not_zigpys() -> None:
    # self._x in app.py is on a zigpy-znp ControllerApplication: it must be ours.
    borrowed = sorted(_self_privates(RADIO_DIR / "app.py") & base_attributes())
    assert not borrowed, (
        f"app.py reaches zigpy/zigpy-znp private names through self: {borrowed}; use harness.radio.seams"
    )
