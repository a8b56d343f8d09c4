"""Every public CBKE vector (tests/vectors/cbke.json, from ../shared/vectors/cbke.md) through
the two named functions and the exchange, both suites."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.security import cbke, ecmqv, kdf
from harness.security.certificates import parse_certificate
from harness.security.curves import curve_for_suite

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "cbke.json").read_text())
CA = {int(suite): bytes.fromhex(key) for suite, key in VECTORS["ca_public_keys"].items()}
CERTIFICATES = VECTORS["certificates"]
EXCHANGES = VECTORS["exchanges"]


def h(text: str) -> bytes:
    return bytes.fromhex(text)


@pytest.mark.parametrize("vector", CERTIFICATES, ids=lambda v: f"suite{v['suite']}-{v['certificate'][44:60]}")
def test_certificate_implies_the_published_public_key(vector: dict[str, str]) -> None:
    assert cbke.public_key_from_certificate(h(vector["certificate"]), CA[vector["suite"]]).hex() == vector["public_key"]


@pytest.mark.parametrize("vector", CERTIFICATES, ids=lambda v: f"suite{v['suite']}-{v['certificate'][44:60]}")
def test_private_key_gives_the_published_public_key(vector: dict[str, str]) -> None:
    assert cbke.public_key_from_private_key(h(vector["private_key"]), vector["suite"]).hex() == vector["public_key"]


@pytest.mark.parametrize("x", EXCHANGES, ids=lambda v: f"suite{v['suite']}")
def test_exchange_keys(x: dict[str, str]) -> None:
    suite = x["suite"]
    for cert, d, q in (("cert_v", "d_v", "q_v"), ("cert_u", "d_u", "q_u")):
        assert cbke.public_key_from_certificate(h(x[cert]), CA[suite]).hex() == x[q]
        assert cbke.public_key_from_private_key(h(x[d]), suite).hex() == x[q]
    for d, q in (("d_ev", "q_ev"), ("d_eu", "q_eu")):
        assert cbke.public_key_from_private_key(h(x[d]), suite).hex() == x[q]


@pytest.mark.parametrize("x", EXCHANGES, ids=lambda v: f"suite{v['suite']}")
def test_exchange_shared_secret_and_kdf(x: dict[str, str]) -> None:
    curve = curve_for_suite(x["suite"])
    point = curve.decompress
    n = curve.n
    z_v = ecmqv.shared_secret(
        curve,
        own_static_private=int(x["d_v"], 16) % n,
        own_ephemeral_private=int(x["d_ev"], 16) % n,
        own_ephemeral_public=point(h(x["q_ev"])),
        peer_static_public=point(h(x["q_u"])),
        peer_ephemeral_public=point(h(x["q_eu"])),
    )
    z_u = ecmqv.shared_secret(
        curve,
        own_static_private=int(x["d_u"], 16) % n,
        own_ephemeral_private=int(x["d_eu"], 16) % n,
        own_ephemeral_public=point(h(x["q_eu"])),
        peer_static_public=point(h(x["q_v"])),
        peer_ephemeral_public=point(h(x["q_ev"])),
    )
    assert z_v.hex() == z_u.hex() == x["z"]
    keys = kdf.derive_keys(z_v)
    assert keys.mac_key.hex() == x["mac_key"]
    assert keys.key_data.hex() == x["key_data"]
    parts = {"ieee_u": h(x["ieee_u"]), "ieee_v": h(x["ieee_v"]), "qe_u": h(x["q_eu"]), "qe_v": h(x["q_ev"])}
    assert kdf.mac_u(keys.mac_key, **parts).hex() == x["mac_u"]
    assert kdf.mac_v(keys.mac_key, **parts).hex() == x["mac_v"]


@pytest.mark.parametrize("x", EXCHANGES, ids=lambda v: f"suite{v['suite']}")
@pytest.mark.parametrize("role", ["responder", "initiator"])
def test_agreement_from_certificates_alone(x: dict[str, str], role: str) -> None:
    """Each side reaches the published link key and MACs from its own identity and what the
    other sends (certificate, ephemeral public key): the path the Key Establishment server takes."""
    suite = x["suite"]
    own, peer = ("v", "u") if role == "responder" else ("u", "v")
    identity = cbke.Identity(certificate=h(x[f"cert_{own}"]), private_key=h(x[f"d_{own}"]), ca_public_key=CA[suite])
    agreement = cbke.agree(
        identity,
        role=role,  # type: ignore[arg-type]
        own_ephemeral_private=h(x[f"d_e{own}"]),
        peer_certificate=h(x[f"cert_{peer}"]),
        peer_ephemeral_public=h(x[f"q_e{peer}"]),
    )
    assert agreement.link_key.hex() == x["key_data"]
    assert agreement.mac_u.hex() == x["mac_u"]
    assert agreement.mac_v.hex() == x["mac_v"]
    assert agreement.peer_ieee.hex() == x[f"ieee_{peer}"]
    assert "redacted" in repr(agreement) and x["key_data"] not in repr(agreement)
    assert x[f"d_{own}"] not in repr(identity)


def test_certificate_subject_and_issuer() -> None:
    suite2 = parse_certificate(h(EXCHANGES[1]["cert_v"]))
    assert suite2.subject.hex() == EXCHANGES[1]["ieee_v"]
    assert suite2.issuer.hex() == "1112131415161718"
    suite1 = parse_certificate(h(EXCHANGES[0]["cert_u"]))
    assert suite1.subject.hex() == EXCHANGES[0]["ieee_u"]
    assert suite1.issuer == b"TESTSECA"


@pytest.mark.parametrize("vector", VECTORS["mmo"], ids=lambda v: v["input"][:8])
def test_aes_mmo(vector: dict[str, str]) -> None:
    assert kdf.mmo(h(vector["input"])).hex() == vector["output"]


@pytest.mark.parametrize("vector", VECTORS["hmac_mmo"], ids=lambda v: v["message"])
def test_hmac_mmo(vector: dict[str, str]) -> None:
    assert kdf.hmac_mmo(h(vector["key"]), h(vector["message"])).hex() == vector["output"]
