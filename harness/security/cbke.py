"""Certificate-Based Key Establishment, the public face: keys from certificates and private
keys, and the agreement one side of an exchange reaches (Smart Energy 1.x, Annex C).

Everything takes and returns octet strings as they travel in Key Establishment frames:
compressed points (22 octets suite 1, 37 suite 2), certificates (48 / 74), private keys
(21 / 36). Invalid input raises a CbkeError (a ValueError) naming what is wrong.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Literal

from harness.security import ecmqv, kdf
from harness.security.certificates import Certificate, parse_certificate
from harness.security.curves import KoblitzCurve, Point, curve_for_suite
from harness.security.ecqv import extract_public_key
from harness.security.errors import CbkeError, InvalidCertificate, InvalidKey, InvalidPoint, UnsupportedSuite

__all__ = [
    "Agreement",
    "CbkeError",
    "InvalidCertificate",
    "InvalidKey",
    "InvalidPoint",
    "Identity",
    "UnknownIssuer",
    "agree",
    "generate_ephemeral_key",
    "public_key_from_certificate",
    "public_key_from_private_key",
]


class UnknownIssuer(CbkeError):
    """The peer's certificate names an issuer other than our CA (Terminate UNKNOWN_ISSUER)."""


def _curve_for_ca_key(ca_public_key: bytes, certificate: Certificate) -> KoblitzCurve:
    curve = certificate.layout.curve
    if len(ca_public_key) != curve.point_octets:
        raise InvalidKey(
            f"CA public key: {len(ca_public_key)} octets; a suite {certificate.suite} certificate "
            f"needs a {curve.name} CA key of {curve.point_octets}"
        )
    return curve


def public_key_from_certificate(certificate: bytes, ca_public_key: bytes) -> bytes:
    """The subject's static public key an implicit certificate and its CA's key imply (ECQV)."""
    cert = parse_certificate(certificate)
    curve = _curve_for_ca_key(ca_public_key, cert)
    return curve.compress(_implied_key(bytes(certificate), bytes(ca_public_key), "certificate"))


_IMPLIED_KEYS: dict[tuple[bytes, bytes], Point] = {}
_IMPLIED_KEYS_HELD = 128


def _implied_key(certificate: bytes, ca_public_key: bytes, what: str) -> Point:
    """ECQV's reconstruction (a point decompressed, a scalar multiplication, an addition) is a
    pure function of the two octet strings, and the bench and the unit meet the same
    certificates at every exchange (the responder checks a certificate, then agrees with it):
    worked out once per process for each pair. `what` only names the certificate in an
    error, and an error is raised every time, never remembered."""
    pair = (certificate, ca_public_key)
    found = _IMPLIED_KEYS.get(pair)
    if found is None:
        cert = parse_certificate(certificate, what)
        curve = cert.layout.curve
        found = extract_public_key(cert, curve.decompress(ca_public_key, "CA public key"), what)
        if len(_IMPLIED_KEYS) < _IMPLIED_KEYS_HELD:
            _IMPLIED_KEYS[pair] = found
    return found


def _private_scalar(private_key: bytes, curve: KoblitzCurve, what: str) -> int:
    if len(private_key) != curve.scalar_octets:
        raise InvalidKey(
            f"{what}: {len(private_key)} octets; a {curve.name} (suite {curve.suite}) private key has "
            f"{curve.scalar_octets}"
        )
    # Only d mod n matters: published ephemeral keys (Annex C.6) are written larger than n.
    d = int.from_bytes(private_key, "big") % curve.n
    if d == 0:
        raise InvalidKey(f"{what}: zero (mod the group order): not a private key")
    return d


def public_key_from_private_key(private_key: bytes, suite: int) -> bytes:
    """d·G as a compressed point."""
    curve = curve_for_suite(suite)
    return curve.compress(curve.base_mul(_private_scalar(private_key, curve, "private key")))


def generate_ephemeral_key(suite: int) -> tuple[bytes, bytes]:
    """A fresh ephemeral key pair (private, compressed public) for one exchange."""
    curve = curve_for_suite(suite)
    d = secrets.randbelow(curve.n - 1) + 1
    return d.to_bytes(curve.scalar_octets, "big"), curve.compress(curve.base_mul(d))


@dataclass(frozen=True, repr=False)
class Identity:
    """One side's long-term material: its certificate, static private key and CA key."""

    certificate: bytes
    private_key: bytes
    ca_public_key: bytes

    def __post_init__(self) -> None:
        cert = parse_certificate(self.certificate, "own certificate")
        curve = _curve_for_ca_key(self.ca_public_key, cert)
        curve.decompress(self.ca_public_key, "CA public key")
        _private_scalar(self.private_key, curve, "own private key")

    @property
    def suite(self) -> int:
        return parse_certificate(self.certificate).suite

    def __repr__(self) -> str:  # the private key never reaches a log through a repr
        return f"Identity(suite {self.suite}, subject {parse_certificate(self.certificate).subject.hex()})"


@dataclass(frozen=True, repr=False)
class Agreement:
    """What an exchange agrees: the new link key, and the two confirmation MACs."""

    link_key: bytes
    mac_u: bytes  # the initiator's (sent in Confirm Key Data Request)
    mac_v: bytes  # the responder's (sent in Confirm Key Data Response)
    peer_ieee: bytes  # the peer certificate's subject, big-endian

    def __repr__(self) -> str:
        return f"Agreement(peer {self.peer_ieee.hex()}, <keys redacted>)"


def agree(
    own: Identity,
    *,
    role: Literal["initiator", "responder"],
    own_ephemeral_private: bytes,
    peer_certificate: bytes,
    peer_ephemeral_public: bytes,
    check_issuer: bool = True,
) -> Agreement:
    """The agreement `own` reaches with the peer: ECQV for the peer's key, ECMQV, the KDF, both MACs."""
    mine = parse_certificate(own.certificate, "own certificate")
    theirs = parse_certificate(peer_certificate, "peer certificate")
    if theirs.suite != mine.suite:
        raise UnsupportedSuite(f"peer certificate is suite {theirs.suite}, ours suite {mine.suite}")
    # check_issuer False: a bench's deliberately foreign trust centre (SEC-05), whose own
    # certificate comes from another CA than the peer's.
    if check_issuer and theirs.issuer != mine.issuer:
        raise UnknownIssuer(f"peer certificate issuer {theirs.issuer.hex()} is not our CA's ({mine.issuer.hex()})")
    curve = mine.layout.curve
    d = _private_scalar(own.private_key, curve, "own private key")
    d_e = _private_scalar(own_ephemeral_private, curve, "own ephemeral private key")
    q_e = curve.base_mul(d_e)
    assert q_e is not None  # d_e is not 0 mod n
    peer_static = _implied_key(bytes(peer_certificate), bytes(own.ca_public_key), "peer certificate")
    peer_ephemeral = curve.decompress(peer_ephemeral_public, "peer ephemeral public key")
    z = ecmqv.shared_secret(
        curve,
        own_static_private=d,
        own_ephemeral_private=d_e,
        own_ephemeral_public=q_e,
        peer_static_public=peer_static,  # type: ignore[arg-type]
        peer_ephemeral_public=peer_ephemeral,
    )
    keys = kdf.derive_keys(z)
    own_qe = curve.compress(q_e)
    if role == "initiator":
        ieee_u, ieee_v, qe_u, qe_v = mine.subject, theirs.subject, own_qe, peer_ephemeral_public
    elif role == "responder":
        ieee_u, ieee_v, qe_u, qe_v = theirs.subject, mine.subject, peer_ephemeral_public, own_qe
    else:
        raise ValueError(f"role {role!r}: initiator or responder")
    parts = {"ieee_u": ieee_u, "ieee_v": ieee_v, "qe_u": qe_u, "qe_v": qe_v}
    return Agreement(
        link_key=keys.key_data,
        mac_u=kdf.mac_u(keys.mac_key, **parts),
        mac_v=kdf.mac_v(keys.mac_key, **parts),
        peer_ieee=theirs.subject,
    )
