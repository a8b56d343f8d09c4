"""The unit's frames are told by its IEEE address, not its NWK address (SEC-02, SEC-05/06's
answer and silence, CbkeLinkSecurity.unit_secured).

On a real bench the unit may rejoin under another NWK address in the session (an address
conflict, a leave and a fresh join): the frames it sent under the old address are still its
own, and the frames another node sends under that old address are not. The simulation keeps a
node's address across rejoins (its trust centre hands a known node the address it had, and a
node joining afresh asks for its last one), so these traces are written here, as the bench's
tap records them: each record's IEEE is the coordinator's device table when the frame crossed
it (None where the table did not hold the node yet), and a Device_annce binds an address.
"""

from __future__ import annotations

from types import SimpleNamespace

import zigpy.types as zt

from harness.bench.link import UutLink
from harness.bench.security import CbkeLinkSecurity
from harness.profile import load_profile
from harness.radio.trace import DEVICE_ANNCE, Direction, FrameTrace, NodeAddresses, announced, sent_by
from harness.zcl import ids
from testcases.test_07b_security import unit_must_be_secured
from tests.suite.conftest import REPO

PROFILE = load_profile(REPO / "device_profiles" / "sim-ihd-cbke.yaml")
UNIT = PROFILE.identity.ieee  # "00:0d:6f:00:0a:bc:de:f0"
OTHER = "00:0d:6f:00:0f:00:00:01"  # another node, which later takes the unit's old address
COORDINATOR = "00:12:4b:00:1c:a1:b2:c3"
OLD_NWK, NEW_NWK = 0x1A2B, 0x7C01


def _annce(nwk: int, ieee: str) -> bytes:
    octets = bytes.fromhex(ieee.replace(":", ""))[::-1]
    return bytes([0x81]) + nwk.to_bytes(2, "little") + octets + bytes([0x80])


def _rx(
    trace: FrameTrace,
    nwk: int,
    ieee: str | None,
    *,
    cluster: int = ids.DEVICE_MANAGEMENT,
    secured: bool = True,
    payload: bytes = b"\x01\x00\x00",
) -> None:
    trace.append(
        timestamp=float(len(trace)),
        direction=Direction.RX,
        src_nwk=nwk,
        src_ep=1,
        dst_nwk=0x0000,
        dst_ep=9,
        profile_id=ids.SE_PROFILE,
        cluster_id=cluster,
        payload=payload,
        src_ieee=ieee,
        dst_ieee=COORDINATOR,
        aps_secured=secured,
    )


def _announce(trace: FrameTrace, nwk: int, ieee: str, *, known: str | None = None) -> None:
    trace.append(
        timestamp=float(len(trace)),
        direction=Direction.RX,
        src_nwk=nwk,
        src_ep=0,
        dst_nwk=0xFFFD,
        dst_ep=0,
        profile_id=0,
        cluster_id=DEVICE_ANNCE,
        payload=_annce(nwk, ieee),
        src_ieee=known,
        dst_ieee=None,
    )


def _moved_trace() -> FrameTrace:
    """The unit under OLD_NWK (one frame unsecured), then rejoined as NEW_NWK: its first frames
    there before the coordinator's table followed (no IEEE), one unsecured; then OTHER under
    OLD_NWK, unsecured too (not the unit's)."""
    trace = FrameTrace()
    _rx(trace, OLD_NWK, UNIT)  # 0: secured, the unit under its join-time address
    _rx(trace, OLD_NWK, UNIT, secured=False)  # 1: unsecured, under the old address
    _rx(trace, NEW_NWK, None, cluster=ids.KEY_ESTABLISHMENT, secured=False)  # 2: before it announced
    _announce(trace, NEW_NWK, UNIT)  # 3: the unit's Device_annce under its new address
    _rx(trace, NEW_NWK, None, secured=False)  # 4: unsecured, the table not yet updated
    _rx(trace, NEW_NWK, UNIT)  # 5: secured, the table has it
    _announce(trace, OLD_NWK, OTHER)  # 6: another node takes the unit's old address
    _rx(trace, OLD_NWK, OTHER, secured=False)  # 7: not the unit's
    _rx(trace, OLD_NWK, None, secured=False)  # 8: not the unit's either (the address is OTHER's now)
    return trace


def test_a_device_annce_binds_its_address() -> None:
    trace = FrameTrace()
    _announce(trace, NEW_NWK, UNIT)
    (record,) = trace.since(0)
    assert announced(record) == (NEW_NWK, UNIT)
    _rx(trace, NEW_NWK, UNIT)
    assert announced(trace.since(1)[0]) is None  # a Smart Energy frame binds by its IEEE, not its payload


def test_addresses_follow_the_trace() -> None:
    addresses = NodeAddresses(_moved_trace().since(0))
    assert addresses.ieee_at(OLD_NWK, 1) == UNIT
    assert addresses.ieee_at(NEW_NWK, 2) == UNIT  # before any binding: the first after (its announcement)
    assert addresses.ieee_at(OLD_NWK, 8) == OTHER  # the old address is another node's by then
    assert addresses.ieee_at(0x0BAD, 8) is None


def test_the_unit_frames_under_both_addresses_are_its_own() -> None:
    records = _moved_trace().since(0)
    assert [r.seq for r in sent_by(records, UNIT)] == [0, 1, 2, 3, 4, 5]
    assert [r.seq for r in sent_by(records, UNIT.upper())] == [0, 1, 2, 3, 4, 5]  # the profile's spelling is free
    assert [r.seq for r in sent_by(records, OTHER)] == [6, 7, 8]
    assert [r.seq for r in sent_by(records, UNIT, since=3)] == [3, 4, 5]


def _link(trace: FrameTrace) -> UutLink:
    link = UutLink(SimpleNamespace(), PROFILE)  # type: ignore[arg-type]  # no loop: the trace is only read
    link.coordinator = SimpleNamespace(trace=trace)  # type: ignore[assignment]
    link.nwk = OLD_NWK  # the join-time address, which the unit has left
    return link


def test_sec_02_judges_the_frames_sent_under_each_address() -> None:
    """What SEC-02 asserts on: the unsecured frames under the old address (1) and under the new
    one (4) are both the unit's; the other node's under the old address (7, 8) are not. A filter
    by the join-time NWK (OLD_NWK) would have judged OTHER's frames and missed frame 4."""
    link = _link(_moved_trace())
    judged = unit_must_be_secured(link.unit_frames_since(0))
    assert [r.seq for r in judged] == [0, 1, 4, 5]  # Key Establishment (2) and ZDO (3) are exempt
    assert [r.seq for r in judged if not r.aps_secured] == [1, 4]
    records = link.frames_since(0)
    assert [r.seq for r in records if link.from_unit(r)] == [0, 1, 2, 3, 4, 5]


def _security(trace: FrameTrace, unit_nwk: int, secured_peers: set[int]) -> CbkeLinkSecurity:
    security = CbkeLinkSecurity(PROFILE)
    device = SimpleNamespace(nwk=unit_nwk)
    app = SimpleNamespace(devices={zt.EUI64.convert(UNIT): device})
    security.coordinator = SimpleNamespace(app=app, trace=trace, secured_peers=secured_peers)  # type: ignore[assignment]
    return security


def _rejoined_trace() -> FrameTrace:
    """The unit's last Key Establishment under its old address, then a secured frame under its
    new one (the table had followed), then a secured frame of another node."""
    trace = FrameTrace()
    _rx(trace, OLD_NWK, UNIT, cluster=ids.KEY_ESTABLISHMENT, secured=False)
    _announce(trace, NEW_NWK, UNIT)
    _rx(trace, NEW_NWK, UNIT)
    return trace


def test_unit_secured_follows_the_unit_under_its_new_address() -> None:
    assert _security(_rejoined_trace(), NEW_NWK, {NEW_NWK}).unit_secured()


def test_unit_secured_judges_the_units_own_link_not_another_peers() -> None:
    # The coordinator secures frames to another peer only: the unit's link is not secured.
    assert not _security(_rejoined_trace(), NEW_NWK, {0x0BAD}).unit_secured()
    # The unit's old address is no longer its own: a key for it says nothing of the unit now.
    assert not _security(_rejoined_trace(), NEW_NWK, {OLD_NWK}).unit_secured()


def test_unit_secured_needs_a_secured_frame_of_the_unit_after_its_last_exchange() -> None:
    trace = FrameTrace()
    _rx(trace, OLD_NWK, UNIT, cluster=ids.KEY_ESTABLISHMENT, secured=False)
    _announce(trace, OLD_NWK, OTHER)  # another node under the unit's old address ...
    _rx(trace, OLD_NWK, OTHER)  # ... sends secured: not the unit
    _rx(trace, NEW_NWK, UNIT, cluster=ids.KEY_ESTABLISHMENT, secured=False)  # the unit's last exchange
    assert not _security(trace, NEW_NWK, {NEW_NWK, OLD_NWK}).unit_secured()
    _rx(trace, NEW_NWK, None)  # secured, the table not yet updated: the Key Establishment frame names it
    assert _security(trace, NEW_NWK, {NEW_NWK}).unit_secured()
