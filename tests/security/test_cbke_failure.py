"""A unit whose CBKE keeps failing tries radio.cbke.attempts times and leaves; the bench does
not break: SEC-01 is the verdict, every other case is blocked naming it."""

from __future__ import annotations

import pytest
import yaml

from harness.bench import Bench
from harness.profile import ProfileError, load_profile, parse_profile
from harness.security.test_ca import other_ca
from harness.zcl import codec
from harness.zcl.ids import KEY_ESTABLISHMENT
from tests.suite.conftest import REPO

PROFILE = REPO / "device_profiles" / "sim-ihd-cbke.yaml"


def test_a_trust_centre_from_another_ca_leaves_the_unit_unsecured() -> None:
    data = yaml.safe_load(PROFILE.read_text())
    foreign = other_ca(2)
    issued = foreign.issue(bytes.fromhex("00124b001ca1b2c3"))
    # the trust centre's certificate and CA are another CA's: the unit's own certificate is not from it
    data["radio"]["cbke"]["suite_2"] = {
        "certificate": issued.certificate.hex(),
        "private_key": issued.private_key.hex(),
        "ca_public_key": foreign.public_key.hex(),
    }
    data["radio"]["cbke"]["establish_within"] = "30s"
    profile = parse_profile(data, source=PROFILE)
    bench = Bench(profile)
    bench.start()
    try:
        unit = bench.han.world.uut
        assert bench.security.established_at is None
        assert "SEC-01" in (bench.security.blocked_because() or "")
        bench.loop.wait_for(lambda: unit.left_network or None, 60, "the unit to give up and leave")
        initiates = [
            r
            for r in bench.link.frames_since(0)
            if r.cluster_id == KEY_ESTABLISHMENT
            and r.direction == "rx"
            and codec.decode(r.cluster_id, r.payload).command_name == "initiate_key_establishment_request"
        ]
        assert len(initiates) == profile.radio.cbke.attempts  # type: ignore[union-attr]
        assert unit.security.link_key is None and bench.security.derived_keys() == []
        assert [o.status.name for o in unit.security.outcomes] == ["UNKNOWN_ISSUER"] * 3
    finally:
        bench.stop()


def test_profile_rules_for_cbke() -> None:
    data = yaml.safe_load(PROFILE.read_text())
    private = data["radio"]["cbke"]["suite_2"]["private_key"]
    broken = yaml.safe_load(PROFILE.read_text())
    del broken["identity"]["install_code"]
    broken["radio"]["cbke"]["suite"] = 1
    with pytest.raises(ProfileError) as caught:
        parse_profile(broken, source=PROFILE)
    text = str(caught.value)
    assert "identity.install_code" in text and "radio.cbke.suite_1" in text
    mismatched = yaml.safe_load(PROFILE.read_text())
    mismatched["radio"]["cbke"]["suite_2"]["ca_public_key"] = other_ca(1).public_key.hex()  # a suite 1 key
    with pytest.raises(ProfileError) as caught:
        parse_profile(mismatched, source=PROFILE)
    assert "do not fit together" in str(caught.value) and private not in str(caught.value)
    assert private in load_profile(PROFILE).secrets()
