"""The secret scan's shortcuts find what its definitions find: base64 runs located with
bytes.find are exactly _BASE64_RUN's matches; a run decoded without b64decode's check decodes
the same; the payloads searched together first still report each form, in the payload it is
in, and a form split over two runs is no finding."""

from __future__ import annotations

import base64
import os
import random
from pathlib import Path

from harness.report.redact import _BASE64_RUN, _base64_payloads, _base64_runs, scan_for_secrets

KEY = "5a6967426565416c6c69616e63653039"  # ZigBeeAlliance09 as hex: a well-known key, no secret
SECRETS = {"network_key": [KEY, KEY.upper()]}


def _reference_runs(data: bytes) -> list[bytes]:
    return [match.group().rstrip(b"=") for match in _BASE64_RUN.finditer(data)]


def test_runs_are_the_patterns_matches_for_any_octets() -> None:
    draw = random.Random(64)
    alphabet = b'ABCxyz019+/=== \n"{}:,-_\x00\xff'
    for _ in range(3000):
        length = draw.randrange(0, 200)
        if draw.random() < 0.5:
            data = bytes(draw.choice(alphabet) for _ in range(length))
        else:
            data = os.urandom(length)
        assert _base64_runs(data) == _reference_runs(data), data
    text = (b'{"a": "' + base64.b64encode(os.urandom(40)) + b'", "b": "0011223344556677889900aabbccdd"}\n') * 50
    assert _base64_runs(text) == _reference_runs(text)
    assert _base64_runs(b"A" * 19) == [] and _base64_runs(b"A" * 20) == [b"A" * 20]


def test_each_alignment_decodes_as_b64decode_does() -> None:
    draw = random.Random(46)
    for _ in range(500):
        run = base64.b64encode(os.urandom(draw.randrange(18, 60))).rstrip(b"=")[draw.randrange(0, 4) :]
        assert len(run) >= 20  # one run, as the scan finds them
        expected = []
        for skip in range(4):
            body = run[skip:]
            body = body[:-1] if len(body) % 4 == 1 else body + b"=" * (-len(body) % 4)
            expected.append(base64.b64decode(body, validate=True))
        assert list(_base64_payloads(run)) == expected


def test_a_form_inside_one_of_many_base64_runs_is_found_and_a_join_makes_no_finding(tmp_path: Path) -> None:
    noise = b" ".join(base64.b64encode(os.urandom(30)) for _ in range(300))
    hidden = base64.b64encode(b"prefix " + KEY.encode() + b" suffix")
    (tmp_path / "leak.json").write_bytes(noise + b' "' + hidden + b'" ' + noise)
    raw = bytes.fromhex(KEY)
    (tmp_path / "raw.bin").write_bytes(os.urandom(500) + raw[::-1] + os.urandom(500))
    # Half the key's text in one run, half in the next: neither payload holds the form.
    first = base64.b64encode(b"xyz" + KEY[:16].encode())
    second = base64.b64encode(KEY[16:].encode() + b"xyz")
    (tmp_path / "split.txt").write_bytes(first + b" " + second)
    (tmp_path / "clean.txt").write_bytes(noise)
    findings = sorted((path.name, label) for path, label in scan_for_secrets([tmp_path], SECRETS))
    assert findings == [
        ("leak.json", "network_key form 1 (inside base64)"),
        ("leak.json", "network_key form 2 (inside base64)"),
        ("raw.bin", "network_key raw bytes 1 reversed"),
    ]
