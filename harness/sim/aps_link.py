"""APS security on the simulated air: an AirFrame secured and opened with a link key.

The air carries what a radio would: the APS header (rebuilt from the frame's addressing:
frame control, destination endpoint, cluster, profile, source endpoint, APS counter), then
the auxiliary header, the encrypted payload and the 4-octet MIC of harness.security.aps.
So a node holding another key (the install-code key, a key from a failed exchange) cannot
read the frame, as on air; the emulated stick and the simulated devices share this.
"""

from __future__ import annotations

import dataclasses
import struct

from harness.security.aps import ApsSecurityError, open_frame, secure
from harness.sim.air import AirFrame

# Smart Energy's exemptions: these clusters work under NWK security alone (KE must: the
# link key is what it makes). Every other SE cluster needs APS security.
UNSECURED_CLUSTERS = frozenset({0x0000, 0x0003, 0x000A, 0x0800})  # Basic, Identify, Time, Key Establishment
SE_PROFILE = 0x0109


def needs_aps_security(frame: AirFrame) -> bool:
    """Every frame to an application endpoint (not ZDO's, endpoint 0) but the exempt clusters,
    whatever profile it names: the device's Smart Energy endpoint hands a frame marked Home
    Automation (0x0104) to the same cluster code, so a policy keyed on profile 0x0109 would act
    on an unsecured Publish CoT that merely names another profile."""
    return frame.dst_ep != 0 and frame.cluster_id not in UNSECURED_CLUSTERS


def _aps_header(frame: AirFrame) -> bytes:
    delivery = 0x08 if frame.is_broadcast else 0x00  # broadcast delivery mode (bits 2-3 = 2)
    return struct.pack(
        "<BBHHBB", delivery, frame.dst_ep, frame.cluster_id, frame.profile_id, frame.src_ep, frame.aps_counter & 0xFF
    )


def seal(frame: AirFrame, *, link_key: bytes, frame_counter: int, source_ieee: bytes) -> AirFrame:
    """`frame` as it goes on air APS-secured (source_ieee big-endian, for the nonce)."""
    header = _aps_header(frame)
    on_air = secure(header + frame.payload, link_key=link_key, frame_counter=frame_counter, source_ieee=source_ieee)
    return dataclasses.replace(frame, payload=on_air[len(header) :], secured=True)


def unseal(frame: AirFrame, *, link_key: bytes) -> AirFrame | None:
    """The plain frame inside a secured one, or None when it does not open under `link_key`
    (another key, or tampered): a receiver drops it, as Z-Stack does."""
    header = bytes([_aps_header(frame)[0] | 0x20]) + _aps_header(frame)[1:]
    try:
        opened = open_frame(header + frame.payload, link_key=link_key)
    except ApsSecurityError:
        return None
    return dataclasses.replace(frame, payload=opened.frame[len(header) :], secured=False)
