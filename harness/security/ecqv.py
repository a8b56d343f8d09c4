"""ECQV implicit-certificate public-key extraction (SEC 4 3.5): Q_U = e·P_U + Q_CA, with
e = AES-MMO(certificate) read as a 128-bit big-endian integer (Smart Energy's Hn)."""

from __future__ import annotations

from zigpy.util import aes_mmo_hash

from harness.security.certificates import Certificate
from harness.security.curves import Point
from harness.security.errors import InvalidCertificate


def certificate_hash(certificate: Certificate) -> int:
    return int.from_bytes(bytes(aes_mmo_hash(certificate.raw)), "big")


def extract_public_key(certificate: Certificate, ca_public_key: Point, what: str = "certificate") -> Point:
    curve = certificate.layout.curve
    p_u = curve.decompress(certificate.reconstruction_point, f"{what}: reconstruction point")
    q_u = curve.add(curve.mul(certificate_hash(certificate), p_u), ca_public_key)
    if q_u is None:
        raise InvalidCertificate(f"{what}: the public key it implies is the point at infinity")
    return q_u
