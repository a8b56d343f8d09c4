"""What the emulated stick reports about itself: firmware version, MT capabilities, struct layout.

Separate because zigpy-znp decides behaviour from these values (the build date picks its
endpoint and permit-join handling, the AssocFindDevice length its struct alignment), and
the simulation facade names the firmware in reports without needing the emulator.
"""

from __future__ import annotations

import zigpy.zdo.types as zdo_t
import zigpy_znp.commands as c
import zigpy_znp.types as t

from harness.stick_identity import EMULATED_BOOTLOADER_REVISION

# What the emulated stick reports about itself (a CC2652 on a 2023 Z-Stack build: the
# build date decides zigpy-znp's endpoint and permit-join behaviour).
FIRMWARE = {
    "TransportRev": 2,
    "ProductId": 1,
    "MajorRel": 2,
    "MinorRel": 7,
    "MaintRel": 1,
    "CodeRevision": 20230507,
    "BootloaderBuildType": c.sys.BootloaderBuildType.NON_BOOTLOADER_BUILD,
    "BootloaderRevision": EMULATED_BOOTLOADER_REVISION,  # says "emulated" on the wire
}
FIRMWARE_NAME = "Z-Stack 3.30+ (emulated CC2652, build 20230507)"
# What a CC2652 on Z-Stack 3.x.0 answers to SYS.Ping (1625): no SAPI, no APP (it would
# answer CommandNotRecognized to them), but Green Power.
CAPABILITIES = (
    t.MTCapabilities.SYS
    | t.MTCapabilities.AF
    | t.MTCapabilities.ZDO
    | t.MTCapabilities.UTIL
    | t.MTCapabilities.GP
    | t.MTCapabilities.APP_CNF
)
ASSOC_DEVICE_LEN_ALIGNED = 36  # tells zigpy-znp structs are aligned (CC26x2)

# UTIL.GetDeviceInfo DeviceType: the build can be coordinator, router or end device.
DEVICE_TYPE_CAPABILITIES = 7


# The node descriptor a CC2652 coordinator on Z-Stack 3.x.0 reports about itself (zigpy-znp's
# own test fixture of a CC26x2R1): buffer 80, transfers 160, server mask primary trust
# centre + stack compliance revision 22, MAC capabilities with alternate PAN coordinator.
COORDINATOR_NODE_DESCRIPTOR = {
    "byte1": 0,
    "byte2": 64,
    "mac_capability_flags": 143,
    "manufacturer_code": 0,
    "maximum_buffer_size": 80,
    "maximum_incoming_transfer_size": 160,
    "server_mask": 11265,
    "maximum_outgoing_transfer_size": 160,
    "descriptor_capability_field": 0,
}


def coordinator_node_descriptor() -> zdo_t.NodeDescriptor:
    """The coordinator's node descriptor, as a ZDO Node_Desc_rsp carries it."""
    return zdo_t.NodeDescriptor(**COORDINATOR_NODE_DESCRIPTOR)
