"""The Key Establishment cluster's frames through the codec: Annex C.5.2.1's Initiate Key
Establishment Request octet for octet, and every command in both directions round-tripped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.zcl import codec
from harness.zcl.codec import Direction
from harness.zcl.ids import KEY_ESTABLISHMENT
from harness.zcl.key_establishment import KeyEstablishmentSuite, TerminateStatus

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "cbke.json").read_text())
C5 = VECTORS["exchanges"][0]


def test_initiate_request_is_annex_c5_2_1_octet_for_octet() -> None:
    """ "01 00 03 06" + CERT_U: suite 0x0001 little-endian, generate times 3 and 6 s."""
    cert_u = bytes.fromhex(C5["cert_u"])
    frame = codec.build(
        KEY_ESTABLISHMENT,
        "initiate_key_establishment_request",
        tsn=0x21,
        key_establishment_suite=KeyEstablishmentSuite.CBKE_ECMQV_Suite1,
        ephemeral_data_generate_time=3,
        confirm_key_generate_time=6,
        identity=cert_u,
    )
    assert frame[:3] == bytes([0x01, 0x21, 0x00])  # cluster-specific, client to server
    assert frame[3:] == bytes.fromhex("01000306") + cert_u
    decoded = codec.decode(KEY_ESTABLISHMENT, frame)
    assert decoded.fields["identity"] == cert_u
    assert decoded.fields["ephemeral_data_generate_time"] == 3


@pytest.mark.parametrize("direction", [Direction.TO_SERVER, Direction.TO_CLIENT])
@pytest.mark.parametrize(
    ("request_name", "response_name", "fields"),
    [
        (
            "initiate_key_establishment_request",
            "initiate_key_establishment_response",
            {
                "key_establishment_suite": KeyEstablishmentSuite.CBKE_ECMQV_Suite2,
                "ephemeral_data_generate_time": 10,
                "confirm_key_generate_time": 12,
                "identity": bytes.fromhex(VECTORS["exchanges"][1]["cert_v"]),
            },
        ),
        ("ephemeral_data_request", "ephemeral_data_response", {"ephemeral_data": bytes.fromhex(C5["q_eu"])}),
        (
            "confirm_key_data_request",
            "confirm_key_data_response",
            {"secure_message_authentication_code": bytes.fromhex(C5["mac_u"])},
        ),
        (
            "terminate_key_establishment",
            "terminate_key_establishment",
            {"status_code": TerminateStatus.BAD_KEY_CONFIRM, "wait_time": 10, "key_establishment_suite": 1},
        ),
    ],
)
def test_every_command_round_trips(direction: Direction, request_name: str, response_name: str, fields: dict) -> None:
    name = request_name if direction is Direction.TO_SERVER else response_name
    frame = codec.build(KEY_ESTABLISHMENT, name, tsn=7, direction=direction, **fields)
    decoded = codec.decode(KEY_ESTABLISHMENT, frame)
    assert decoded.direction is direction
    assert decoded.fields == fields
    assert codec.build(KEY_ESTABLISHMENT, name, tsn=7, direction=direction, **decoded.fields) == frame
    assert codec.describe(decoded).split(" (0x0800/")[0] in {
        "Initiate Key Establishment Request",
        "Initiate Key Establishment Response",
        "Ephemeral Data Request",
        "Ephemeral Data Response",
        "Confirm Key Data Request",
        "Confirm Key Data Response",
        "Terminate Key Establishment",
    }
