"""Every place harness/radio relies on zigpy or zigpy-znp internals, one name each.

The bench needs four things neither library offers publicly: counting MT frames on the
serial link, sending a frame exactly once from an endpoint of its choosing, telling
zigpy's own pending requests from unsolicited frames, and the coordinator's endpoints.
Each is reached here, behind a small function, so a zigpy / zigpy-znp upgrade that moves
one breaks one seam (tests/radio/test_radio_seams.py names the attribute and the
installed versions) rather than the application class. The versions are pinned
(zigpy 2.4.x, zigpy-znp 1.1.x) for the same reason.

Two private methods are *overridden* by ``HarnessZnpApp`` rather than called; an
override is a seam too (zigpy-znp calls it by that name and with those arguments), so
they are listed in ``OVERRIDDEN_PRIVATE_METHODS`` with the parameters the override
relies on, and the tests check zigpy-znp still has them with that signature.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import zigpy.device
from zigpy.zcl import foundation
from zigpy_znp.zigbee.application import ControllerApplication

from harness.zcl import seams as zcl_seams
from harness.zcl.seams import SeamBroken

PACKAGES = ("zigpy", "zigpy-znp")


def versions() -> str:
    """e.g. "zigpy 2.4.0, zigpy-znp 1.1.1", for seam failure messages."""
    return zcl_seams.versions(*PACKAGES)


def _private(obj: Any, name: str, seam: str) -> Any:
    return zcl_seams.private_attribute(obj, name, f"harness.radio.seams.{seam}", PACKAGES)


# -- private methods HarnessZnpApp overrides --------------------------------------------
# name -> the parameters (after self) the override and its callers rely on, in order.
# zigpy-znp's send_packet calls _send_request_raw(...) with these keywords, and its
# _send_request_raw calls _find_endpoint(dst_ep=, profile=, cluster=) to pick the source
# endpoint; HarnessZnpApp overrides the first to count sends in flight (the bench's
# idle test) and the second to send from the endpoint a case names.
OVERRIDDEN_PRIVATE_METHODS: dict[str, tuple[str, ...]] = {
    "_find_endpoint": ("dst_ep", "profile", "cluster"),
    "_send_request_raw": (
        "dst_addr",
        "dst_ep",
        "src_ep",
        "profile",
        "cluster",
        "sequence",
        "options",
        "radius",
        "data",
    ),
}
OVERRIDDEN_PRIVATE_NAMES: tuple[str, ...] = tuple(OVERRIDDEN_PRIVATE_METHODS)


def find_endpoint(app: ControllerApplication, dst_ep: int, profile: int, cluster: int) -> int:
    """The source endpoint the application would send from (through any override)."""
    return _private(app, "_find_endpoint", "find_endpoint")(dst_ep, profile, cluster)


def stock_find_endpoint(app: ControllerApplication, dst_ep: int, profile: int, cluster: int) -> int:
    """zigpy-znp's own choice of source endpoint: what an override falls back to."""
    method = _private(ControllerApplication, "_find_endpoint", "stock_find_endpoint")
    return method(app, dst_ep, profile, cluster)


async def send_request_raw(app: ControllerApplication, **kwargs: Any) -> None:
    """One AF data request, no route repair or retry (through any override).

    zigpy-znp's public send_packet resends on some failures; a conformance case must
    see a delivery failure instead, so the bench sends one level down.
    """
    await _private(app, "_send_request_raw", "send_request_raw")(**kwargs)


async def stock_send_request_raw(app: ControllerApplication, *args: Any, **kwargs: Any) -> None:
    """zigpy-znp's own _send_request_raw: what an override passes the request on to."""
    method = _private(ControllerApplication, "_send_request_raw", "stock_send_request_raw")
    await method(app, *args, **kwargs)


# -- private attributes read or wrapped --------------------------------------------------


def limit_concurrency(app: ControllerApplication, priority: int | None) -> contextlib.AbstractAsyncContextManager[None]:
    """zigpy's coordinator request limiter (``ControllerApplication._limit_concurrency``):
    a harness send queues behind zigpy's own requests as send_packet's callers do."""
    return _private(app, "_limit_concurrency", "limit_concurrency")(priority=priority)


def coordinator_device(app: ControllerApplication) -> zigpy.device.Device:
    """The coordinator's own zigpy device, with its registered endpoints
    (``ControllerApplication._device``)."""
    return _private(app, "_device", "coordinator_device")


def zigpy_awaits_response(
    device: zigpy.device.Device,
    *,
    endpoint_id: int,
    cluster_id: int,
    direction: foundation.Direction,
    tsn: int,
) -> bool:
    """Is zigpy itself waiting for this answer from the device (its interview's reads)?

    Looked up as zigpy matches answers: a ``ResponseKey`` in ``Device._requests``, its
    table of pending requests.
    """
    key = zigpy.device.ResponseKey(endpoint_id=endpoint_id, cluster_id=cluster_id, direction=direction, tsn=tsn)
    return key in _private(device, "_requests", "zigpy_awaits_response")


def znp_of(app: ControllerApplication) -> Any:
    """The connected ``zigpy_znp.api.ZNP`` (``ControllerApplication._znp``), or None."""
    return _private(app, "_znp", "znp_of")


def tap_mt_frames(znp: Any, on_send: Callable[[], None], on_receive: Callable[[], None]) -> None:
    """Call ``on_send`` for every MT frame written to the stick and ``on_receive`` for
    every one parsed from it; the frames themselves pass on unchanged.

    Wraps the serial protocol's ``send`` (``ZNP._uart``, which ZNP calls for each frame
    out) and replaces ``ZNP.frame_received`` on the instance (the protocol calls it by
    attribute for each frame in). Instrumentation only: behaviour stays zigpy-znp's.
    """
    uart = _private(znp, "_uart", "tap_mt_frames")
    if uart is None:
        raise SeamBroken(f"{versions()}: ZNP._uart is None after connect; harness.radio.seams.tap_mt_frames")
    send, received = uart.send, znp.frame_received

    def counted_send(frame: object) -> None:
        on_send()
        send(frame)

    def counted_received(frame: object) -> object:
        on_receive()
        return received(frame)

    uart.send = counted_send
    znp.frame_received = counted_received


__all__ = [
    "OVERRIDDEN_PRIVATE_METHODS",
    "OVERRIDDEN_PRIVATE_NAMES",
    "SeamBroken",
    "coordinator_device",
    "find_endpoint",
    "limit_concurrency",
    "send_request_raw",
    "stock_find_endpoint",
    "stock_send_request_raw",
    "tap_mt_frames",
    "versions",
    "zigpy_awaits_response",
    "znp_of",
]
