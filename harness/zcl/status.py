"""ZCL status codes.

Wire reference, "Conventions" lists the codes SE exchanges use. zigpy's foundation
``Status`` enum already has every one of them with the same values, so it is reused (one
enum across the project and zigpy, no translation at the radio boundary).
"""

from __future__ import annotations

from typing import Final

from zigpy.zcl.foundation import Status

# The statuses the wire reference names, in its order; tests check zigpy keeps them.
SE_STATUSES: Final[tuple[Status, ...]] = (
    Status.SUCCESS,  # 0x00
    Status.FAILURE,  # 0x01
    Status.NOT_AUTHORIZED,  # 0x7E
    Status.MALFORMED_COMMAND,  # 0x80
    Status.UNSUP_CLUSTER_COMMAND,  # 0x81
    Status.INVALID_FIELD,  # 0x85
    Status.UNSUPPORTED_ATTRIBUTE,  # 0x86
    Status.INVALID_VALUE,  # 0x87
    Status.NOT_FOUND,  # 0x8B
)

__all__ = ["SE_STATUSES", "Status"]
