"""Smart Energy ZCL definitions zigpy lacks, and the frame codec the harness uses.

Pure encode/decode, no I/O. Importing this package registers the Device Management,
Messaging, Prepayment and (extended) Metering cluster classes in zigpy's cluster
registry, replacing zigpy's empty or partial ones: import it before the zigpy
application starts so that devices' clusters are built from these classes. Byte layouts:
shared/spec/se-wire-reference.md.
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
    command_title,
    decode,
    default_response,
    default_response_to,
    describe,
    encode,
    format_value,
    iter_commands,
    make_frame,
    unknown_name,
)
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
    format_zcl_utc,
    from_zcl_utc,
    to_zcl_utc,
)
from harness.zcl.types import CharString, IssuerEventId, MessageId

__all__ = [
    "CANCEL",
    "CLUSTERS",
    "HISTORY_ATTRIBUTES",
    "IMPLEMENT_NOW",
    "SE_STATUSES",
    "TENANCY_CHANGE_CONTROL_RESERVED_MASK",
    "ZCL_EPOCH",
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
    "Prepayment",
    "Status",
    "TariffType",
    "TenancyChangeControl",
    "TopUpRecord",
    "ZclDecodeError",
    "ZclEncodeError",
    "ZclFrame",
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
    "iter_commands",
    "make_frame",
    "message_control",
    "message_importance",
    "meter_contactor_state",
    "to_zcl_utc",
    "unknown_name",
    "with_meter_contactor_state",
]
