"""The RTDS wire vectors (shared/vectors) decode to their documented values and
re-encode byte for byte."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.zcl import (
    Direction,
    Status,
    TariffType,
    TenancyChangeControl,
    ZclFrame,
    build,
    decode,
    default_response_to,
    describe,
    encode,
)

VECTORS = Path(__file__).resolve().parents[1] / "vectors"  # the copy of ../shared/vectors
KNOWN = (
    "gcs09_publish_cot.hex",
    "gcs09_default_response.hex",
    "gcs07_display_message.hex",
)
HEX_FILES = sorted(p.name for p in VECTORS.glob("*.hex"))


def _octets(name: str) -> bytes:
    return bytes.fromhex((VECTORS / name).read_text())


def _readme_rows() -> dict[str, str]:
    """file name -> the README table row describing it."""
    rows = {}
    for line in (VECTORS / "README.md").read_text().splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 2 and cells[1].endswith(".hex"):
            rows[cells[1]] = line
    return rows


def _cluster_of(name: str) -> int:
    """The cluster the README names for a vector. Rows without one are global commands
    (the GPF's Default Response), which decode the same on any cluster; they answer
    Device Management in these vectors."""
    found = re.search(r"\(0x([0-9A-Fa-f]{4})\)", _readme_rows()[name])
    return int(found.group(1), 16) if found else 0x0708


def test_known_vectors_exist() -> None:
    for name in KNOWN:
        assert (VECTORS / name).is_file(), f"missing vector {VECTORS / name}"


@pytest.mark.parametrize("name", HEX_FILES)
def test_every_vector_is_documented(name: str) -> None:
    assert name in _readme_rows(), f"{name} has no row in {VECTORS / 'README.md'}"


@pytest.mark.parametrize("name", HEX_FILES)
def test_every_vector_round_trips(name: str) -> None:
    data = _octets(name)
    frame = decode(_cluster_of(name), data)
    assert not frame.command_name.startswith("unknown_"), describe(frame)
    assert frame.trailing == b"", describe(frame)
    assert encode(frame) == data
    # Rebuilding from the decoded fields gives the same octets as well.
    rebuilt = build(
        frame.cluster_id,
        frame.command_name,
        tsn=frame.tsn,
        direction=frame.direction,
        disable_default_response=frame.disable_default_response,
        **frame.fields,
    )
    assert rebuilt == data


def test_gcs09_publish_change_of_tenancy() -> None:
    frame = decode(0x0708, _octets("gcs09_publish_cot.hex"))
    assert frame == ZclFrame(
        cluster_id=0x0708,
        tsn=0,
        command_id=0x00,
        is_cluster_specific=True,
        direction=Direction.TO_CLIENT,
        disable_default_response=False,
        manufacturer_code=None,
        command_name="publish_change_of_tenancy",
        fields={
            "provider_id": 0,
            "issuer_event_id": 0x1C374A80,  # 2015-01-01T00:00:00Z
            "tariff_type": TariffType.Delivered,
            "implementation_date_time": 0x1FC66E20,  # 2016-11-22T02:46:56Z
            "proposed_tenancy_change_control": 0x00000200,
        },
    )
    control = frame.fields["proposed_tenancy_change_control"]
    # Little-endian on the wire: 00 02 00 00 is Clear IHD Data (Consumer), not the
    # 0x00020000 tshark 4.0 shows.
    assert control == TenancyChangeControl.Clear_IHD_Data_Consumer
    assert describe(frame) == (
        "Publish Change of Tenancy (0x0708/0x00 to_client) tsn=0 provider_id=0"
        " issuer_event_id=0x1C374A80 tariff_type=Delivered"
        " implementation_date_time=0x1FC66E20 (2016-11-22T02:46:56Z)"
        " proposed_tenancy_change_control=0x00000200 (Clear_IHD_Data_Consumer)"
    )


def test_gcs09_default_response() -> None:
    data = _octets("gcs09_default_response.hex")
    frame = decode(0x0708, data)
    assert frame.command_name == "default_response"
    assert frame.command_id == 0x0B
    assert not frame.is_cluster_specific
    assert frame.direction is Direction.TO_SERVER
    assert frame.disable_default_response is False
    assert frame.fields == {"command_id": 0x00, "status": Status.SUCCESS}
    # It is exactly the answer the codec builds for the vector's Publish CoT.
    publish = decode(0x0708, _octets("gcs09_publish_cot.hex"))
    assert default_response_to(publish, Status.SUCCESS) == data


def test_gcs07_display_message() -> None:
    frame = decode(0x0703, _octets("gcs07_display_message.hex"))
    assert frame.command_name == "display_message"
    assert frame.direction is Direction.TO_CLIENT
    assert (frame.tsn, frame.command_id, frame.disable_default_response) == (
        0,
        0,
        False,
    )
    assert frame.fields == {
        "message_id": 0x1C374A80,
        "message_control": 0x00,
        "start_time": 0,
        "duration_in_minutes": 0xFFFF,
        "message": "Reset",
    }
    assert "extended_message_control" not in frame.fields  # the vector has no such octet
