"""ECQV's implied key, worked out once per (certificate, CA key): the same key every time,
from the published vectors, whether remembered or not; an error is raised every time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.security import cbke
from harness.security.errors import CbkeError

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "cbke.json").read_text())
CA = {int(suite): bytes.fromhex(key) for suite, key in VECTORS["ca_public_keys"].items()}


@pytest.mark.parametrize(
    "vector", VECTORS["certificates"], ids=lambda v: f"suite{v['suite']}-{v['certificate'][44:60]}"
)
def test_remembered_and_fresh_give_the_published_key(vector: dict[str, str]) -> None:
    certificate, ca = bytes.fromhex(vector["certificate"]), CA[vector["suite"]]
    cbke._IMPLIED_KEYS.clear()
    fresh = cbke.public_key_from_certificate(certificate, ca)
    remembered = cbke.public_key_from_certificate(bytearray(certificate), ca)  # any octet string
    assert fresh.hex() == remembered.hex() == vector["public_key"]
    assert list(cbke._IMPLIED_KEYS) == [(certificate, ca)]  # one reconstruction, remembered once


def test_a_bad_certificate_is_refused_every_time() -> None:
    vector = VECTORS["certificates"][0]
    broken = bytearray.fromhex(vector["certificate"])
    broken[0] = 0x09  # the reconstruction point's prefix: not a compressed point
    for _ in range(2):
        with pytest.raises(CbkeError):
            cbke.public_key_from_certificate(bytes(broken), CA[vector["suite"]])
