"""The end-of-run secret scan with radio.security cbke: the trust centre's certificate private
keys (in the profile) and the link keys CBKE derived (in no profile) are looked for; a real
run has none of them in its evidence, and each, planted, is found and named without being
repeated."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.profile import load_profile
from harness.report.redact import named_secrets, scan_for_secrets
from tests.suite.conftest import REPO

PROFILE = REPO / "device_profiles" / "sim-ihd-cbke.yaml"
LINK_KEY = bytes.fromhex("aa4689c70be0faf0c9be534abd9f4cdc")  # Annex C.6's, as a stand-in derived key


def _run(alluredir: Path, *pytest_args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", "--profile", str(PROFILE), "--alluredir", str(alluredir)]
        + ["--", "-k", "BENCH-01 or SEC-01", *pytest_args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_groups_name_what_leaked(tmp_path: Path) -> None:
    profile = load_profile(PROFILE)
    forms = named_secrets(profile, [LINK_KEY])
    assert {"install_code", "cbke_private_key", "cbke_link_key"} <= set(forms)
    private = bytes.fromhex(profile.radio.cbke.suite_2.private_key.get_secret_value())  # type: ignore[union-attr]
    (tmp_path / "a.txt").write_text(f"tc key {private.hex().upper()}")
    (tmp_path / "b.bin").write_bytes(b"\x00" + LINK_KEY[::-1] + b"\x00")  # little-endian, as on air
    found = dict(scan_for_secrets([tmp_path], forms))
    assert found[tmp_path / "a.txt"].startswith("cbke_private_key")
    assert found[tmp_path / "b.bin"].startswith("cbke_link_key raw bytes")
    assert private.hex() not in repr(found).lower() and LINK_KEY.hex() not in repr(found).lower()


@pytest.fixture(scope="module")
def cbke_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cbke") / "run"
    done = _run(root / "allure-results", "-k", "SEC")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "SECRET IN EVIDENCE" not in done.stdout
    return root


def test_a_real_cbke_run_leaves_no_key_in_its_evidence(cbke_run: Path) -> None:
    profile = load_profile(PROFILE)
    # the scan's own verdict is the exit status above; and no form of the profile's secrets either
    assert scan_for_secrets([cbke_run], named_secrets(profile)) == []


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed: apt-get install tshark")
def test_the_key_establishment_capture_shows_the_exchange(cbke_run: Path) -> None:
    capture = cbke_run / "captures" / "SEC-01-key-establishment.pcapng"
    rows = subprocess.run(
        ["tshark", "-r", str(capture), "-Y", "zbee_zcl", "-T", "fields", "-e", "_ws.col.Info", "-e", "frame.comment"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    rows = [row for row in rows if "Key Establishment:" in row]  # the suite attribute's read comes first
    steps = [row.split("\t")[0].split(", Seq")[0].removeprefix("ZCL Key Establishment: ") for row in rows]
    assert steps == [
        f"{what} {kind}"
        for what in ("Initiate Key Establishment", "Ephemeral Data", "Confirm Key Data")
        for kind in ("Request", "Response")
    ]
    assert all("Key Establishment (0x0800) runs under NWK security only" in row for row in rows)
    # the Publish CoT SEC-03 sent is marked unsecured, the rest of its Smart Energy frames secured
    sec03 = subprocess.run(
        ["tshark", "-r", str(cbke_run / "captures" / "SEC-03.pcapng"), "-Y", "zbee_zcl", "-T", "fields"]
        + ["-e", "_ws.col.Info", "-e", "frame.comment"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    # SEC-03's Publish CoTs, each unsecured: pushed to the unit's endpoint and to 0xFF, and the
    # answers to its CoT query after the rejoin and after the power cycle
    cot = [row for row in sec03 if "Publish Change Of Tenancy" in row]
    assert len(cot) == 4 and all("not APS-secured (the stick reported it so)" in row for row in cot), cot
    assert any("and APS-secured (link key" in row for row in sec03)


def test_a_derived_link_key_in_the_evidence_is_found(tmp_path: Path) -> None:
    done = _run(tmp_path / "run" / "allure-results", "-p", "tests.security.leak_plugin")
    assert "SECRET IN EVIDENCE" in done.stdout, done.stdout[-3000:]
    leaks = [line for line in done.stdout.splitlines() if "SECRET IN EVIDENCE" in line]
    assert leaks and all("cbke_link_key" in line for line in leaks), leaks
    assert done.returncode != 0
