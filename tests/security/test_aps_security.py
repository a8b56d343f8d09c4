"""APS security round trips, refuses what it must, and is read back by an independent
implementation: Wireshark decrypts a frame this code secured, given only the link key."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from harness.security.aps import ApsSecurityError, KeyIdentifier, is_secured, open_frame, secure

LINK_KEY = bytes.fromhex("86d58aaa998e2faefaf9fef49606543a")  # Annex C.5's KeyData
SENDER = bytes.fromhex("0000000000000001")
PUBLISH_COT = (Path(__file__).parents[1] / "vectors" / "gcs09_publish_cot.hex").read_text()
ZCL = bytes.fromhex(PUBLISH_COT.replace(" ", "").strip())
# APS data frame, unicast, ack requested: endpoint 1, Device Management 0x0708, SE profile 0x0109
APS = bytes([0x40, 0x01, 0x08, 0x07, 0x09, 0x01, 0x01, 0x33]) + ZCL


@pytest.mark.parametrize("key_identifier", list(KeyIdentifier.__members__.values())[::2])
@pytest.mark.parametrize("extended_nonce", [True, False])
def test_round_trip(key_identifier: KeyIdentifier, extended_nonce: bool) -> None:
    sealed = secure(
        APS,
        link_key=LINK_KEY,
        frame_counter=0x01020304,
        source_ieee=SENDER,
        key_identifier=key_identifier,
        extended_nonce=extended_nonce,
    )
    assert is_secured(sealed) and not is_secured(APS)
    assert ZCL not in sealed  # the payload is encrypted
    assert sealed[8] & 0x07 == 0  # the level is sent as 000
    opened = open_frame(sealed, link_key=LINK_KEY, source_ieee=None if extended_nonce else SENDER)
    assert opened.frame == APS
    assert opened.auxiliary.frame_counter == 0x01020304
    assert opened.auxiliary.key_identifier is key_identifier


def test_a_changed_octet_or_another_key_fails_the_mic() -> None:
    sealed = secure(APS, link_key=LINK_KEY, frame_counter=1, source_ieee=SENDER)
    for at in (3, 9, len(sealed) - 10, len(sealed) - 1):  # header, aux header, payload, MIC
        changed = bytearray(sealed)
        changed[at] ^= 0x01
        with pytest.raises(ApsSecurityError, match="MIC"):
            open_frame(bytes(changed), link_key=LINK_KEY)
    with pytest.raises(ApsSecurityError, match="MIC"):
        open_frame(sealed, link_key=bytes(16))


def test_unsecured_and_malformed_frames_refused() -> None:
    with pytest.raises(ApsSecurityError, match="not secured"):
        open_frame(APS, link_key=LINK_KEY)
    with pytest.raises(ApsSecurityError, match="too short"):
        open_frame(bytes([0x60]) + APS[1:8] + b"\x20\x00", link_key=LINK_KEY)
    with pytest.raises(ApsSecurityError, match="sender's IEEE"):
        open_frame(
            secure(APS, link_key=LINK_KEY, frame_counter=1, source_ieee=SENDER, extended_nonce=False), link_key=LINK_KEY
        )
    with pytest.raises(ApsSecurityError, match="16"):
        secure(APS, link_key=bytes(8), frame_counter=1, source_ieee=SENDER)


def _pcap(frame: bytes) -> bytes:
    """One 802.15.4 frame (no FCS, link type 230) from 0x1234 to the coordinator, NWK unsecured."""
    nwk = struct.pack("<HHHBB", 0x0008, 0x0000, 0x1234, 30, 5)
    mac = struct.pack("<HBHHH", 0x8841, 9, 0x1A62, 0x0000, 0x1234)
    packet = mac + nwk + frame
    return (
        struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 230)
        + struct.pack("<IIII", 1, 0, len(packet), len(packet))
        + packet
    )


def test_wireshark_decrypts_what_this_code_secured(tmp_path: Path) -> None:
    tshark = shutil.which("tshark")
    if tshark is None:
        if os.environ.get("CI"):
            pytest.fail("tshark is not installed: CI must install it (.ci/run)")
        pytest.skip("tshark not installed")
    capture = tmp_path / "aps.pcap"
    capture.write_bytes(_pcap(secure(APS, link_key=LINK_KEY, frame_counter=0x1234, source_ieee=SENDER)))

    def fields(key: bytes) -> list[str]:
        return (
            subprocess.run(
                [
                    tshark,
                    "-r",
                    str(capture),
                    "-o",
                    f'uat:zigbee_pc_keys:"{key.hex()}","Normal","test"',
                    "-T",
                    "fields",
                    "-e",
                    "zbee_aps.cluster",
                    "-e",
                    "zbee.sec.counter",
                    "-e",
                    "zbee_zcl_se.device_management.publish_change_of_tenancy.issuer_event_id",
                ],
                capture_output=True,
                text=True,
                check=True,
                timeout=120,
            )
            .stdout.strip("\n")
            .split("\t")
        )

    cluster, counter, issuer_event_id = fields(LINK_KEY)
    assert (cluster, counter) == ("0x0708", "4660")
    assert int(issuer_event_id, 16) == 0x1C374A80  # decrypted: the ZCL payload's Issuer Event ID
    assert fields(bytes(16))[2] == ""  # under another key Wireshark cannot read the payload
