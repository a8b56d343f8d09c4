"""The per-case evidence of a real run is octet for octet what it was before the evidence was
made cheaper: the text trace, the sequence chart and the pcapng of each of the reference IHD's
cases, rebuilt from that run's records, hash to what commit 4c4caf1 (main before the work)
wrote. The records and digests come from tests/evidence/golden_evidence.py, run on that tree.
Re-digested once since, on purpose, from the same records: the pcapng of the five cases whose
first packet names the trace frames before it (that note now says they are in
whole-run.pcapng); no other digest moved.

A change meant to alter the evidence regenerates the file (the module says how) and says why
in its commit; a change meant only to make it cheaper must leave this test as it is.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
from pathlib import Path
from typing import Any

import pytest

from harness.evidence.mpdu import crc16_kermit
from harness.evidence.pcapng import RunAir
from tests.evidence.golden_evidence import evidence_of, history_of, record_from_json

GOLDEN = Path(__file__).with_name("data") / "reference-ihd-evidence.json.gz"


@pytest.fixture(scope="module")
def golden() -> dict[str, Any]:
    return json.loads(gzip.decompress(GOLDEN.read_bytes()))


def test_the_golden_run_is_a_whole_run(golden: dict[str, Any]) -> None:
    # A stored run too small to prove anything would make the comparison below vacuous.
    assert len(golden["cases"]) >= 30
    assert len(golden["trace"]) >= 1000
    with_capture = [case for case in golden["cases"] if "pcapng" in case["sha256"]]
    assert len(with_capture) >= 25


def test_every_case_writes_the_same_trace_chart_and_capture(golden: dict[str, Any]) -> None:
    trace = [record_from_json(fields) for fields in golden["trace"]]
    air = RunAir(history=history_of(trace))  # numbering continues across the run's captures, in order
    differing = []
    for case in golden["cases"]:
        made = evidence_of(case, trace, air)
        digests = {kind: hashlib.sha256(data).hexdigest() for kind, data in made.items()}
        for kind, expected in case["sha256"].items():
            if digests.get(kind) != expected:
                differing.append(f"{case['case_id']} {kind}")
        assert set(digests) == set(case["sha256"]), case["case_id"]
    assert not differing, f"evidence differs from the reference tree's: {differing}"


def _crc16_kermit_bitwise(data: bytes) -> int:
    """CRC-16/KERMIT one bit at a time, straight from its definition (poly 0x1021 reflected,
    init 0, no final xor): the reference the fast one is held to."""
    crc = 0
    for octet in data:
        crc ^= octet
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc


def test_the_fcs_is_crc16_kermit_for_any_octets() -> None:
    assert crc16_kermit(b"123456789") == 0x2189  # the catalogue's check value for CRC-16/KERMIT
    assert crc16_kermit(b"") == 0
    draw = random.Random(0x802154)
    samples = [bytes([n]) for n in range(256)] + [os.urandom(draw.randrange(1, 128)) for _ in range(2000)]
    for data in samples:
        assert crc16_kermit(data) == _crc16_kermit_bitwise(data), data.hex()
