"""The secret scan over a real run made with a profile that has a network key and an install
code: the harness's own output is clean, and a planted secret is found in every form a file
could hold it, without the finding repeating the secret."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from report_runs import INSTALL_CODE, NETWORK_KEY, CopyRun

from harness.profile import Profile, load_profile
from harness.report.redact import REDACTED, named_secrets, redact_text, scan_for_secrets

KEY = bytes.fromhex(NETWORK_KEY.replace(":", ""))


@pytest.fixture(scope="module")
def profile(secret_profile: Path) -> Profile:
    return load_profile(secret_profile)


def assert_no_secret_in(findings: list[tuple[Path, str]], profile: Profile) -> None:
    text = repr(findings).lower()
    assert not any(form.lower() in text for form in profile.secrets())


def test_the_harness_output_is_clean(secret_run: Path, profile: Profile) -> None:
    forms = named_secrets(profile)
    assert set(forms) == {"network_key", "install_code"}
    assert sum(map(len, forms.values())) == len(profile.secrets())
    assert scan_for_secrets([secret_run, secret_run.parent / "captures"], forms) == []


def test_a_key_planted_in_a_text_attachment_is_found_by_form(
    secret_run: Path, copy_run: CopyRun, profile: Profile
) -> None:
    alluredir = copy_run(secret_run)
    attachment = next(alluredir.glob("*-attachment.txt"))
    with attachment.open("a") as stream:
        stream.write(f"\nnwk key {NETWORK_KEY.upper()}\n")
    findings = scan_for_secrets([alluredir.parent], named_secrets(profile))
    assert findings and {path for path, _ in findings} == {attachment}
    labels = [label for _, label in findings]
    assert any(label.startswith("network_key form ") for label in labels)
    assert all(label.startswith("network_key") for label in labels)
    assert_no_secret_in(findings, profile)


def test_raw_bytes_in_a_capture_are_found_in_either_byte_order(
    secret_run: Path, copy_run: CopyRun, profile: Profile
) -> None:
    alluredir = copy_run(secret_run)
    captures = sorted((alluredir.parent / "captures").glob("*.pcapng"))
    captures[0].write_bytes(captures[0].read_bytes() + KEY)
    captures[1].write_bytes(captures[1].read_bytes() + KEY[::-1])  # little-endian, as on air
    found = dict(scan_for_secrets([alluredir.parent / "captures"], named_secrets(profile)))
    assert found == {captures[0]: "network_key raw bytes 1", captures[1]: "network_key raw bytes 1 reversed"}


def test_an_install_code_inside_base64_is_found(secret_run: Path, copy_run: CopyRun, profile: Profile) -> None:
    alluredir = copy_run(secret_run)
    # Allure 3's single-file report embeds every attachment like this.
    embedded = base64.b64encode(f"debug: install code {INSTALL_CODE}".encode()).decode()
    (alluredir / "leak-container.json").write_text(json.dumps({"d": embedded}))
    findings = scan_for_secrets([alluredir], named_secrets(profile))
    assert findings and all(label.startswith("install_code") for _, label in findings)
    assert any(label.endswith("(inside base64)") for _, label in findings)
    assert_no_secret_in(findings, profile)


def test_a_plain_list_of_forms_works_too(tmp_path: Path, profile: Profile) -> None:
    (tmp_path / "log.txt").write_text(f"key={NETWORK_KEY}")
    findings = scan_for_secrets([tmp_path], profile.secrets())
    assert findings and all(label.startswith("secret form ") for _, label in findings)
    assert scan_for_secrets([tmp_path], []) == []


def test_redact_text_leaves_no_form_and_no_tail(profile: Profile) -> None:
    text = (
        f"key {NETWORK_KEY.upper()} / {KEY.hex()} / code {INSTALL_CODE.lower()} "
        f"(without CRC {INSTALL_CODE[:-4]}) / repr {KEY!r}"
    )
    redacted = redact_text(text, profile.secrets())
    assert not any(form.lower() in redacted.lower() for form in profile.secrets())
    assert redacted.count(REDACTED) == 5
    assert INSTALL_CODE[-4:].lower() not in redacted.lower()  # the CRC went with the code
    assert redact_text("nothing here", profile.secrets()) == "nothing here"
