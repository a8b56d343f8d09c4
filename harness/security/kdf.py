"""Key derivation and key confirmation of Smart Energy CBKE, over AES-MMO (zigpy's).

MacKey = AES-MMO(Z || 00000001), KeyData (the new APS link key) = AES-MMO(Z || 00000002);
MACU = HMAC-MMO(MacKey, 02 || IEEE_U || IEEE_V || QeU || QeV), MACV with 03 and the
sides swapped. U is the initiator, V the responder; IEEE addresses big-endian.
"""

from __future__ import annotations

from dataclasses import dataclass

from zigpy.util import aes_mmo_hash

BLOCK = 16
MACU_PREFIX = b"\x02"
MACV_PREFIX = b"\x03"


def mmo(data: bytes) -> bytes:
    return bytes(aes_mmo_hash(data))


def hmac_mmo(key: bytes, message: bytes) -> bytes:
    if len(key) != BLOCK:
        raise ValueError(f"HMAC-MMO key: {len(key)} octets, the MacKey has {BLOCK}")
    inner = mmo(bytes(k ^ 0x36 for k in key) + message)
    return mmo(bytes(k ^ 0x5C for k in key) + inner)


@dataclass(frozen=True, repr=False)
class DerivedKeys:
    mac_key: bytes
    key_data: bytes  # the APS link key both ends install

    def __repr__(self) -> str:  # keys never reach a log through a repr
        return "DerivedKeys(<redacted>)"


def derive_keys(shared_secret: bytes) -> DerivedKeys:
    return DerivedKeys(
        mac_key=mmo(shared_secret + b"\x00\x00\x00\x01"),
        key_data=mmo(shared_secret + b"\x00\x00\x00\x02"),
    )


def mac_u(mac_key: bytes, *, ieee_u: bytes, ieee_v: bytes, qe_u: bytes, qe_v: bytes) -> bytes:
    return hmac_mmo(mac_key, MACU_PREFIX + ieee_u + ieee_v + qe_u + qe_v)


def mac_v(mac_key: bytes, *, ieee_u: bytes, ieee_v: bytes, qe_u: bytes, qe_v: bytes) -> bytes:
    return hmac_mmo(mac_key, MACV_PREFIX + ieee_v + ieee_u + qe_v + qe_u)
