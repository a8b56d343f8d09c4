"""The bench's rogue endpoint (DM-06): registered on the coordinator beside the ESIs, never
an ESI itself, and a harness send leaves from the endpoint it names or not at all."""

from __future__ import annotations

import contextvars

import pytest
import zigpy.types as zt

from harness.errors import CoordinatorError
from harness.radio import app as radio_app
from harness.radio import seams
from harness.radio.app import HarnessZnpApp
from harness.radio.coordinator import (
    ESI_DEVICE_TYPE,
    ROGUE_ENDPOINT,
    RadioSettings,
    zigpy_config,
)
from harness.zcl import ids
from harness.zcl.ids import SE_PROFILE

OWN_IEEE = zt.EUI64.convert("00:12:4b:00:00:00:00:01")


def settings(**esi: int) -> RadioSettings:
    return RadioSettings(
        path="/dev/null",
        baudrate=115200,
        flow_control=None,
        channel=15,
        pan_id=0x1A62,
        extended_pan_id=None,
        network_key=None,
        esi_endpoints=esi,
    )


def test_the_rogue_endpoint_is_registered_and_is_no_esi() -> None:
    endpoints = {e["endpoint"]: e for e in zigpy_config(settings(esme=9, gpf=10))["additional_endpoints"]}
    assert sorted(endpoints) == [9, 10, ROGUE_ENDPOINT]
    rogue = endpoints[ROGUE_ENDPOINT]
    assert rogue["profile"] == SE_PROFILE and rogue["device_type"] != ESI_DEVICE_TYPE
    # No Device Management server: no unit discovers it as a meter (Match_Desc).
    assert ids.DEVICE_MANAGEMENT not in rogue["input_clusters"] + rogue["output_clusters"]


def test_the_rogue_endpoint_moves_aside_for_a_declared_esi() -> None:
    assert settings(esme=ROGUE_ENDPOINT, gpf=ROGUE_ENDPOINT + 1).rogue_endpoint == ROGUE_ENDPOINT + 2
    assert settings(esme=9).rogue_endpoint == ROGUE_ENDPOINT


def _app_with_endpoints(*endpoints: int) -> HarnessZnpApp:
    app = HarnessZnpApp(zigpy_config(settings(esme=9)))
    app.state.node_info.ieee = OWN_IEEE
    own = app.add_device(OWN_IEEE, 0x0000)
    for endpoint_id in endpoints:
        own.add_endpoint(endpoint_id).profile_id = SE_PROFILE
    assert seams.coordinator_device(app) is own
    return app


def _find_endpoint_for(app: HarnessZnpApp, requested: int, profile: int = SE_PROFILE) -> int:
    def find() -> int:
        radio_app._requested_src_ep.set(requested)
        return seams.find_endpoint(app, 1, profile, ids.DEVICE_MANAGEMENT)

    return contextvars.copy_context().run(find)


def test_a_harness_send_leaves_from_the_endpoint_it_names() -> None:
    app = _app_with_endpoints(9, ROGUE_ENDPOINT)
    assert _find_endpoint_for(app, ROGUE_ENDPOINT) == ROGUE_ENDPOINT
    assert _find_endpoint_for(app, 9) == 9


def test_a_harness_send_from_an_unregistered_endpoint_is_refused_not_moved() -> None:
    app = _app_with_endpoints(9)
    with pytest.raises(CoordinatorError, match="endpoint 11, which is not registered"):
        _find_endpoint_for(app, ROGUE_ENDPOINT)
    with pytest.raises(CoordinatorError, match="not registered with that profile"):
        _find_endpoint_for(app, 9, profile=0x0104)
