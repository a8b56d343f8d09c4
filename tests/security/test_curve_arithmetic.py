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
