"""Real reference runs and their captures, read two ways: the pcapng blocks as written
(timestamps, octets, comments) and tshark's dissection of them, an independent reader.

tshark is optional on a developer's machine (the tests that need it skip) and required
under CI (CI=true: they fail instead, since .ci/run installs it).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from harness.evidence.case_evidence import WHOLE_RUN_CAPTURE

REPO = Path(__file__).resolve().parents[2]
PROFILES = REPO / "device_profiles"
# The reference IHD and PPMID, and the dual-fuel IHD: two meters (ESME and GPF endpoints).
REFERENCE_PROFILES = ("sim-ihd.yaml", "sim-ppmid.yaml", "sim-dual-fuel-ihd.yaml")
AGGREGATOR = "|"  # between repeats of a field; no packet comment contains it

BLOCK_EPB = 6
OPT_COMMENT = 1
MAC_DATA, MAC_ACK = 1, 2
MAC_HEADER_LEN, NWK_HEADER_LEN, APS_HEADER_LEN, FCS_LEN, IEEE_LEN = 9, 8, 8, 2, 8


def tshark() -> str:
    """tshark's path; skips the test without it, or fails it under CI."""
    path = shutil.which("tshark")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("CI installs tshark (.ci/run): the wire tests need it")
        pytest.skip("tshark not installed: apt-get install tshark")
    return path


@dataclasses.dataclass(frozen=True)
class Packet:
    """One Enhanced Packet Block as written."""

    capture: str  # the case ID the file is named after
    micros: int
    data: bytes
    comments: tuple[str, ...]

    @property
    def mac_frame_type(self) -> int:
        return struct.unpack_from("<H", self.data)[0] & 0x7

    @property
    def trace_seq(self) -> int | None:
        """The record's position in the run's trace, from its first comment ("TX seq=N ...")."""
        if self.mac_frame_type != MAC_DATA:
            return None
        return int(self.comments[0].split()[1].removeprefix("seq="))

    def aps(self) -> tuple[int, int, int, bytes]:
        """(profile, cluster, source endpoint, APS payload) of a data frame."""
        nwk_fcf = struct.unpack_from("<H", self.data, MAC_HEADER_LEN)[0]
        ieee = IEEE_LEN * ((nwk_fcf >> 11 & 1) + (nwk_fcf >> 12 & 1))
        aps = MAC_HEADER_LEN + NWK_HEADER_LEN + ieee
        _fcf, _dst_ep, cluster, profile, src_ep, _counter = struct.unpack_from("<BBHHBB", self.data, aps)
        return profile, cluster, src_ep, self.data[aps + APS_HEADER_LEN : -FCS_LEN]


def read_packets(path: Path) -> list[Packet]:
    data, out, offset = path.read_bytes(), [], 0
    while offset < len(data):
        kind, total = struct.unpack_from("<II", data, offset)
        body = data[offset + 8 : offset + total - 4]
        offset += total
        if kind != BLOCK_EPB:
            continue
        _iface, high, low, length, _orig = struct.unpack_from("<IIIII", body)
        cursor, comments = 20 + length + (-length % 4), []
        while cursor + 4 <= len(body):
            code, size = struct.unpack_from("<HH", body, cursor)
            if code == 0:
                break
            if code == OPT_COMMENT:
                comments.append(body[cursor + 4 : cursor + 4 + size].decode())
            cursor += 4 + size + (-size % 4)
        out.append(Packet(path.stem, high << 32 | low, body[20 : 20 + length], tuple(comments)))
    return out


def dissect_capture(capture: Path, fields: list[str]) -> list[dict[str, str]]:
    """tshark's reading of one capture file: a row per packet, each field by name."""
    args = [tshark(), "-r", str(capture), "-T", "fields", "-E", "separator=/t", "-E", f"aggregator={AGGREGATOR}"]
    for field in fields:
        args += ["-e", field]
    done = subprocess.run(args, capture_output=True, text=True, check=False, env={**os.environ, "TZ": "UTC"})
    assert done.returncode == 0, done.stderr
    return [dict(zip(fields, line.split("\t"), strict=True)) for line in done.stdout.splitlines()]


@dataclasses.dataclass
class ReferenceRun:
    """One `cot-harness run` of a reference profile: its folder, captures in run order, results."""

    profile: str
    folder: Path
    returncode: int
    output: str

    @property
    def captures(self) -> list[Path]:
        """The run's capture files in the order their cases ran (by their first frame's trace seq)."""
        files = [f for f in (self.folder / "captures").glob("*.pcapng") if f.name != WHOLE_RUN_CAPTURE]
        return sorted(files, key=lambda f: next(p.trace_seq for p in read_packets(f) if p.trace_seq is not None))

    @property
    def whole_run(self) -> Path:
        """The capture of every frame of the session (harness.evidence.case_evidence)."""
        return self.folder / "captures" / WHOLE_RUN_CAPTURE

    def packets(self) -> list[Packet]:
        return [packet for capture in self.captures for packet in read_packets(capture)]

    def results(self) -> list[dict[str, object]]:
        alluredir = self.folder / "allure-results"
        return [json.loads(f.read_text()) for f in alluredir.glob("*-result.json")]

    def dissect(self, fields: list[str]) -> list[dict[str, str]]:
        """tshark's reading of every packet of the run, in run order: the captures written one
        after another as sections of one pcapng file (each keeps its own header)."""
        merged = self.folder / "run.pcapng.merged"
        if not merged.exists():
            merged.write_bytes(b"".join(capture.read_bytes() for capture in self.captures))
        rows = dissect_capture(merged, fields)
        if "frame.section_number" in fields:  # name each packet's capture: its case ID
            names = [capture.stem for capture in self.captures]
            for row in rows:
                row["capture"] = names[int(row["frame.section_number"]) - 1]
        return rows
