"""Corrupted certificates, keys and points are refused with an error naming what is wrong,
and never turned into a key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.security import cbke
from harness.security.curves import SECT163K1, SECT283K1, curve_for_suite
from harness.security.errors import CbkeError, InvalidCertificate, InvalidKey, InvalidPoint, UnsupportedSuite

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "cbke.json").read_text())
CA = {int(s): bytes.fromhex(k) for s, k in VECTORS["ca_public_keys"].items()}
X1, X2 = VECTORS["exchanges"]
CERT1 = bytes.fromhex(X1["cert_v"])
CERT2 = bytes.fromhex(X2["cert_v"])


def _x_not_on_curve(curve_suite: int) -> bytes:
    """The smallest x with no point on the curve (trace of x + a + b/x^2 is 1)."""
    curve = curve_for_suite(curve_suite)
    f = curve.field
    x = 2
    while not f.trace(x ^ curve.a ^ f.inv(f.sqr(x))):
        x += 1
    return b"\x02" + x.to_bytes(f.octets, "big")


def test_every_cbke_error_is_a_value_error() -> None:
    for error in (InvalidCertificate, InvalidKey, InvalidPoint, UnsupportedSuite, cbke.UnknownIssuer):
        assert issubclass(error, CbkeError) and issubclass(error, ValueError)


@pytest.mark.parametrize(
    ("certificate", "ca", "match"),
    [
        (CERT1[:-1], CA[1], "47 octets"),
        (CERT1 + b"\x00", CA[1], "49 octets"),
        (b"\x05" + CERT1[1:], CA[1], "prefix 0x05"),
        (CERT1[:1] + b"\xff" * 21 + CERT1[22:], CA[1], "more than 163 bits"),
        (_x_not_on_curve(1) + CERT1[22:], CA[1], "no point of sect163k1 has this x"),
        (CERT1, CA[2], "CA public key: 37 octets"),
        (CERT2, CA[1], "CA public key: 22 octets"),
        (b"\x01" + CERT2[1:], CA[2], "field type is 0x01"),
        (CERT2[:9] + b"\x0e" + CERT2[10:], CA[2], "field curve is 0x0e"),
        (CERT2[:10] + b"\x09" + CERT2[11:], CA[2], "field hash is 0x09"),
        (CERT2[:37] + b"\x04" + CERT2[38:], CA[2], "prefix 0x04"),
        (CERT2[:37] + _x_not_on_curve(2), CA[2], "no point of sect283k1 has this x"),
        (CERT1, b"\x04" + CA[1][1:], "CA public key: prefix 0x04"),
        (CERT1, _x_not_on_curve(1), "CA public key: no point"),
    ],
    ids=[
        "short",
        "long",
        "point-prefix",
        "x-too-big",
        "x-off-curve",
        "suite1-cert-suite2-ca",
        "suite2-cert-suite1-ca",
        "type",
        "curve",
        "hash",
        "suite2-prefix",
        "suite2-off-curve",
        "ca-prefix",
        "ca-off-curve",
    ],
)
def test_bad_certificate_or_ca_refused(certificate: bytes, ca: bytes, match: str) -> None:
    with pytest.raises(CbkeError, match=match):
        cbke.public_key_from_certificate(certificate, ca)


def test_a_changed_certificate_implies_a_different_key() -> None:
    """ECQV has no signature to fail: a flipped bit in the subject changes e and so the key
    (the key confirmation MACs are what then fail, in the exchange)."""
    changed = bytearray(CERT1)
    changed[29] ^= 1
    assert cbke.public_key_from_certificate(bytes(changed), CA[1]).hex() != X1["q_v"]


@pytest.mark.parametrize(
    ("key", "suite", "error", "match"),
    [
        (b"\x01" * 20, 1, InvalidKey, "20 octets"),
        (b"\x01" * 22, 1, InvalidKey, "22 octets"),
        (b"\x01" * 21, 2, InvalidKey, "21 octets; a sect283k1"),
        (bytes(21), 1, InvalidKey, "zero"),
        (SECT163K1.n.to_bytes(21, "big"), 1, InvalidKey, "zero"),
        (SECT283K1.n.to_bytes(36, "big"), 2, InvalidKey, "zero"),
        (b"\x01" * 21, 3, UnsupportedSuite, "suite 3"),
        (b"\x01" * 21, 0, UnsupportedSuite, "suite 0"),
    ],
)
def test_bad_private_key_refused(key: bytes, suite: int, error: type[CbkeError], match: str) -> None:
    with pytest.raises(error, match=match):
        cbke.public_key_from_private_key(key, suite)


def _identity(x: dict[str, str], side: str) -> cbke.Identity:
    return cbke.Identity(
        certificate=bytes.fromhex(x[f"cert_{side}"]),
        private_key=bytes.fromhex(x[f"d_{side}"]),
        ca_public_key=CA[x["suite"]],
    )


def test_peer_from_another_ca_is_an_unknown_issuer() -> None:
    other_ca = bytearray(bytes.fromhex(X1["cert_u"]))
    other_ca[30:38] = b"OTHERCA!"
    with pytest.raises(cbke.UnknownIssuer, match="issuer"):
        cbke.agree(
            _identity(X1, "v"),
            role="responder",
            own_ephemeral_private=bytes.fromhex(X1["d_ev"]),
            peer_certificate=bytes(other_ca),
            peer_ephemeral_public=bytes.fromhex(X1["q_eu"]),
        )


def test_peer_of_the_other_suite_refused() -> None:
    with pytest.raises(UnsupportedSuite):
        cbke.agree(
            _identity(X1, "v"),
            role="responder",
            own_ephemeral_private=bytes.fromhex(X1["d_ev"]),
            peer_certificate=bytes.fromhex(X2["cert_u"]),
            peer_ephemeral_public=bytes.fromhex(X2["q_eu"]),
        )


def test_bad_peer_ephemeral_key_refused() -> None:
    with pytest.raises(InvalidPoint, match="peer ephemeral public key"):
        cbke.agree(
            _identity(X1, "v"),
            role="responder",
            own_ephemeral_private=bytes.fromhex(X1["d_ev"]),
            peer_certificate=bytes.fromhex(X1["cert_u"]),
            peer_ephemeral_public=_x_not_on_curve(1),
        )


def test_identity_checks_its_own_material() -> None:
    with pytest.raises(InvalidKey, match="own private key"):
        cbke.Identity(certificate=CERT1, private_key=b"\x01" * 36, ca_public_key=CA[1])
    with pytest.raises(InvalidKey, match="CA public key"):
        cbke.Identity(certificate=CERT1, private_key=bytes.fromhex(X1["d_v"]), ca_public_key=CA[2])


def test_a_wrong_static_key_gives_macs_the_peer_rejects() -> None:
    """Key confirmation is what catches a device whose private key does not match its
    certificate: its MACs differ from those the honest side computes."""
    honest = cbke.agree(
        _identity(X1, "v"),
        role="responder",
        own_ephemeral_private=bytes.fromhex(X1["d_ev"]),
        peer_certificate=bytes.fromhex(X1["cert_u"]),
        peer_ephemeral_public=bytes.fromhex(X1["q_eu"]),
    )
    impostor = cbke.Identity(
        certificate=bytes.fromhex(X1["cert_u"]), private_key=bytes.fromhex(X1["d_v"]), ca_public_key=CA[1]
    )
    forged = cbke.agree(
        impostor,
        role="initiator",
        own_ephemeral_private=bytes.fromhex(X1["d_eu"]),
        peer_certificate=bytes.fromhex(X1["cert_v"]),
        peer_ephemeral_public=bytes.fromhex(X1["q_ev"]),
    )
    assert forged.mac_u != honest.mac_u and forged.link_key != honest.link_key
