"""Messaging cluster 0x0703 (wire reference, "Messaging, cluster 0x0703"; no
attributes).

zigpy 2.4 declares the cluster empty; this subclass replaces it in zigpy's registry.
Optional trailing fields carry a trailing ``?`` (zigpy's convention): a decoder stops at
the end of the frame, and an absent optional field is simply not in the decoded fields.
ExtendedMessageControl and MessageConfirmationControl bits are from ZigBee SE 1.4 (the
wire reference only gives their types).
"""

from __future__ import annotations

import enum
from typing import Final

import zigpy.types as t
from zigpy.zcl.clusters import smartenergy
from zigpy.zcl.foundation import BaseAttributeDefs, BaseCommandDefs, ZCLCommandDef

from harness.zcl.types import CharString, LimitedOctetString, MessageId


class MessageControl(t.bitmap8):
    """bits 0-1 transmission, bits 2-3 importance, bit 5 enhanced confirmation required,
    bit 7 message confirmation required. The 2-bit fields are named bit by bit; use
    ``message_control()``/``message_importance()`` for their values."""

    Transmission_Bit0 = 0x01
    Transmission_Bit1 = 0x02
    Importance_Bit0 = 0x04
    Importance_Bit1 = 0x08
    Enhanced_Confirmation_Required = 0x20
    Message_Confirmation_Required = 0x80


TRANSMISSION_MASK: Final = 0x03
IMPORTANCE_SHIFT: Final = 2
IMPORTANCE_MASK: Final = 0x03 << IMPORTANCE_SHIFT


class MessageTransmission(enum.IntEnum):
    NORMAL = 0
    NORMAL_AND_INTER_PAN = 1
    INTER_PAN_ONLY = 2
    RESERVED = 3


class MessageImportance(enum.IntEnum):
    LOW = 0
    MEDIUM = 1
    HIGH = 2
    CRITICAL = 3


def message_control(
    *,
    transmission: MessageTransmission = MessageTransmission.NORMAL,
    importance: MessageImportance = MessageImportance.LOW,
    enhanced_confirmation_required: bool = False,
    confirmation_required: bool = False,
) -> MessageControl:
    value = int(transmission) | (int(importance) << IMPORTANCE_SHIFT)
    if enhanced_confirmation_required:
        value |= MessageControl.Enhanced_Confirmation_Required
    if confirmation_required:
        value |= MessageControl.Message_Confirmation_Required
    return MessageControl(value)


def message_importance(control: int) -> MessageImportance:
    return MessageImportance((int(control) & IMPORTANCE_MASK) >> IMPORTANCE_SHIFT)


def message_transmission(control: int) -> MessageTransmission:
    return MessageTransmission(int(control) & TRANSMISSION_MASK)


class ExtendedMessageControl(t.bitmap8):
    Message_Confirmation_Status = 0x01  # SE 1.4: set once the message has been confirmed


class MessageConfirmationControl(t.bitmap8):
    No_Returned = 0x01  # SE 1.4: the consumer answered "no"
    Yes_Returned = 0x02  # SE 1.4: the consumer answered "yes"


_DISPLAY_MESSAGE: Final = {
    "message_id": MessageId,
    "message_control": MessageControl,
    "start_time": t.UTCTime,  # 0 = now
    "duration_in_minutes": t.uint16_t,  # 0xFFFF = until changed
    "message": CharString,
    "extended_message_control?": ExtendedMessageControl,
}

UNTIL_CHANGED: Final = 0xFFFF  # duration_in_minutes


class Messaging(smartenergy.Messaging):
    MessageControl: Final = MessageControl

    class AttributeDefs(BaseAttributeDefs):
        pass

    class ServerCommandDefs(BaseCommandDefs):
        """Client to server: what the ESI receives from an IHD."""

        get_last_message: Final = ZCLCommandDef(id=0x00, schema={})
        message_confirmation: Final = ZCLCommandDef(
            id=0x01,
            schema={
                "message_id": MessageId,
                "confirmation_time": t.UTCTime,
                "message_confirmation_control?": MessageConfirmationControl,
                "message_response?": LimitedOctetString(20),
            },
        )
        get_message_cancellation: Final = ZCLCommandDef(id=0x02, schema={"earliest_implementation_time": t.UTCTime})

    class ClientCommandDefs(BaseCommandDefs):
        """Server to client: what an IHD receives."""

        display_message: Final = ZCLCommandDef(id=0x00, schema=dict(_DISPLAY_MESSAGE))
        cancel_message: Final = ZCLCommandDef(
            id=0x01,
            schema={
                "message_id": MessageId,
                "message_control": MessageControl,  # deprecated by SE 1.4: send 0
            },
        )
        display_protected_message: Final = ZCLCommandDef(id=0x02, schema=dict(_DISPLAY_MESSAGE))
        cancel_all_messages: Final = ZCLCommandDef(id=0x03, schema={"implementation_date_time": t.UTCTime})
