"""ECMQV shared secret with cofactor (SEC 1 3.4), as Smart Energy key establishment uses it."""

from __future__ import annotations

from harness.security.curves import KoblitzCurve, Point
from harness.security.errors import CbkeError


def associate_value(curve: KoblitzCurve, q: tuple[int, int]) -> int:
    """avf(Q) = (x mod 2^ceil(f/2)) + 2^ceil(f/2), f the bit length of n."""
    half = 1 << ((curve.n.bit_length() + 1) // 2)
    return (q[0] % half) + half


def shared_secret(
    curve: KoblitzCurve,
    *,
    own_static_private: int,
    own_ephemeral_private: int,
    own_ephemeral_public: tuple[int, int],
    peer_static_public: tuple[int, int],
    peer_ephemeral_public: tuple[int, int],
) -> bytes:
    """Z = x(h·s·(Q_e,peer + avf(Q_e,peer)·Q_peer)), s = d_e + avf(Q_e,own)·d mod n, as octets."""
    s = (own_ephemeral_private + associate_value(curve, own_ephemeral_public) * own_static_private) % curve.n
    peer: Point = curve.add(
        peer_ephemeral_public, curve.mul(associate_value(curve, peer_ephemeral_public), peer_static_public)
    )
    p = curve.mul(curve.h * s, peer)
    if p is None:
        raise CbkeError("ECMQV: the shared point is the point at infinity (the peer's keys are invalid)")
    return p[0].to_bytes(curve.field.octets, "big")
