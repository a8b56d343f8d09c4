"""Key Establishment cluster 0x0800 (Smart Energy 1.x, Annex C.3): CBKE over ZCL.

zigpy 2.4 declares the cluster empty; this subclass replaces it in zigpy's registry. The
four commands have the same IDs in both directions (Wireshark's dissector names them so):
0x00 Initiate Key Establishment, 0x01 Ephemeral Data, 0x02 Confirm Key Data, 0x03
Terminate Key Establishment. Certificates and ephemeral points have a length set by the
crypto suite (48/74 and 22/37 octets), so they are declared as the rest of the frame and
their length checked by the server against the suite, which ends the exchange with
BAD_MESSAGE when it is wrong.
"""

from __future__ import annotations

import enum
from typing import Final

import zigpy.types as t
from zigpy.zcl.clusters import smartenergy
from zigpy.zcl.foundation import BaseAttributeDefs, BaseCommandDefs, ZCLAttributeDef, ZCLCommandDef


class KeyEstablishmentSuite(t.bitmap16):
    """Attribute 0x0000 and the suite field of every command: one bit per crypto suite."""

    CBKE_ECMQV_Suite1 = 0x0001  # sect163k1, 48-octet certificates
    CBKE_ECMQV_Suite2 = 0x0002  # sect283k1, 74-octet certificates


class TerminateStatus(t.enum8):
    """Terminate Key Establishment status (Wireshark: zbee_zcl_ke_status_names)."""

    UNKNOWN_ISSUER = 0x01
    BAD_KEY_CONFIRM = 0x02
    BAD_MESSAGE = 0x03
    NO_RESOURCES = 0x04
    UNSUPPORTED_SUITE = 0x05
    INVALID_CERTIFICATE = 0x06  # SE 1.2 and later


class Suite(enum.IntEnum):
    """Suite numbers as the security code names them, and their bit in the bitmap."""

    ONE = 1
    TWO = 2

    @property
    def bit(self) -> int:
        return 1 << (self.value - 1)


SUITE_OF_BIT: Final = {suite.bit: suite for suite in Suite}

_INITIATE: Final = {
    "key_establishment_suite": KeyEstablishmentSuite,
    "ephemeral_data_generate_time": t.uint8_t,  # seconds
    "confirm_key_generate_time": t.uint8_t,  # seconds
    "identity": t.Bytes,  # the sender's implicit certificate
}
_TERMINATE: Final = {
    "status_code": TerminateStatus,
    "wait_time": t.uint8_t,  # seconds before the initiator may try again
    "key_establishment_suite": KeyEstablishmentSuite,
}


class KeyEstablishment(smartenergy.KeyEstablishment):
    KeyEstablishmentSuite: Final = KeyEstablishmentSuite

    class AttributeDefs(BaseAttributeDefs):
        key_establishment_suite: Final = ZCLAttributeDef(id=0x0000, type=KeyEstablishmentSuite, access="r")

    class ServerCommandDefs(BaseCommandDefs):
        """Client to server: what the trust centre's Key Establishment server receives."""

        initiate_key_establishment_request: Final = ZCLCommandDef(id=0x00, schema=dict(_INITIATE))
        ephemeral_data_request: Final = ZCLCommandDef(id=0x01, schema={"ephemeral_data": t.Bytes})
        confirm_key_data_request: Final = ZCLCommandDef(id=0x02, schema={"secure_message_authentication_code": t.Bytes})
        terminate_key_establishment: Final = ZCLCommandDef(id=0x03, schema=dict(_TERMINATE))

    class ClientCommandDefs(BaseCommandDefs):
        """Server to client: what the joining device receives."""

        initiate_key_establishment_response: Final = ZCLCommandDef(id=0x00, schema=dict(_INITIATE))
        ephemeral_data_response: Final = ZCLCommandDef(id=0x01, schema={"ephemeral_data": t.Bytes})
        confirm_key_data_response: Final = ZCLCommandDef(
            id=0x02, schema={"secure_message_authentication_code": t.Bytes}
        )
        terminate_key_establishment: Final = ZCLCommandDef(id=0x03, schema=dict(_TERMINATE))
