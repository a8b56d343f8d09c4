"""PaymentControlConfiguration: the meters serve GB's value for their mode, and the reference
PPMID reads bit 1 (Prepayment Enabled), not bit 0 (Disconnection Enabled)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from zigpy.zcl import foundation

from harness.domain import Fuel
from harness.esi import servers
from harness.esi.tenancy import make_tenant
from harness.esi.tenant import Tenant
from harness.profile import load_profile
from harness.sim.air import AirFrame
from harness.sim.devices.ppmid import PAYMENT_CONTROL_CONFIGURATION, ReferencePPMID
from harness.sim.devices.reference import Meter
from harness.zcl import codec
from harness.zcl.attributes import read_attributes_rsp, read_values
from harness.zcl.codec import Direction
from harness.zcl.ids import MESSAGING, PREPAYMENT
from harness.zcl.prepayment import GB_CREDIT_MODE, GB_PREPAYMENT_MODE, PaymentControlConfiguration, is_prepayment

REPO = Path(__file__).resolve().parents[2]
METER_NWK, METER_EP, TSN = 0x0000, 9, 5


def read_request() -> codec.ZclFrame:
    request = codec.build(
        PREPAYMENT,
        "read_attributes",
        tsn=TSN,
        direction=Direction.TO_SERVER,
        attribute_ids=[PAYMENT_CONTROL_CONFIGURATION],
    )
    return codec.decode(PREPAYMENT, request)


@pytest.mark.parametrize(
    ("tenant", "served"),
    [(make_tenant(0), GB_PREPAYMENT_MODE), (Tenant("credit"), GB_CREDIT_MODE)],
    ids=["prepay", "credit"],
)
def test_the_meter_serves_the_gb_value_of_its_mode(tenant: Tenant, served: int) -> None:
    meter = SimpleNamespace(tenant=tenant, fuel=Fuel.ELECTRICITY, cot=None)
    answer = codec.decode(PREPAYMENT, servers.read_attributes(meter, read_request()))  # type: ignore[arg-type]
    assert read_values(answer)[PAYMENT_CONTROL_CONFIGURATION] == served


def test_the_gb_values_differ_in_prepayment_enabled_bit_1() -> None:
    assert PaymentControlConfiguration.Prepayment_Enabled == 0x0002
    assert PaymentControlConfiguration.Disconnection_Enabled == 0x0001
    assert is_prepayment(0x0C97) and not is_prepayment(0x0C94)
    assert not is_prepayment(0x0001)  # what the meters used to serve: disconnection only, credit mode


def ppmid() -> tuple[ReferencePPMID, Meter]:
    device = ReferencePPMID(SimpleNamespace(profile=load_profile(REPO / "device_profiles" / "sim-ppmid.yaml")))  # type: ignore[arg-type]
    meter = device.meters[(METER_NWK, METER_EP)] = Meter(METER_NWK, METER_EP, Fuel.ELECTRICITY)
    return device, meter


@pytest.mark.parametrize(("value", "prepayment"), [(0x0C97, True), (0x0C94, False), (0x0001, False)])
def test_the_reference_ppmid_reads_bit_1(value: int, prepayment: bool) -> None:
    device, meter = ppmid()
    device._pending[(PREPAYMENT, TSN)] = device._on_payment_mode
    answer = read_attributes_rsp(read_request(), {PAYMENT_CONTROL_CONFIGURATION: (foundation.DataTypeId.map16, value)})
    device.on_zcl(
        AirFrame(METER_NWK, METER_EP, 0x1234, 1, 0x0109, PREPAYMENT, answer), codec.decode(PREPAYMENT, answer)
    )
    assert meter.prepayment is prepayment


def test_the_reference_ppmid_fetches_no_logs_from_a_credit_meter(monkeypatch: pytest.MonkeyPatch) -> None:
    device, meter = ppmid()
    asked: list[tuple[int, str]] = []
    monkeypatch.setattr(device, "request", lambda _m, cluster, command, _h, **_f: asked.append((cluster, command)))
    for mode in (None, True, False):
        meter.prepayment = mode
        asked.clear()
        device.fetch_all(meter)
        logs = {c for c in asked if c[0] == PREPAYMENT}
        assert bool(logs) is (mode is not False), (mode, asked)
        assert (MESSAGING, "get_last_message") in asked  # supplier messages: from every meter
