"""The field and curve arithmetic on its own, and scalar multiplication against an
independent implementation: Debian's `openssl` command line, which still has both curves."""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess

import pytest

from harness.security import cbke
from harness.security.curves import SECT163K1, SECT283K1, KoblitzCurve

CURVES = [SECT163K1, SECT283K1]


@pytest.mark.parametrize("curve", CURVES, ids=lambda c: c.name)
def test_field_laws(curve: KoblitzCurve) -> None:
    f = curve.field
    rng = random.Random(curve.field.m)
    for _ in range(20):
        a, b, c = (rng.getrandbits(f.m) for _ in range(3))
        assert f.mul(a, b) == f.mul(b, a)
        assert f.mul(a, b ^ c) == f.mul(a, b) ^ f.mul(a, c)
        assert f.sqr(a) == f.mul(a, a)
        assert f.sqr(f.sqrt(a)) == a
        if a:
            assert f.mul(a, f.inv(a)) == 1
        h = f.half_trace(a)
        assert (f.sqr(h) ^ h == a) == (f.trace(a) == 0)


@pytest.mark.parametrize("curve", CURVES, ids=lambda c: c.name)
def test_group_laws(curve: KoblitzCurve) -> None:
    rng = random.Random(curve.n)
    g = curve.g
    assert curve.on_curve(g)
    assert curve.mul(curve.n, g) is None  # G has order n
    assert curve.mul(curve.n - 1, g) == curve.neg(g)
    for _ in range(5):
        j, k = rng.randrange(1, curve.n), rng.randrange(1, curve.n)
        p, q = curve.mul(j, g), curve.mul(k, g)
        assert curve.on_curve(p) and curve.on_curve(q)
        assert curve.add(p, q) == curve.mul((j + k) % curve.n, g)
        assert curve.mul(k, p) == curve.mul(j * k % curve.n, g)
        assert curve.decompress(curve.compress(p)) == p
        assert curve.add(p, curve.neg(p)) is None


def _double_and_add(curve: KoblitzCurve, k: int, p: tuple[int, int] | None) -> tuple[int, int] | None:
    """k·p the schoolbook way (the group law only): the oracle for the τ-adic `mul`."""
    result = None
    for bit in bin(k)[2:]:
        result = curve.double(result)
        if bit == "1":
            result = curve.add(result, p)
    return result


def _point_off_the_subgroup(curve: KoblitzCurve, rng: random.Random) -> tuple[int, int]:
    """A point of E(GF(2^m)) that n·P does not send to infinity (outside G's subgroup)."""
    while True:
        x = rng.getrandbits(curve.field.m)
        try:
            p = curve.decompress(bytes([2]) + x.to_bytes(curve.field.octets, "big"))
        except Exception:  # noqa: BLE001 - no point has this x: try another
            continue
        if _double_and_add(curve, curve.n, p) is not None:
            return p


@pytest.mark.parametrize("curve", CURVES, ids=lambda c: c.name)
def test_tau_adic_mul_is_the_group_law_on_every_point(curve: KoblitzCurve) -> None:
    """mul reduces k modulo τ^m − 1, which holds on every point of the curve: products of
    points outside G's subgroup (a peer's invalid key, the point of order 2) and of scalars
    past h·n or negative must be the group law's."""
    rng = random.Random(curve.field.m * 7)
    order_two = (0, curve.field.sqrt(curve.b))
    points = [curve.g, _point_off_the_subgroup(curve, rng), order_two, curve.mul(rng.randrange(1, curve.n), curve.g)]
    scalars = [1, 2, 3, curve.h, curve.n, curve.h * curve.n, curve.h * curve.n + 1]
    scalars += [rng.randrange(1, 4 * curve.h * curve.n) for _ in range(4)]
    scalars += [rng.getrandbits(curve.n.bit_length() // 2 + 1) for _ in range(2)]
    for p in points:
        for k in scalars:
            assert curve.mul(k, p) == _double_and_add(curve, k, p), (curve.name, p, k)
        assert curve.mul(-5, p) == curve.neg(_double_and_add(curve, 5, p))
    assert curve.mul(2, order_two) is None


def _openssl() -> str | None:
    path = shutil.which("openssl")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("openssl is not installed: CI must install it (.ci/run)")
        pytest.skip("openssl not installed")
    return path


def _openssl_key(openssl: str, curve: KoblitzCurve) -> tuple[bytes, bytes]:
    """(private key, compressed public key) of a fresh key OpenSSL generated and derived."""
    pem = subprocess.run(
        [openssl, "ecparam", "-name", curve.name, "-genkey", "-noout"], check=True, capture_output=True
    ).stdout
    text = subprocess.run(
        [openssl, "ec", "-text", "-noout", "-conv_form", "compressed"],
        input=pem,
        check=True,
        capture_output=True,
    ).stdout.decode()
    found = re.search(r"priv:\s*([0-9a-f:\s]+?)\s*pub:\s*([0-9a-f:\s]+?)\s*ASN1", text)
    assert found, f"unexpected openssl output: {text}"
    private, public = (bytes.fromhex(re.sub(r"[:\s]", "", group)) for group in found.groups())
    return private.rjust(curve.scalar_octets, b"\x00")[-curve.scalar_octets :], public


@pytest.mark.parametrize("curve", CURVES, ids=lambda c: c.name)
def test_scalar_multiplication_agrees_with_openssl(curve: KoblitzCurve) -> None:
    openssl = _openssl()
    assert openssl is not None
    for _ in range(6):
        private, public = _openssl_key(openssl, curve)
        assert len(public) == curve.point_octets
        assert cbke.public_key_from_private_key(private, curve.suite) == public
