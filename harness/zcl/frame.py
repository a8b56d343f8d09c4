"""A decoded ZCL frame and its vocabulary: direction, the two codec errors.

Kept apart from the codec so that modules which only read or match frames (the header
helpers, the rendering) need not import the encode/decode machinery.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from zigpy.zcl import foundation


class Direction(enum.StrEnum):
    TO_SERVER = "to_server"
    TO_CLIENT = "to_client"

    def flip(self) -> Direction:
        if self is Direction.TO_SERVER:
            return Direction.TO_CLIENT
        return Direction.TO_SERVER

    def to_zigpy(self) -> foundation.Direction:
        if self is Direction.TO_SERVER:
            return foundation.Direction.Client_to_Server
        return foundation.Direction.Server_to_Client

    @classmethod
    def from_zigpy(cls, direction: foundation.Direction) -> Direction:
        if direction == foundation.Direction.Client_to_Server:
            return cls.TO_SERVER
        return cls.TO_CLIENT


class ZclDecodeError(ValueError):
    """The one error ``decode`` raises for a short or malformed frame.

    ``cluster_id`` is None only from ``parse_header``, which reads a header without
    knowing the cluster it arrived on.
    """

    def __init__(
        self,
        message: str,
        *,
        cluster_id: int | None = None,
        command_id: int | None = None,
        command_name: str | None = None,
        field: str | None = None,
        offset: int | None = None,
    ) -> None:
        super().__init__(message)
        self.cluster_id = cluster_id
        self.command_id = command_id
        self.command_name = command_name
        self.field = field
        self.offset = offset


class ZclEncodeError(ValueError):
    """A frame that cannot be encoded: unknown command or field, missing/bad value."""


@dataclass(frozen=True)
class ZclFrame:
    cluster_id: int
    tsn: int
    command_id: int
    is_cluster_specific: bool  # False: a global (foundation) command
    direction: Direction
    disable_default_response: bool
    manufacturer_code: int | None
    command_name: str
    fields: Mapping[str, Any] = field(default_factory=dict, hash=False)  # wire order
    trailing: bytes = b""
    frame_control_reserved: int = 0  # bits 5-7, kept so re-encoding is byte-exact

    def __post_init__(self) -> None:
        object.__setattr__(self, "direction", Direction(self.direction))
        object.__setattr__(self, "fields", dict(self.fields))
        object.__setattr__(self, "trailing", bytes(self.trailing))
