"""APS security (Zigbee PRO, 4.4): the auxiliary header and AES-CCM* over an APS frame.

Smart Energy sends every cluster but Basic, Identify, Time and Key Establishment with APS
security under the link key CBKE derived (security level 5, ENC-MIC-32: encrypted with a
4-octet MIC). This module secures and opens whole APS frames as octets, so the emulated
stick, the simulated devices and the captures share one implementation:

- the APS header (frame control with the security bit set, addressing, APS counter) is
  authenticated, not encrypted; the auxiliary header follows it and is authenticated too;
- the nonce is the sender's IEEE address (little-endian, as on air), the frame counter
  and the security control octet with the real level;
- on air the security-level bits are sent as 000 (Zigbee PRO 4.3.1.1: the receiver puts
  the network's level back before checking), which is how Wireshark reads them too;
- key identifier 0 (data key) uses the link key itself; 2 (key-transport) and 3 (key-load)
  use HMAC-MMO(link key, 0x00 / 0x02), Zigbee PRO 4.5.3.

AES-CCM with a 13-octet nonce and a 4-octet tag is CCM* at level 5: `cryptography`'s AESCCM.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESCCM

from harness.security.errors import CbkeError
from harness.security.kdf import hmac_mmo
from harness.zcl.limits import MIC_32

SECURITY_LEVEL = 5  # ENC-MIC-32
MIC_LENGTH = MIC_32  # ENC-MIC-32, the term the secured-frame limit counts too
_SECURITY_BIT = 0x20  # APS frame control bit 5
_EXTENDED_NONCE = 0x20  # security control bit 5


class KeyIdentifier(enum.IntEnum):
    DATA_KEY = 0  # a link key
    NETWORK_KEY = 1
    KEY_TRANSPORT_KEY = 2
    KEY_LOAD_KEY = 3


class ApsSecurityError(CbkeError):
    """An APS frame that is not secured, malformed, or fails its MIC under the key tried."""


@dataclass(frozen=True)
class AuxiliaryHeader:
    key_identifier: KeyIdentifier
    frame_counter: int
    source_ieee: bytes | None  # big-endian EUI-64 when the extended nonce is present
    key_sequence: int | None = None  # only with the network key

    def encode(self, level: int) -> bytes:
        control = (level & 0x07) | (int(self.key_identifier) << 3) | (_EXTENDED_NONCE if self.source_ieee else 0)
        out = bytes([control]) + struct.pack("<I", self.frame_counter)
        if self.source_ieee is not None:
            out += self.source_ieee[::-1]
        if self.key_identifier is KeyIdentifier.NETWORK_KEY:
            out += bytes([self.key_sequence or 0])
        return out


def aps_header_length(frame: bytes) -> int:
    """Octets of the APS header before the auxiliary header (data and command frames)."""
    if not frame:
        raise ApsSecurityError("APS frame: empty")
    control = frame[0]
    frame_type = control & 0x03
    delivery = (control >> 2) & 0x03
    if frame_type == 1:  # command: frame control, counter
        return 2
    if frame_type != 0:
        raise ApsSecurityError(f"APS frame control 0x{control:02x}: only data and command frames are secured here")
    length = 1
    length += 2 if delivery == 3 else 1  # group address, or destination endpoint
    length += 2 + 2 + 1 + 1  # cluster, profile, source endpoint, APS counter
    if control & 0x80:
        raise ApsSecurityError("APS extended header (fragmentation) is not supported")
    return length


def _key_for(link_key: bytes, key_identifier: KeyIdentifier) -> bytes:
    if len(link_key) != 16:
        raise ApsSecurityError(f"APS key: {len(link_key)} octets, a link key has 16")
    if key_identifier is KeyIdentifier.KEY_TRANSPORT_KEY:
        return hmac_mmo(link_key, b"\x00")
    if key_identifier is KeyIdentifier.KEY_LOAD_KEY:
        return hmac_mmo(link_key, b"\x02")
    return link_key


def _nonce(source_ieee: bytes, frame_counter: int, control: int) -> bytes:
    return source_ieee[::-1] + struct.pack("<I", frame_counter) + bytes([control])


def secure(
    frame: bytes,
    *,
    link_key: bytes,
    frame_counter: int,
    source_ieee: bytes,
    key_identifier: KeyIdentifier = KeyIdentifier.DATA_KEY,
    extended_nonce: bool = True,
) -> bytes:
    """The unsecured APS frame `frame` (header + payload) as it goes on air, secured."""
    if len(source_ieee) != 8:
        raise ApsSecurityError(f"source IEEE address: {len(source_ieee)} octets, an EUI-64 has 8")
    header_length = aps_header_length(frame)
    header = bytes([frame[0] | _SECURITY_BIT]) + frame[1:header_length]
    aux = AuxiliaryHeader(key_identifier, frame_counter, source_ieee if extended_nonce else None)
    sealed = AESCCM(_key_for(link_key, key_identifier), tag_length=MIC_LENGTH).encrypt(
        _nonce(source_ieee, frame_counter, aux.encode(SECURITY_LEVEL)[0]),
        frame[header_length:],
        header + aux.encode(SECURITY_LEVEL),
    )
    return header + aux.encode(0) + sealed


@dataclass(frozen=True)
class OpenedFrame:
    frame: bytes  # the APS frame as if sent unsecured (security bit cleared)
    auxiliary: AuxiliaryHeader


def is_secured(frame: bytes) -> bool:
    return bool(frame) and bool(frame[0] & _SECURITY_BIT)


def open_frame(frame: bytes, *, link_key: bytes, source_ieee: bytes | None = None) -> OpenedFrame:
    """The plain APS frame inside a secured one; ApsSecurityError if it is not secured or
    its MIC fails under `link_key` (the key-transport and key-load variants are derived
    from it when the frame says so). `source_ieee` is needed when the frame has no
    extended nonce (the sender's address from the NWK header)."""
    if not is_secured(frame):
        raise ApsSecurityError("APS frame is not secured (frame control bit 5 clear)")
    header_length = aps_header_length(frame)
    at = header_length
    if len(frame) < at + 5:
        raise ApsSecurityError(f"APS frame: {len(frame)} octets, too short for its auxiliary header")
    control = frame[at]
    key_identifier = KeyIdentifier((control >> 3) & 0x03)
    (counter,) = struct.unpack_from("<I", frame, at + 1)
    at += 5
    sender = None
    if control & _EXTENDED_NONCE:
        if len(frame) < at + 8:
            raise ApsSecurityError("APS auxiliary header: extended nonce cut short")
        sender = frame[at : at + 8][::-1]
        at += 8
    key_sequence = None
    if key_identifier is KeyIdentifier.NETWORK_KEY:
        key_sequence = frame[at]
        at += 1
    nonce_source = sender or source_ieee
    if nonce_source is None:
        raise ApsSecurityError("APS frame without extended nonce: the sender's IEEE address is needed")
    real_control = (control & ~0x07) | SECURITY_LEVEL
    header = frame[:header_length]
    aux_bytes = bytes([real_control]) + frame[header_length + 1 : at]
    if len(frame) - at < MIC_LENGTH:
        raise ApsSecurityError("APS frame: shorter than its MIC")
    try:
        payload = AESCCM(_key_for(link_key, key_identifier), tag_length=MIC_LENGTH).decrypt(
            _nonce(nonce_source, counter, real_control), frame[at:], header + aux_bytes
        )
    except InvalidTag:
        raise ApsSecurityError("APS frame: MIC check failed under this key") from None
    plain = bytes([frame[0] & ~_SECURITY_BIT]) + frame[1:header_length] + payload
    return OpenedFrame(plain, AuxiliaryHeader(key_identifier, counter, sender, key_sequence))
