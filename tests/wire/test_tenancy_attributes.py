"""Device Management 0x0200/0x0201 before and after the meter's first CoT
(docs/wire-reference.md, "Tenancy attributes 0x0200/0x0201 before the first CoT")."""

from __future__ import annotations

from types import SimpleNamespace

from zigpy.zcl import foundation

from harness.domain import Fuel
from harness.esi import servers
from harness.esi.meter import CotEvent
from harness.esi.tenancy import make_tenant
from harness.zcl import codec
from harness.zcl.codec import Direction
from harness.zcl.ids import DEVICE_MANAGEMENT


def read_tenancy(cot: CotEvent | None) -> dict[int, tuple[int, object]]:
    meter = SimpleNamespace(tenant=make_tenant(0), fuel=Fuel.ELECTRICITY, cot=cot)
    request = codec.build(
        DEVICE_MANAGEMENT, "read_attributes", tsn=3, direction=Direction.TO_SERVER, attribute_ids=[0x0200, 0x0201]
    )
    answer = codec.decode(DEVICE_MANAGEMENT, servers.read_attributes(meter, codec.decode(DEVICE_MANAGEMENT, request)))  # type: ignore[arg-type]
    return {
        int(r.attrid): (r.status, r.value.value if r.value is not None else None)
        for r in answer.fields["status_records"]
    }


def test_before_the_first_cot_both_are_supported_and_hold_no_cot() -> None:
    assert read_tenancy(None) == {
        0x0200: (foundation.Status.SUCCESS, 0xFFFFFFFF),  # ZCL's invalid UTCTime
        0x0201: (foundation.Status.SUCCESS, 0x00000000),  # no change control proposed
    }


def test_after_a_cot_they_carry_it() -> None:
    cot = CotEvent(issuer_event_id=0x1C374A80, implementation_time=820_000_000, change_control=0x00000200)
    assert read_tenancy(cot) == {
        0x0200: (foundation.Status.SUCCESS, 820_000_000),
        0x0201: (foundation.Status.SUCCESS, 0x00000200),
    }
