"""What the emulated stick reports about itself: firmware version, MT capabilities, struct layout.

Separate because zigpy-znp decides behaviour from these values (the build date picks its
endpoint and permit-join handling, the AssocFindDevice length its struct alignment), and
the simulation facade names the firmware in reports without needing the emulator.
"""

from __future__ import annotations

import zigpy_znp.commands as c
import zigpy_znp.types as t

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
    "BootloaderRevision": 0xFFFFFFFF,
}
FIRMWARE_NAME = "Z-Stack 3.30+ (emulated CC2652, build 20230507)"
CAPABILITIES = (
    t.MTCapabilities.SYS
    | t.MTCapabilities.AF
    | t.MTCapabilities.ZDO
    | t.MTCapabilities.SAPI
    | t.MTCapabilities.UTIL
    | t.MTCapabilities.APP
    | t.MTCapabilities.APP_CNF
)
ASSOC_DEVICE_LEN_ALIGNED = 36  # tells zigpy-znp structs are aligned (CC26x2)
