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
MIN_BASE64_RUN = 20
_BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
# Every octet of base64's alphabet made "A", every other (its padding too) a space: a run is
# then found by bytes.find of twenty "A"s and bounded by the spaces around it, in C; the
# pattern stepped through the megabytes of a run's results octet by octet, ~9 times slower.
_ALPHABET_MAP = bytes(0x41 if octet in _BASE64_ALPHABET else 0x20 for octet in range(256))
_SHORTEST_RUN = b"A" * MIN_BASE64_RUN
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
    # Several labels share one needle (a form listed under two names, a raw key also a text
    # form): each distinct needle is searched for once.
    present: dict[tuple[bool, bytes], bool] = {}
    for needle in needles:
        key = (needle.fold, needle.data)
        if key not in present:
            present[key] = needle.data in (folded if needle.fold else data)
        if present[key]:
            yield needle.label


def _base64_runs(data: bytes) -> list[bytes]:
    """What _BASE64_RUN finds in data, each run without its padding."""
    marked = data.translate(_ALPHABET_MAP)
    runs: list[bytes] = []
    position = 0
    while (inside := marked.find(_SHORTEST_RUN, position)) >= 0:
        start = marked.rfind(b" ", 0, inside) + 1
        end = marked.find(b" ", inside)
        end = len(marked) if end < 0 else end
        runs.append(data[start:end])
        position = end
    return runs


def _base64_payloads(data: bytes) -> Iterator[bytes]:
    for run in _base64_runs(data):
        # The run may start a few characters early (glued to a word before it): try each
        # alignment rather than miss a secret because of one stray letter.
        for skip in range(4):
            body = run[skip:]
            body = body[:-1] if len(body) % 4 == 1 else body + b"=" * (-len(body) % 4)
            try:
                # The body is base64's alphabet and its padding only (the run's pattern), which
                # is all b64decode(validate=True) checks before decoding it just so.
                yield binascii.a2b_base64(body)
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
        payloads = list(_base64_payloads(data))
        # A file holds thousands of short base64-looking runs (hex text is base64's alphabet):
        # searched together first, each on its own only when a form is among them (joining
        # can add a match across two runs, never hide one).
        if payloads and any(_found(b"\n".join(payloads), needles)):
            for payload in payloads:
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
