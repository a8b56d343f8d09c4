"""Cluster and profile identifiers, taken from the cluster classes rather than retyped.

Basic, Identify, Time and Key Establishment are zigpy's own cluster classes; Metering,
Messaging, Prepayment and Device Management are this package's (the ones registered in
zigpy's registry in their place). Plain ints, so they compare, hash and format like the
cluster IDs in frame records.
"""

from __future__ import annotations

from typing import Final

from zigpy.zcl.clusters.general import Basic, Identify, Time

from harness.zcl.device_management import DeviceManagement
from harness.zcl.key_establishment import KeyEstablishment
from harness.zcl.messaging import Messaging
from harness.zcl.metering import Metering
from harness.zcl.prepayment import Prepayment

BASIC: Final[int] = int(Basic.cluster_id)
IDENTIFY: Final[int] = int(Identify.cluster_id)
TIME: Final[int] = int(Time.cluster_id)
METERING: Final[int] = int(Metering.cluster_id)
MESSAGING: Final[int] = int(Messaging.cluster_id)
PREPAYMENT: Final[int] = int(Prepayment.cluster_id)
DEVICE_MANAGEMENT: Final[int] = int(DeviceManagement.cluster_id)
KEY_ESTABLISHMENT: Final[int] = int(KeyEstablishment.cluster_id)

# The Smart Energy application profile. zigpy has profile modules for HA, ZLL and Green
# Power only, so there is no class to take it from.
SE_PROFILE: Final[int] = 0x0109

__all__ = [
    "BASIC",
    "DEVICE_MANAGEMENT",
    "IDENTIFY",
    "KEY_ESTABLISHMENT",
    "MESSAGING",
    "METERING",
    "PREPAYMENT",
    "SE_PROFILE",
    "TIME",
]
