"""The secured-frame limit, recomputed term by term, and the logs split by it: the meters'
parts always fit, carry every record once, and a reference model assembles them whole."""

from __future__ import annotations

import itertools
from pathlib import Path
from types import SimpleNamespace

import pytest

from harness.domain import DataClass, Fuel
from harness.esi import servers
from harness.esi.tenancy import make_tenant
from harness.esi.tenant import Debt, Tenant, TopUp
from harness.profile import load_profile
from harness.sim.air import AirFrame
from harness.sim.devices.ppmid import ReferencePPMID
from harness.sim.devices.reference import Meter
from harness.zcl import codec, limits
from harness.zcl.codec import Direction
from harness.zcl.ids import PREPAYMENT
from harness.zcl.logs import LogAssembler, assemble

REPO = Path(__file__).resolve().parents[2]
PPMID_PROFILE = REPO / "device_profiles" / "sim-ppmid.yaml"
METER_NWK, METER_EP = 0x0000, 9


def test_the_limit_is_the_sum_of_its_terms() -> None:
    # Recomputed from the standards' figures, not from the module's own sums.
    phy = 127  # IEEE 802.15.4 aMaxPHYPacketSize, FCS included
    mac = 2 + 1 + 2 + 2 + 2 + 2  # FCF, DSN, dst PAN, dst short, src short (PAN ID compressed), FCS
    nwk = 2 + 2 + 2 + 1 + 1  # FCF, dst, src, radius, sequence
    nwk_security = 1 + 4 + 8 + 1 + 4  # security control, frame counter, source IEEE, key seq, MIC-32
    aps = 1 + 1 + 2 + 2 + 1 + 1  # FCF, dst ep, cluster, profile, src ep, counter
    aps_security = 1 + 4 + 8 + 4  # security control, frame counter, source IEEE (extended nonce), MIC-32
    assert limits.MAC_OVERHEAD == mac == 11
    assert limits.NWK_OVERHEAD == nwk + nwk_security == 26
    assert limits.APS_SECURED_OVERHEAD == aps + aps_security == 25
    assert limits.MAX_SECURED_ZCL_FRAME == phy - mac - nwk - nwk_security - aps - aps_security == 65
    assert limits.MAX_NWK_SECURED_ZCL_FRAME == phy - mac - nwk - nwk_security - aps == 82
    assert limits.fits_secured(bytes(65)) and not limits.fits_secured(bytes(66))
    # a sender leaving the optional extended nonce out of the APS header has 8 more
    without_nonce = limits.APS_AUXILIARY_HEADER_WITHOUT_NONCE + limits.MIC_32
    assert phy - mac - nwk - nwk_security - aps - without_nonce == 73 == limits.MAX_SECURED_ZCL_FRAME + 8


def meter(tenant: Tenant, fuel: Fuel = Fuel.ELECTRICITY) -> SimpleNamespace:
    """What the ESI servers read of an emulated meter."""
    return SimpleNamespace(tenant=tenant, fuel=fuel, message_published=True, cot=None, zcl_time=lambda: 1)


def with_records(top_ups: int, debts: int) -> Tenant:
    """An occupier with this many top-ups and debt collections on electricity, codes 20 digits long."""
    return Tenant(
        "many",
        {
            DataClass.TOP_UP_HISTORY: {
                Fuel.ELECTRICITY: tuple(TopUp(b"%020d" % n, 1000 + n, 800_000_000 + n) for n in range(top_ups))
            },
            DataClass.DEBT_RECOVERY: {
                Fuel.ELECTRICITY: tuple(Debt(800_000_000 + n, 50 + n, n % 3, 9000 - n) for n in range(debts))
            },
        },
    )


def fetch(command: str, tenant: Tenant, **fields: object) -> list[bytes]:
    request = codec.build(PREPAYMENT, command, tsn=42, direction=Direction.TO_SERVER, **fields)
    return servers.answers(meter(tenant), codec.decode(PREPAYMENT, request))  # type: ignore[arg-type]


TOP_UPS = ("get_top_up_log", {"latest_end_time": 0xFFFFFFFF, "number_of_records": 0}, "top_up_payload")
DEBTS = (
    "get_debt_repayment_log",
    {"latest_end_time": 0xFFFFFFFF, "number_of_debts": 0, "debt_type": 0xFF},
    "debt_payload",
)


@pytest.mark.parametrize("count", [1, 2, 3, 7, 20])
@pytest.mark.parametrize(("command", "fields", "field"), [TOP_UPS, DEBTS], ids=["top-ups", "debts"])
def test_a_log_is_split_into_parts_that_each_fit_and_hold_every_record_once(
    command: str, fields: dict[str, object], field: str, count: int
) -> None:
    frames = fetch(command, with_records(count, count), **fields)
    parts = [codec.decode(PREPAYMENT, frame) for frame in frames]
    assert all(len(frame) <= limits.MAX_SECURED_ZCL_FRAME for frame in frames)
    assert [int(p.fields["command_index"]) for p in parts] == list(range(len(parts)))
    assert {int(p.fields["total_number_of_commands"]) for p in parts} == {len(parts)}
    assert {p.tsn for p in parts} == {42}  # every part echoes the request's TSN
    records = [r for p in parts for r in p.fields[field]]
    assert len(records) == count
    # as few parts as fit: no two neighbouring parts would have fitted in one
    for first, second in itertools.pairwise(parts):
        merged = codec.build(
            PREPAYMENT,
            first.command_name,
            tsn=42,
            command_index=0,
            total_number_of_commands=1,
            **{field: [*first.fields[field], second.fields[field][0]]},
        )
        assert len(merged) > limits.MAX_SECURED_ZCL_FRAME


def test_three_top_ups_no_longer_make_one_92_octet_frame() -> None:
    frames = fetch(TOP_UPS[0], with_records(3, 0), **TOP_UPS[1])
    assert len(frames) == 2 and max(map(len, frames)) <= limits.MAX_SECURED_ZCL_FRAME
    single = codec.build(
        PREPAYMENT,
        "publish_top_up_log",
        tsn=42,
        command_index=0,
        total_number_of_commands=1,
        top_up_payload=[r for f in frames for r in codec.decode(PREPAYMENT, f).fields["top_up_payload"]],
    )
    assert len(single) == 92  # what the meters used to send


def test_assembly_needs_every_part_and_takes_them_in_any_order() -> None:
    parts = [codec.decode(PREPAYMENT, f) for f in fetch(TOP_UPS[0], with_records(7, 0), **TOP_UPS[1])]
    assert len(parts) >= 3
    assembler = LogAssembler()
    for part in reversed(parts[1:]):
        assert assembler.add(part) is None  # incomplete: nothing to show yet
    whole = assembler.add(parts[0])
    assert whole is not None and whole == assemble(parts)
    assert [r.top_up_time for r in whole.fields["top_up_payload"]] == [
        r.top_up_time for p in parts for r in p.fields["top_up_payload"]
    ]
    with pytest.raises(ValueError, match="not 0"):
        assemble(parts[1:])


def ppmid() -> ReferencePPMID:
    world = SimpleNamespace(profile=load_profile(PPMID_PROFILE))
    device = ReferencePPMID(world)  # type: ignore[arg-type]
    device.meters[(METER_NWK, METER_EP)] = Meter(METER_NWK, METER_EP, Fuel.ELECTRICITY)
    return device


def deliver(device: ReferencePPMID, frames: list[bytes]) -> None:
    for frame in frames:
        air = AirFrame(METER_NWK, METER_EP, 0x1234, 1, 0x0109, PREPAYMENT, frame)
        device.on_zcl(air, codec.decode(PREPAYMENT, frame))


@pytest.mark.parametrize(
    ("data_class", "request_", "handler"),
    [
        (DataClass.TOP_UP_HISTORY, TOP_UPS, "_on_top_up_log"),
        (DataClass.DEBT_RECOVERY, DEBTS, "_on_debt_log"),
    ],
    ids=["top-ups", "debts"],
)
def test_the_reference_ppmid_sees_every_record_of_a_split_log(
    data_class: DataClass, request_: tuple[str, dict[str, object], str], handler: str
) -> None:
    tenant = with_records(5, 5)
    frames = fetch(request_[0], tenant, **request_[1])
    assert len(frames) > 1
    device = ppmid()
    device._pending[(PREPAYMENT, 42)] = getattr(device, handler)
    deliver(device, frames[:-1])
    assert device.displayed(data_class) == frozenset()  # shown only once the log is whole
    deliver(device, frames[-1:])
    assert device.displayed(data_class) == tenant.items(data_class, Fuel.ELECTRICITY)
    assert len(tenant.items(data_class, Fuel.ELECTRICITY)) == 5


def test_a_stale_split_log_is_dropped_whole() -> None:
    """Parts of an answer asked before a CoT never reach the display, not even the later ones."""
    frames = fetch(TOP_UPS[0], make_tenant(0), **TOP_UPS[1])
    assert len(frames) > 1  # the reference occupiers' three top-ups take two commands
    device = ppmid()
    device._stale.add((PREPAYMENT, 42))
    deliver(device, frames)
    assert device.displayed(DataClass.TOP_UP_HISTORY) == frozenset()
    assert not device._stale
