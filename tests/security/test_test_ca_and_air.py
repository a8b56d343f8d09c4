"""The harness's test CA (ECQV issuance) and APS security on the simulated air."""

from __future__ import annotations

import pytest

from harness.security import cbke
from harness.security.certificates import parse_certificate
from harness.security.test_ca import harness_test_ca, other_ca
from harness.sim.air import AirFrame
from harness.sim.aps_link import needs_aps_security, seal, unseal

SUBJECT = bytes.fromhex("000d6f000abcdef0")


@pytest.mark.parametrize("suite", [1, 2])
def test_issued_certificates_imply_their_private_keys(suite: int) -> None:
    ca = harness_test_ca(suite)
    issued = ca.issue(SUBJECT)
    cert = parse_certificate(issued.certificate)
    assert cert.subject == SUBJECT and cert.issuer == b"COTHTEST" and cert.suite == suite
    assert cbke.public_key_from_certificate(issued.certificate, ca.public_key) == cbke.public_key_from_private_key(
        issued.private_key, suite
    )
    assert ca.issue(SUBJECT) == issued  # deterministic: profiles can hold the material
    assert issued.private_key.hex() not in repr(issued)
    # another CA's certificate for the same subject implies another key under our CA's key
    foreign = other_ca(suite).issue(SUBJECT)
    assert parse_certificate(foreign.certificate).issuer != cert.issuer
    assert cbke.public_key_from_certificate(foreign.certificate, ca.public_key) != cbke.public_key_from_private_key(
        foreign.private_key, suite
    )


@pytest.mark.parametrize("suite", [1, 2])
def test_two_identities_of_the_test_ca_agree(suite: int) -> None:
    ca = harness_test_ca(suite)
    u, v = ca.identity(SUBJECT), ca.identity(bytes.fromhex("00124b001ca1b2c3"))
    d_u, q_u = cbke.generate_ephemeral_key(suite)
    d_v, q_v = cbke.generate_ephemeral_key(suite)
    mine = cbke.agree(
        u, role="initiator", own_ephemeral_private=d_u, peer_certificate=v.certificate, peer_ephemeral_public=q_v
    )
    theirs = cbke.agree(
        v, role="responder", own_ephemeral_private=d_v, peer_certificate=u.certificate, peer_ephemeral_public=q_u
    )
    assert mine.link_key == theirs.link_key and mine.mac_u == theirs.mac_u and mine.mac_v == theirs.mac_v


KEY, OTHER = bytes(range(16)), bytes(range(1, 17))
FRAME = AirFrame(0x1234, 1, 0x0000, 9, 0x0109, 0x0708, bytes.fromhex("19020000"), aps_counter=7)


def test_a_secured_air_frame_opens_only_under_its_key() -> None:
    sealed = seal(FRAME, link_key=KEY, frame_counter=5, source_ieee=SUBJECT)
    assert sealed.secured and FRAME.payload not in sealed.payload
    assert len(sealed.payload) == 1 + 4 + 8 + len(FRAME.payload) + 4  # aux header, extended nonce, MIC
    assert unseal(sealed, link_key=KEY) == FRAME
    assert unseal(sealed, link_key=OTHER) is None
    tampered = AirFrame(**{**sealed.__dict__, "payload": sealed.payload[:-1] + bytes([sealed.payload[-1] ^ 1])})
    assert unseal(tampered, link_key=KEY) is None
    # the APS header is authenticated: another cluster on air fails the MIC
    moved = AirFrame(**{**sealed.__dict__, "cluster_id": 0x0702})
    assert unseal(moved, link_key=KEY) is None


def test_which_clusters_need_aps_security() -> None:
    assert needs_aps_security(FRAME)
    for exempt in (0x0000, 0x0003, 0x000A, 0x0800):
        assert not needs_aps_security(AirFrame(**{**FRAME.__dict__, "cluster_id": exempt}))
    assert not needs_aps_security(AirFrame(**{**FRAME.__dict__, "dst_ep": 0, "profile_id": 0}))


def test_an_unsecured_frame_on_another_profile_is_not_acted_on() -> None:
    """A spoofer marking an unsecured Publish CoT Home Automation (0x0104) instead of Smart
    Energy reaches the same endpoint and the same Device Management code: the reference
    devices' policy asks APS security of every frame to an application endpoint (but the
    exempt clusters), whatever profile it names."""
    from harness.sim.device_security import DeviceSecurity

    on_ha = AirFrame(**{**FRAME.__dict__, "profile_id": 0x0104})
    assert needs_aps_security(on_ha)
    policy = DeviceSecurity(None, harness_test_ca(2).identity(bytes(8)), bytes(8), 1)  # type: ignore[arg-type]
    assert policy.incoming(on_ha) is None and policy.ignored == 1
    assert policy.incoming(AirFrame(**{**on_ha.__dict__, "cluster_id": 0x0000})) is not None  # Basic stays exempt
