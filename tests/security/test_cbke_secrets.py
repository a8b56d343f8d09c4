"""The end-of-run secret scan with radio.security cbke: the trust centre's certificate private
keys (in the profile) and the link keys CBKE derived (in no profile) are looked for; a real
run has none of them in its evidence, and each, planted, is found and named without being
repeated."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


def test_a_real_cbke_run_leaves_no_key_in_its_evidence(tmp_path: Path) -> None:
    done = _run(tmp_path / "run" / "allure-results")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "SECRET IN EVIDENCE" not in done.stdout


def test_a_derived_link_key_in_the_evidence_is_found(tmp_path: Path) -> None:
    done = _run(tmp_path / "run" / "allure-results", "-p", "tests.security.leak_plugin")
    assert "SECRET IN EVIDENCE" in done.stdout, done.stdout[-3000:]
    leaks = [line for line in done.stdout.splitlines() if "SECRET IN EVIDENCE" in line]
    assert leaks and all("cbke_link_key" in line for line in leaks), leaks
    assert done.returncode != 0
