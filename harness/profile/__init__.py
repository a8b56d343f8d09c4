"""Device profiles: what a lab declares about one UUT, validated before any radio is touched.

One YAML file per device. Every section forbids unknown fields, so a typo is an error naming
the field rather than a silently ignored setting that turns a case into "not applicable".
The points the public specifications leave open (query method, implementation-time policy,
malformed-frame reply, fuel scope) have no defaults: the profile must say, never the harness.

The package, one concept a module: ``choices`` (the enums), ``fields`` (scalar types and
their validators), ``sections`` (the section models), ``document`` (``Profile``), ``rules``
(checks spanning sections), ``errors`` (``ProfileError`` and its messages), ``load``
(``load_profile``, ``parse_profile``) and ``schema`` (the JSON Schema, ``python -m
harness.profile schema``). Everything public is importable from ``harness.profile``.
"""

from harness.domain import DataClass as DataClass  # re-exported: profiles name data classes
from harness.profile.choices import (
    ClearScope,
    ControlBy,
    EsiSource,
    FlowControl,
    ImplementationTime,
    MalformedReply,
    ObserveBy,
    QueryMethod,
    Role,
    SecurityMode,
)
from harness.profile.document import Profile
from harness.profile.errors import ProfileError
from harness.profile.fields import (
    EUI64,
    SIM_PATH,
    ArgvItem,
    ClusterOrAttributeId,
    InstallCode,
    NetworkKey,
    PanId,
)
from harness.profile.load import load_profile, parse_profile
from harness.profile.schema import SCHEMA_PATH, main, profile_json_schema, write_json_schema
from harness.profile.sections import (
    Air,
    Behaviour,
    Bench,
    BenchControl,
    CommandHook,
    Disabled,
    Esi,
    EsiEndpoints,
    Identity,
    Observer,
    OperatorStep,
    PollTimings,
    Radio,
    Simulated,
    Simulation,
    Timings,
    ZclRead,
)

__all__ = [
    "EUI64",
    "SCHEMA_PATH",
    "SIM_PATH",
    "Air",
    "ArgvItem",
    "Behaviour",
    "Bench",
    "BenchControl",
    "ClearScope",
    "ClusterOrAttributeId",
    "CommandHook",
    "ControlBy",
    "DataClass",
    "Disabled",
    "Esi",
    "EsiEndpoints",
    "EsiSource",
    "FlowControl",
    "Identity",
    "ImplementationTime",
    "InstallCode",
    "MalformedReply",
    "NetworkKey",
    "ObserveBy",
    "Observer",
    "OperatorStep",
    "PanId",
    "PollTimings",
    "Profile",
    "ProfileError",
    "QueryMethod",
    "Radio",
    "Role",
    "SecurityMode",
    "Simulated",
    "Simulation",
    "Timings",
    "ZclRead",
    "load_profile",
    "main",
    "parse_profile",
    "profile_json_schema",
    "write_json_schema",
]
