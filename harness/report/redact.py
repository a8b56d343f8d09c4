"""Finding and removing the profile's secrets (network key, install code, derived link key) in
evidence files, before the files leave the lab.

Findings name the secret and the form it was found in ("network_key form 3"), never the
secret: the report of a leak must not be a second leak. Files are searched as bytes, for
    - every text form Profile.secrets() lists (case-insensitive: hex digits come in both cases),
    - the raw bytes of each hex secret, in order and reversed (Zigbee writes many multi-octet
      values little-endian, and a pcapng or a memory dump holds bytes, not hex text),
    - the same inside base64 runs: Allure 3's single-file report and JSON attachments embed
      their content as base64, where no byte search would ever see the secret.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.profile import Profile
from harness.profile.document import text_forms

__all__ = ["REDACTED", "Secrets", "named_secrets", "redact_text", "scan_for_secrets"]

REDACTED = "\u00abredacted\u00bb"  # «redacted»

# A plain list of forms (as Profile.secrets() returns), or forms grouped under a name.
Secrets = Sequence[str] | Mapping[str, Sequence[str]]

_HEX_SEPARATORS = re.compile(r"[\s:-]")
_BASE64_RUN = re.compile(rb"[A-Za-z0-9+/]{20,}={0,2}")  # 20 chars = 15 bytes: shortest secret form
MIN_RAW_LEN = 6  # an install code without CRC is 6 bytes; shorter raw needles match by chance


def named_secrets(profile: Profile, derived: Sequence[bytes] = ()) -> dict[str, list[str]]:
    """The profile's secret forms grouped by what they are, for findings a lab can act on;
    `derived` adds the keys a run made (the link keys CBKE derived), which no profile holds."""
    every = profile.secrets()
    radio = profile.radio.model_copy(update={"network_key": None})
    # model_copy skips validation, so the cross-field rules cannot object to the missing key.
    without_key = set(profile.model_copy(update={"radio": radio}).secrets())
    radio_without_cbke = profile.radio.model_copy(update={"cbke": None})
    without_cbke = set(profile.model_copy(update={"radio": radio_without_cbke}).secrets())
    groups = {
        "network_key": [form for form in every if form not in without_key],
        # and its derived link key
        "install_code": [form for form in every if form in without_key and form in without_cbke],
        "cbke_private_key": [form for form in every if form not in without_cbke],
        "cbke_link_key": sorted(
            {text for key in derived for text in text_forms(key)}, key=lambda text: (-len(text), text)
        ),
    }
    return {name: forms for name, forms in groups.items() if forms}


@dataclass(frozen=True)
class _Needle:
    label: str
    data: bytes
    fold: bool  # compare case-insensitively (text forms)


def _grouped(secrets: Secrets) -> dict[str, list[str]]:
    if isinstance(secrets, Mapping):
        return {name: [s for s in forms if s] for name, forms in secrets.items()}
    return {"secret": [s for s in secrets if s]}


def _needles(secrets: Secrets) -> list[_Needle]:
    needles: list[_Needle] = []
    for name, forms in _grouped(secrets).items():
        raws: dict[bytes, None] = {}
        for number, form in enumerate(forms, start=1):
            needles.append(_Needle(f"{name} form {number}", form.encode("utf-8").lower(), True))
            try:
                raw = bytes.fromhex(_HEX_SEPARATORS.sub("", form))
            except ValueError:
                continue
            if len(raw) >= MIN_RAW_LEN:
                raws[raw] = None
        for number, raw in enumerate(raws, start=1):
            needles.append(_Needle(f"{name} raw bytes {number}", raw, False))
            needles.append(_Needle(f"{name} raw bytes {number} reversed", raw[::-1], False))
    return needles


def _found(data: bytes, needles: Iterable[_Needle]) -> Iterator[str]:
    folded = data.lower()
    for needle in needles:
        if needle.data in (folded if needle.fold else data):
            yield needle.label


def _base64_payloads(data: bytes) -> Iterator[bytes]:
    for match in _BASE64_RUN.finditer(data):
        run = match.group().rstrip(b"=")
        # The run may start a few characters early (glued to a word before it): try each
        # alignment rather than miss a secret because of one stray letter.
        for skip in range(4):
            body = run[skip:]
            body = body[:-1] if len(body) % 4 == 1 else body + b"=" * (-len(body) % 4)
            try:
                yield base64.b64decode(body, validate=True)
            except (binascii.Error, ValueError):
                continue


def _files(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            for folder, dirs, names in os.walk(path):
                dirs.sort()
                yield from (Path(folder) / name for name in sorted(names))
        elif path.is_file():
            yield path


def scan_for_secrets(paths: list[Path], secrets: Secrets) -> list[tuple[Path, str]]:
    """(file, which secret form) for every form found; directories are searched recursively."""
    needles = _needles(secrets)
    if not needles:
        return []
    findings: list[tuple[Path, str]] = []
    for file in _files(paths):
        data = file.read_bytes()
        labels = dict.fromkeys(_found(data, needles))
        for payload in _base64_payloads(data):
            labels.update(dict.fromkeys(f"{label} (inside base64)" for label in _found(payload, needles)))
        findings += [(file, label) for label in labels]
    return findings


def redact_text(text: str, secrets: Secrets) -> str:
    """Each secret form replaced by «redacted», longest first so no tail of a longer form stays."""
    forms = sorted({f for fs in _grouped(secrets).values() for f in fs}, key=len, reverse=True)
    if not forms:
        return text
    pattern = re.compile("|".join(re.escape(form) for form in forms), re.IGNORECASE)
    return pattern.sub(REDACTED, text)
