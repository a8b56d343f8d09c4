"""The closed sets of values a profile field may take, as enums.

Separate from the section models because cases, observers and the simulated devices
branch on these values (``QueryMethod``, ``ImplementationTime``, ...) without needing the
pydantic models around them.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What the UUT is on the HAN."""

    IHD = "ihd"
    PPMID = "ppmid"
    ESME = "esme"
    GPF = "gpf"

    @property
    def is_esi(self) -> bool:
        """A meter: the harness plays the IHD against it instead of playing the ESI."""
        return self in (Role.ESME, Role.GPF)


class EsiSource(StrEnum):
    ESME = "esme"
    GPF = "gpf"


class QueryMethod(StrEnum):
    GET_CHANGE_OF_TENANCY = "get_change_of_tenancy"
    READ_ATTRIBUTES = "read_attributes"


class ImplementationTime(StrEnum):
    ON_RECEIPT = "on_receipt"
    SCHEDULED = "scheduled"


class MalformedReply(StrEnum):
    MALFORMED_COMMAND = "malformed_command"
    SILENCE = "silence"


class ClearScope(StrEnum):
    ALL = "all"
    FUEL = "fuel"


class SecurityMode(StrEnum):
    INSTALL_CODE = "install_code"
    WELL_KNOWN_LINK_KEY = "well_known_link_key"
    CBKE = "cbke"  # install-code join, then Smart Energy key establishment with the harness as trust centre


class FlowControl(StrEnum):
    SOFTWARE = "software"
    HARDWARE = "hardware"


class ControlBy(StrEnum):
    """Who performs a bench action (the `by` of a bench control)."""

    NONE = "none"
    OPERATOR = "operator"
    COMMAND = "command"
    SIMULATION = "simulation"


class ObserveBy(StrEnum):
    """How the UUT's visible state is read (the `by` of an observe entry)."""

    SIMULATION = "simulation"
    COMMAND = "command"
    OPERATOR = "operator"
    ZCL = "zcl"
