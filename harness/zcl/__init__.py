"""Smart Energy ZCL definitions zigpy lacks, and the frame codec the harness uses.

Pure encode/decode, no I/O. Importing this package registers the Device Management,
Messaging, Prepayment, Key Establishment and (extended) Metering cluster classes in zigpy's cluster
registry, replacing zigpy's empty or partial ones: import it before the zigpy
application starts so that devices' clusters are built from these classes. Byte layouts:
shared/spec/se-wire-reference.md.

Code outside this package matches frames with the header helpers (``parse_header``,
``answers``, ``tsn_of``, ``min_payload_length``) and names clusters with the constants
of ``harness.zcl.ids`` rather than indexing payload octets or retyping IDs. Every use of
a zigpy private attribute is in ``harness.zcl.seams``.
"""

from harness.zcl.codec import (
    CLUSTERS,
    Direction,
    ZclDecodeError,
    ZclEncodeError,
    ZclFrame,
    build,
    cluster_class,
    cluster_label,
    decode,
    default_response,
    default_response_to,
    encode,
    iter_commands,
    make_frame,
    unknown_name,
)
from harness.zcl.describe import command_title, describe, format_value
from harness.zcl.device_management import (
    TENANCY_CHANGE_CONTROL_RESERVED_MASK,
    DeviceManagement,
    MeterContactorState,
    PasswordType,
    TariffType,
    TenancyChangeControl,
    meter_contactor_state,
    with_meter_contactor_state,
)
from harness.zcl.header import (
    ZclHeader,
    answers,
    header_or_none,
    min_payload_length,
    parse_header,
    tsn_of,
)
from harness.zcl.ids import (
    BASIC,
    DEVICE_MANAGEMENT,
    IDENTIFY,
    KEY_ESTABLISHMENT,
    MESSAGING,
    METERING,
    PREPAYMENT,
    SE_PROFILE,
    TIME,
)
from harness.zcl.key_establishment import KeyEstablishment
from harness.zcl.messaging import (
    MessageControl,
    MessageImportance,
    MessageTransmission,
    Messaging,
    message_control,
    message_importance,
)
from harness.zcl.metering import HISTORY_ATTRIBUTES, HistoryAttribute, Metering
from harness.zcl.prepayment import DebtRecord, DebtType, Prepayment, TopUpRecord
from harness.zcl.status import SE_STATUSES, Status
from harness.zcl.time import (
    CANCEL,
    IMPLEMENT_NOW,
    ZCL_EPOCH,
    ZCL_EPOCH_UNIX,
    format_zcl_utc,
    from_zcl_utc,
    to_zcl_utc,
)
from harness.zcl.types import CharString, IssuerEventId, MessageId

__all__ = [
    "BASIC",
    "CANCEL",
    "CLUSTERS",
    "DEVICE_MANAGEMENT",
    "HISTORY_ATTRIBUTES",
    "IDENTIFY",
    "IMPLEMENT_NOW",
    "KEY_ESTABLISHMENT",
    "MESSAGING",
    "METERING",
    "PREPAYMENT",
    "SE_PROFILE",
    "SE_STATUSES",
    "TENANCY_CHANGE_CONTROL_RESERVED_MASK",
    "TIME",
    "ZCL_EPOCH",
    "ZCL_EPOCH_UNIX",
    "CharString",
    "DebtRecord",
    "DebtType",
    "DeviceManagement",
    "Direction",
    "HistoryAttribute",
    "IssuerEventId",
    "MessageControl",
    "MessageId",
    "MessageImportance",
    "MessageTransmission",
    "Messaging",
    "MeterContactorState",
    "Metering",
    "PasswordType",
    "KeyEstablishment",
    "Prepayment",
    "Status",
    "TariffType",
    "TenancyChangeControl",
    "TopUpRecord",
    "ZclDecodeError",
    "ZclEncodeError",
    "ZclFrame",
    "ZclHeader",
    "answers",
    "build",
    "cluster_class",
    "cluster_label",
    "command_title",
    "decode",
    "default_response",
    "default_response_to",
    "describe",
    "encode",
    "format_value",
    "format_zcl_utc",
    "from_zcl_utc",
    "header_or_none",
    "iter_commands",
    "make_frame",
    "message_control",
    "message_importance",
    "meter_contactor_state",
    "min_payload_length",
    "parse_header",
    "to_zcl_utc",
    "tsn_of",
    "unknown_name",
    "with_meter_contactor_state",
]
