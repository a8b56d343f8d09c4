"""Device Management cluster 0x0708 (wire reference, "Device Management, cluster
0x0708").

zigpy 2.4 declares the cluster with no commands or attributes; subclassing it with the
same cluster_id replaces it in zigpy's registry when this module is imported.

Sources per command:
- Publish Change of Tenancy, Publish Change of Supplier, Request New Password, the Get
  commands: laid out in the wire reference.
- Request New Password Response, Update Site ID, Set/Get Event Configuration, Update
  CIN, Report Event Configuration: ZigBee SE 1.4 (Annex D, Device Management),
  cross-checked with Smart DCC's GBCS parser, which decodes the same fields in the same
  order. Set Event Configuration's payload depends on ConfigurationControl and is kept
  as raw octets.
"""

from __future__ import annotations

import enum
from typing import Final

import zigpy.types as t
from zigpy.zcl.clusters import smartenergy
from zigpy.zcl.foundation import (
    BaseAttributeDefs,
    BaseCommandDefs,
    ZCLAttributeDef,
    ZCLCommandDef,
)

from harness.zcl.types import IssuerEventId, LimitedOctetString, OctetString


class TenancyChangeControl(t.bitmap32):
    """Proposed (Tenancy) Change Control, bitmap32; Change of Supplier uses the same.

    Bit 0 is Pre-Snapshots: the masks are the ones the SE XML and Wireshark agree on
    (one public header wrongly gives Pre-Snapshots the value 0). Bits 11-12 hold the
    meter contactor state as a 2-bit number, see ``MeterContactorState``.
    """

    Pre_Snapshots = 1 << 0
    Post_Snapshots = 1 << 1
    Reset_Credit_Register = 1 << 2
    Reset_Debit_Register = 1 << 3
    Reset_Billing_Period = 1 << 4
    Clear_Tariff_Plan = 1 << 5
    Clear_Standing_Charge = 1 << 6
    Block_Historical_Load_Profile_Information = 1 << 7
    Clear_Historical_Load_Profile_Information = 1 << 8
    Clear_IHD_Data_Consumer = 1 << 9
    Clear_IHD_Data_Supplier = 1 << 10
    Meter_Contactor_State_Bit0 = 1 << 11
    Meter_Contactor_State_Bit1 = 1 << 12
    Clear_Transaction_Log = 1 << 13
    Clear_Prepayment_Data = 1 << 14


ProposedChangeControl = TenancyChangeControl  # Change of Supplier's name for the type

TENANCY_CHANGE_CONTROL_RESERVED_MASK: Final = 0xFFFF_8000  # bits 15-31
METER_CONTACTOR_STATE_SHIFT: Final = 11
METER_CONTACTOR_STATE_MASK: Final = 0b11 << METER_CONTACTOR_STATE_SHIFT


class MeterContactorState(enum.IntEnum):
    """Bits 11-12 of TenancyChangeControl: the contactor state after the change."""

    SUPPLY_OFF = 0
    SUPPLY_OFF_ARMED = 1
    SUPPLY_ON = 2
    SUPPLY_UNCHANGED = 3


def meter_contactor_state(control: int) -> MeterContactorState:
    return MeterContactorState((control & METER_CONTACTOR_STATE_MASK) >> METER_CONTACTOR_STATE_SHIFT)


def with_meter_contactor_state(control: int, state: MeterContactorState) -> TenancyChangeControl:
    cleared = int(control) & ~METER_CONTACTOR_STATE_MASK
    return TenancyChangeControl(cleared | (int(state) << METER_CONTACTOR_STATE_SHIFT))


class TariffType(t.enum8):
    """Tariff Type octet: the low nibble is the enum, the high nibble reserved.

    It says which direction of supply the tariff applies to; it is not the fuel. An
    octet with reserved bits set decodes as an ``undefined_0x..`` member and re-encodes
    unchanged.
    """

    Delivered = 0x00
    Received = 0x01
    Delivered_And_Received = 0x02


TARIFF_TYPE_RESERVED_MASK: Final = 0xF0


class PasswordType(t.enum8):
    """SE 1.4 password types (Request New Password and its response)."""

    Reserved = 0x00
    Password_1_Service_Menu = 0x01
    Password_2_Consumer_Menu = 0x02
    Password_3 = 0x03
    Password_4 = 0x04


class EventConfiguration(t.bitmap8):
    """SE 1.4 per-event configuration octet (logging and push options).

    The wire reference does not lay out its bits, so none are named: values are shown
    and compared as raw bits.
    """


class ConfigurationControl(t.enum8):
    """SE 1.4 Set Event Configuration: how the following payload selects events."""

    Apply_By_List = 0x00
    Apply_By_Event_Group = 0x01
    Apply_By_Log_Type = 0x02
    Apply_By_Configuration_Match = 0x03


class EventConfigurationRecord(t.Struct):
    """One Report Event Configuration record (SE 1.4; same order in the GBCS parser)."""

    event_id: t.uint16_t
    event_configuration: EventConfiguration


# Client attribute IDs live in the same zigpy namespace as server ones; these are read
# from a client (IHD/PPMID) cluster, never from an ESI's server cluster.
CLIENT_ATTRIBUTE_IDS: Final = frozenset({0x0000, 0x0010, 0x06C0, 0x06C1, 0x06C2, 0x06C3})


class DeviceManagement(smartenergy.DeviceManagement):
    TenancyChangeControl: Final = TenancyChangeControl
    TariffType: Final = TariffType
    PasswordType: Final = PasswordType

    class AttributeDefs(BaseAttributeDefs):
        # Server: Supplier Control set (0x01xx)
        provider_id: Final = ZCLAttributeDef(id=0x0100, type=t.uint32_t, access="r")
        provider_name: Final = ZCLAttributeDef(id=0x0101, type=LimitedOctetString(16), access="r")
        provider_contact_details: Final = ZCLAttributeDef(id=0x0102, type=LimitedOctetString(19), access="r")
        proposed_provider_id: Final = ZCLAttributeDef(id=0x0110, type=t.uint32_t, access="r")
        proposed_provider_name: Final = ZCLAttributeDef(id=0x0111, type=LimitedOctetString(16), access="r")
        proposed_provider_change_date_time: Final = ZCLAttributeDef(id=0x0112, type=t.UTCTime, access="r")
        proposed_provider_change_control: Final = ZCLAttributeDef(id=0x0113, type=ProposedChangeControl, access="r")
        # Server: Tenancy Control set (0x02xx)
        change_of_tenancy_update_date_time: Final = ZCLAttributeDef(id=0x0200, type=t.UTCTime, access="r")
        proposed_tenancy_change_control: Final = ZCLAttributeDef(id=0x0201, type=TenancyChangeControl, access="r")
        # Client: Supplier set, Publish CoT event configuration (CLIENT_ATTRIBUTE_IDS)
        client_provider_id: Final = ZCLAttributeDef(id=0x0000, type=t.uint32_t, access="r")
        client_received_provider_id: Final = ZCLAttributeDef(id=0x0010, type=t.uint32_t, access="r")
        publish_cot_received: Final = ZCLAttributeDef(id=0x06C0, type=EventConfiguration, access="rw")
        publish_cot_actioned: Final = ZCLAttributeDef(id=0x06C1, type=EventConfiguration, access="rw")
        publish_cot_cancelled: Final = ZCLAttributeDef(id=0x06C2, type=EventConfiguration, access="rw")
        publish_cot_rejected: Final = ZCLAttributeDef(id=0x06C3, type=EventConfiguration, access="rw")

    class ServerCommandDefs(BaseCommandDefs):
        """Client to server: what an ESME/GPF receives."""

        get_change_of_tenancy: Final = ZCLCommandDef(id=0x00, schema={})
        get_change_of_supplier: Final = ZCLCommandDef(id=0x01, schema={})
        request_new_password: Final = ZCLCommandDef(id=0x02, schema={"password_type": PasswordType})
        get_site_id: Final = ZCLCommandDef(id=0x03, schema={})
        report_event_configuration: Final = ZCLCommandDef(
            id=0x04,
            schema={
                "command_index": t.uint8_t,
                "total_commands": t.uint8_t,
                "event_configurations": t.List[EventConfigurationRecord],
            },
        )
        get_cin: Final = ZCLCommandDef(id=0x05, schema={})

    class ClientCommandDefs(BaseCommandDefs):
        """Server to client: what an IHD/PPMID receives."""

        publish_change_of_tenancy: Final = ZCLCommandDef(
            id=0x00,
            schema={
                "provider_id": t.uint32_t,
                "issuer_event_id": IssuerEventId,
                "tariff_type": TariffType,
                "implementation_date_time": t.UTCTime,
                "proposed_tenancy_change_control": TenancyChangeControl,
            },
        )
        publish_change_of_supplier: Final = ZCLCommandDef(
            id=0x01,
            schema={
                "current_provider_id": t.uint32_t,
                "issuer_event_id": IssuerEventId,
                "tariff_type": TariffType,
                "proposed_provider_id": t.uint32_t,
                "provider_change_implementation_time": t.UTCTime,
                "provider_change_control": ProposedChangeControl,
                "proposed_provider_name": LimitedOctetString(16),
                "proposed_provider_contact_details": LimitedOctetString(19),
            },
        )
        request_new_password_response: Final = ZCLCommandDef(
            id=0x02,
            schema={
                "issuer_event_id": IssuerEventId,
                "implementation_date_time": t.UTCTime,
                "duration_in_minutes": t.uint16_t,
                "password_type": PasswordType,
                "password": OctetString,
            },
        )
        update_site_id: Final = ZCLCommandDef(
            id=0x03,
            schema={
                "issuer_event_id": IssuerEventId,
                "site_id_time": t.UTCTime,
                "provider_id": t.uint32_t,
                "site_id": OctetString,
            },
        )
        set_event_configuration: Final = ZCLCommandDef(
            id=0x04,
            schema={
                "issuer_event_id": IssuerEventId,
                "start_date_time": t.UTCTime,
                "event_configuration": EventConfiguration,
                "configuration_control": ConfigurationControl,
                # Layout depends on configuration_control (a list of event IDs, a group,
                # a log type or a match value): kept whole rather than guessed.
                "event_configuration_payload": t.Bytes,
            },
        )
        get_event_configuration: Final = ZCLCommandDef(id=0x05, schema={"event_id": t.uint16_t})
        update_cin: Final = ZCLCommandDef(
            id=0x06,
            schema={
                "issuer_event_id": IssuerEventId,
                "implementation_time": t.UTCTime,
                "provider_id": t.uint32_t,
                "customer_id_number": OctetString,
            },
        )
