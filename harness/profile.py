"""Device profiles: what a lab declares about one UUT, validated before any radio is touched.

One YAML file per device. Every section forbids unknown fields, so a typo is an error naming
the field rather than a silently ignored setting that turns a case into "not applicable".
The points the public specifications leave open (query method, implementation-time policy,
malformed-frame reply, fuel scope) have no defaults: the profile must say, never the harness.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Hashable, Iterator, Mapping, Sequence
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import InitErrorDetails, PydanticCustomError
from zigpy.util import convert_install_code

from harness.durations import Duration, NonNegativeDuration, format_duration

SIM_PATH = "sim://"
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "device_profiles" / "profile.schema.json"


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


class DataClass(StrEnum):
    """The previous occupier's data a CoT must clear (one CLR case each)."""

    CONSUMPTION_HISTORY = "consumption_history"
    TOP_UP_HISTORY = "top_up_history"
    DEBT_RECOVERY = "debt_recovery"
    SUPPLIER_MESSAGES = "supplier_messages"


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


# --- scalar types -----------------------------------------------------------------------------

_QUOTE_HINT = "quote it (unquoted, YAML may read it as a number or a boolean)"
_EUI64_RE = re.compile(
    r"[0-9a-f]{16}|[0-9a-f]{2}(?::[0-9a-f]{2}){7}|[0-9a-f]{2}(?:-[0-9a-f]{2}){7}",
    re.IGNORECASE,
)


def _eui64(value: object) -> str:
    if not isinstance(value, str) or not _EUI64_RE.fullmatch(value.strip()):
        raise ValueError(f"expected an EUI-64: 16 hex digits, optionally in pairs; {_QUOTE_HINT}")
    digits = re.sub("[:-]", "", value.strip()).lower()
    return ":".join(digits[i : i + 2] for i in range(0, 16, 2))


EUI64 = Annotated[
    str,
    BeforeValidator(_eui64),
    WithJsonSchema({"type": "string", "pattern": f"^({_EUI64_RE.pattern})$"}),
]


def _hex_int(value: object) -> object:
    # YAML reads an unquoted 0x1A62 as an int already; a quoted one arrives as text.
    if isinstance(value, bool) or (isinstance(value, str) and not re.fullmatch(r"0[xX][0-9a-fA-F]+", value)):
        raise ValueError("expected an integer or a hex string like '0x1A62'")
    return int(value, 16) if isinstance(value, str) else value


def _hex_int_schema(maximum: int) -> WithJsonSchema:
    return WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0, "maximum": maximum},
                {"type": "string", "pattern": "^0[xX][0-9a-fA-F]+$"},
            ]
        }
    )


# 0xFFFF is excluded: it means "no PAN" in IEEE 802.15.4.
PanId = Annotated[int, BeforeValidator(_hex_int), Field(ge=0, le=0xFFFE), _hex_int_schema(0xFFFE)]
ClusterOrAttributeId = Annotated[int, BeforeValidator(_hex_int), Field(ge=0, le=0xFFFF), _hex_int_schema(0xFFFF)]


def _hex_bytes(text: str) -> bytes | None:
    """Hex as printed on labels and in tools: any case, with ':', '-' or spaces between bytes."""
    try:
        return bytes.fromhex(re.sub(r"[\s:-]", "", text))
    except ValueError:
        return None


def _install_code(value: SecretStr) -> SecretStr:
    # Messages never quote the value: it is a secret.
    code = _hex_bytes(value.get_secret_value())
    if code is None:
        raise ValueError("expected hex digits (':', '-' or spaces between bytes are fine)")
    if len(code) not in (8, 10, 14, 18):
        raise ValueError(
            f"expected 6, 8, 12 or 16 bytes of code plus its 2-byte CRC (8, 10, 14 or 18 bytes), got {len(code)} bytes"
        )
    try:
        convert_install_code(code)  # the same check the coordinator's join path makes
    except ValueError:
        raise ValueError(
            "the CRC-16/X-25 in the last 2 bytes does not match the code: check for a mistyped digit"
        ) from None
    return SecretStr(code.hex().upper())


def _network_key(value: SecretStr) -> SecretStr:
    key = _hex_bytes(value.get_secret_value())
    if key is None or len(key) != 16:
        raise ValueError("expected 16 bytes of hex (':', '-' or spaces between bytes are fine)")
    return SecretStr(key.hex(":"))


_REDACTED = "Secret: redacted ('**********') wherever the harness writes the profile."
InstallCode = Annotated[SecretStr, AfterValidator(_install_code)]
NetworkKey = Annotated[SecretStr, AfterValidator(_network_key)]


def _unique(items: list[Any]) -> list[Any]:
    repeated = sorted({str(item) for item in items if items.count(item) > 1})
    if repeated:
        raise ValueError(f"listed more than once: {', '.join(repeated)}")
    return items


_UNIQUE_SCHEMA = {"uniqueItems": True}
ArgvItem = Annotated[str, Field(min_length=1)]
_MODEL_REF_RE = r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*$"


def _radio_path(value: str) -> str:
    if value == SIM_PATH or value.startswith("/"):
        return value
    tcp = re.fullmatch(r"(?:socket|tcp)://(?:\[[0-9A-Fa-f:.]+\]|[^:/\s\[\]]+):(\d{1,5})", value)
    if tcp and 0 < int(tcp[1]) < 65536:
        return value
    if value.startswith("rfc2217://"):
        # zigpy-znp-notes: serialx waits for an acknowledgement ser2net 4.3 never sends.
        raise ValueError("rfc2217:// hangs against ser2net; use its raw port as socket://host:port")
    raise ValueError(
        f"expected '{SIM_PATH}', a serial device path (/dev/ttyACM0, /dev/serial/by-id/...), "
        "socket://host:port or tcp://host:port"
    )


def _model_ref(value: str) -> str:
    if not re.fullmatch(_MODEL_REF_RE, value):
        raise ValueError("expected 'package.module:ClassName'")
    return value


# --- sections ---------------------------------------------------------------------------------


class _Section(BaseModel):
    # Frozen: cases read the declaration, they never adjust it. Inputs stay out of error text
    # because some of them are secrets.
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


class Identity(_Section):
    """Which device this is: named in every report so two runs can be compared."""

    role: Role = Field(
        description="What the UUT is: ihd, ppmid (the harness plays the meters) "
        "or esme, gpf (the harness plays the IHD)."
    )
    manufacturer: str = Field(min_length=1, description="Manufacturer as it appears in reports.")
    model: str = Field(min_length=1, description="Model name as it appears in reports.")
    firmware_version: str = Field(
        min_length=1,
        description="Firmware under test. Quote it: YAML reads 1.10 as the number 1.1.",
    )
    ieee: EUI64 = Field(
        description="The UUT's IEEE address (EUI-64), any case, with or without ':' or '-'. "
        "Normalised to lower case in colon-separated pairs."
    )
    endpoint: int = Field(ge=1, le=240, description="The UUT's Smart Energy endpoint (1..240).")
    install_code: InstallCode | None = Field(
        None,
        description="Install code from the device label: 6, 8, 12 or 16 bytes of hex followed by "
        "its CRC-16/X-25 (2 bytes, little-endian), as printed. Needed when radio.security is "
        f"install_code. {_REDACTED}",
    )


class Radio(_Section):
    """The coordinator stick (or the emulated one) and the network the harness forms."""

    path: Annotated[str, AfterValidator(_radio_path)] = Field(
        description=f"'{SIM_PATH}' for the simulated HAN behind an emulated Z-Stack, or the "
        "coordinator's serial path: /dev/ttyACM0, /dev/serial/by-id/..., socket://host:port or "
        "tcp://host:port (raw TCP, e.g. ser2net's raw port)."
    )
    baudrate: int = Field(115200, gt=0, description="Serial speed of the coordinator.")
    flow_control: FlowControl | None = Field(
        None, description="Serial flow control: null (none), software or hardware."
    )
    channel: int = Field(ge=11, le=26, description="2.4 GHz Zigbee channel of the network (11..26).")
    pan_id: PanId = Field(description="PAN ID of the network, an integer or hex text like '0x1A62'.")
    extended_pan_id: EUI64 | None = Field(
        None, description="Extended PAN ID (EUI-64 form); null lets the stack choose."
    )
    network_key: NetworkKey | None = Field(
        None,
        description=f"Network key, 16 bytes of hex; null draws a random one per run. {_REDACTED}",
    )
    security: SecurityMode = Field(
        description="How the UUT joins: install_code (link key derived from identity.install_code) "
        "or well_known_link_key (ZigBeeAlliance09). Smart Energy key establishment (CBKE) is not "
        "provided by a stock Z-Stack coordinator, so a device that insists on it cannot join this "
        "bench; pre-flight reports that as a bench error, not a device failure."
    )


class EsiEndpoints(_Section):
    """Coordinator endpoints the emulated meters answer on."""

    esme: int = Field(
        9,
        ge=2,
        le=240,
        description="Endpoint of the emulated ESME (2..240; 1 is zigpy-znp's Home Automation endpoint).",
    )
    gpf: int = Field(
        10,
        ge=2,
        le=240,
        description="Endpoint of the emulated GPF (2..240; 1 is zigpy-znp's Home Automation endpoint).",
    )

    @model_validator(mode="after")
    def _distinct(self) -> EsiEndpoints:
        if self.esme == self.gpf:
            raise ValueError("esme and gpf need different endpoints")
        return self


class Esi(_Section):
    """The energy service interfaces the harness emulates for an IHD or PPMID."""

    sources: Annotated[list[EsiSource], AfterValidator(_unique)] = Field(
        default_factory=list,
        json_schema_extra=_UNIQUE_SCHEMA,
        description="Meters the UUT is paired with and queries for a CoT: esme and/or gpf. "
        "Required for an ihd or ppmid; may be empty for an esme or gpf under test.",
    )
    endpoints: EsiEndpoints = Field(default_factory=EsiEndpoints)


class Behaviour(_Section):
    """Choices the public specifications leave open; the harness checks the declared one."""

    query_method: QueryMethod = Field(
        description="How the UUT asks for the CoT: get_change_of_tenancy (the command) or "
        "read_attributes (Device Management attributes 0x0200/0x0201)."
    )
    implementation_time: ImplementationTime = Field(
        description="A future Implementation Date/Time is actioned on_receipt (the GBCS default) "
        "or scheduled (generic Smart Energy behaviour; 0xFFFFFFFF then cancels)."
    )
    malformed_reply: MalformedReply = Field(
        description="Reply to a truncated Publish CoT: malformed_command (Default Response "
        "MALFORMED_COMMAND) or silence. Either way nothing may be cleared."
    )
    clear_scope: ClearScope = Field(description="What a CoT from the GPF alone clears: all data, or only that fuel's.")
    push_capable: bool = Field(
        False,
        description="ESI role only: the UUT (an ESME or GPF) pushes Publish CoT to the HAN "
        "after the CoT trigger (case ESI-05).",
    )


class PollTimings(_Section):
    """When the UUT must query its ESIs for a CoT (SECMP0056 pull model)."""

    after_join: Duration = Field(description="Deadline for the first query after power-on or join.")
    after_rejoin: Duration = Field(description="Deadline for a query after a rejoin or the ESI coming back.")
    max_interval: Duration = Field(timedelta(hours=24), description="The UUT queries at least this often.")
    min_interval: Duration = Field(
        description="The UUT queries no more often than this (HAN traffic budget); shorter than max_interval."
    )


class Timings(_Section):
    """Deadlines the cases wait for: a condition or this long, never a fixed sleep.

    Durations are '500ms', '5s', '2m', '3h', '1d' or a number of seconds.
    """

    response_timeout: Duration = Field(
        description="How long the UUT has to answer a command (e.g. Default Response to Publish CoT)."
    )
    clear_within: Duration = Field(
        description="How long after the CoT the previous occupier's data must be gone (CLR-05)."
    )
    observation_window: Duration = Field(description="How long negative cases watch for spurious clearing.")
    poll: PollTimings
    retries: int = Field(
        0,
        ge=0,
        le=5,
        description="Resends a case may make where it declares that it tolerates a lost frame.",
    )


class Disabled(_Section):
    """The bench cannot do this: cases needing it are not applicable."""

    by: Literal["none"]


class OperatorStep(_Section):
    """A person does it (or answers the question), prompted by the harness."""

    by: Literal["operator"]
    prompt: str | None = Field(
        None,
        description="Extra guidance shown with the harness's own question or instruction, "
        "e.g. where on the UUT's screens to look.",
    )


class CommandHook(_Section):
    """A program does it: run without a shell."""

    by: Literal["command"]
    command: list[ArgvItem] = Field(
        min_length=1,
        description="argv list, e.g. [usbrelay, RELAY1_1=0]; no shell expansion.",
    )
    timeout: Duration = Field(timedelta(seconds=30), description="Longest the command may run.")


class Simulated(_Section):
    """The simulated HAN does it (radio.path 'sim://' only)."""

    by: Literal["simulation"]


class ZclRead(_Section):
    """Read an attribute of the UUT over the air."""

    by: Literal["zcl"]
    cluster: ClusterOrAttributeId = Field(description="Cluster ID, e.g. 0x0702.")
    attribute: ClusterOrAttributeId = Field(description="Attribute ID, e.g. 0x0401.")
    endpoint: int | None = Field(None, ge=1, le=240, description="UUT endpoint; null means identity.endpoint.")


BenchControl = Annotated[Disabled | OperatorStep | CommandHook | Simulated, Field(discriminator="by")]
Observer = Annotated[OperatorStep | CommandHook | Simulated | ZclRead, Field(discriminator="by")]
_NOT_AVAILABLE = Disabled(by="none")


class Bench(_Section):
    """What the bench can do to the UUT; `by: none` makes the cases needing it not applicable."""

    power_control: BenchControl = Field(_NOT_AVAILABLE, description="Power-cycling the UUT (CLR-07, NEG-05).")
    rejoin_control: BenchControl = Field(
        _NOT_AVAILABLE, description="Making the UUT leave and rejoin (POLL-02, NEG-05)."
    )
    cot_trigger: BenchControl = Field(
        _NOT_AVAILABLE,
        description="ESI role: making the UUT meter take a CoT (ESI-02..05).",
    )


class Air(_Section):
    """Faults the simulated air injects into every frame."""

    loss: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Probability one transmission attempt is lost. Unicast frames get up to 3 MAC retries "
        "(IEEE 802.15.4 macMaxFrameRetries), broadcasts none, as on a real radio.",
    )
    delay: NonNegativeDuration = Field(timedelta(0), description="Added to every frame's transit.")
    jitter: NonNegativeDuration = Field(timedelta(0), description="Random extra delay, up to this.")
    duplicate: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Probability a frame arrives twice (same APS counter: APS duplicate rejection applies).",
    )
    reorder: float = Field(0.0, ge=0, le=1, description="Probability a frame overtakes another.")


class Simulation(_Section):
    """The simulated UUT; required with radio.path 'sim://' and forbidden otherwise."""

    model: Annotated[str, AfterValidator(_model_ref)] = Field(
        json_schema_extra={"pattern": _MODEL_REF_RE},
        description="Device model as 'package.module:ClassName', e.g. "
        "'harness.sim.devices.ihd:ReferenceIHD' (a reference model or a fault variant).",
    )
    air: Air = Field(default_factory=Air)
    seed: int = Field(0, description="Seed of the air's random faults, so a run can be repeated.")


class Profile(_Section):
    """A device profile for the Change of Tenancy conformance harness."""

    schema_version: Literal[1] = Field(description="Profile format version; this schema is 1.")
    identity: Identity
    radio: Radio
    esi: Esi = Field(default_factory=Esi)
    stores: Annotated[list[DataClass], AfterValidator(_unique)] = Field(
        json_schema_extra=_UNIQUE_SCHEMA,
        description="Data classes the UUT stores and must clear on a CoT; a CLR case is not "
        "applicable to a class not listed. May be empty (e.g. a PPMID storing none).",
    )
    behaviour: Behaviour
    timings: Timings
    bench: Bench = Field(default_factory=Bench)
    observe: dict[DataClass, Observer] = Field(
        default_factory=dict,
        description="For each class in stores, how the harness reads whether the UUT still "
        "shows it: by simulation, command, operator or zcl.",
    )
    answers_file: Path | None = Field(
        None,
        description="Operator answers for unattended runs; relative to the profile's folder.",
    )
    simulation: Simulation | None = Field(None, description=Simulation.__doc__)

    _source_path: Path | None = PrivateAttr(None)

    @field_validator("answers_file")
    @classmethod
    def _resolve_answers_file(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        base = (info.context or {}).get("base_dir")
        if value is None:
            return None
        path = value if value.is_absolute() or base is None else base / value
        if not path.is_file():
            raise ValueError(f"no such file: {path}")
        return path

    @model_validator(mode="after")
    def _cross_field_rules(self) -> Profile:
        broken = [
            # The message goes in as context: a template would read any brace in it.
            InitErrorDetails(
                type=PydanticCustomError("profile_rule", "{rule}", {"rule": msg}),
                loc=loc,
                input=None,
            )
            for loc, msg in _rule_violations(self)
        ]
        if broken:
            # One ValidationError for all rules, each at its own field path.
            raise ValidationError.from_exception_data(type(self).__name__, broken)
        return self

    @property
    def is_simulated(self) -> bool:
        return self.radio.path == SIM_PATH

    @property
    def source_path(self) -> Path | None:
        """The YAML file this profile was loaded from (None when built in code)."""
        return self._source_path

    def identity_line(self) -> str:
        i = self.identity
        return f"{i.model} by {i.manufacturer}, firmware {i.firmware_version} ({i.role}, {i.ieee})"

    def secrets(self) -> list[str]:
        """Every text form in which a run might write a secret, longest first.

        Longest first so that a redactor replacing in order never leaves the tail of a longer
        form (the install code's CRC) behind after replacing a shorter one inside it.
        """
        raw: list[bytes] = []
        if self.identity.install_code is not None:
            code = bytes.fromhex(self.identity.install_code.get_secret_value())
            # Without its CRC as some tools print it, and the link key the coordinator derives
            # from it and hands to the stick (visible in zigpy-znp debug logs).
            raw += [code, code[:-2], bytes(convert_install_code(code))]
        if self.radio.network_key is not None:
            key = self.radio.network_key.get_secret_value()
            raw.append(bytes.fromhex(key.replace(":", "")))
        forms = {text for secret in raw for text in _text_forms(secret)}
        return sorted(forms, key=lambda text: (-len(text), text))


def _text_forms(secret: bytes) -> Iterator[str]:
    for text in (secret.hex(), secret.hex().upper()):
        yield text
        for sep in ":- ":
            yield sep.join(text[i : i + 2] for i in range(0, len(text), 2))
    yield repr(secret)[2:-1]  # Python's bytes repr, as frame logs print payloads


def _rule_violations(p: Profile) -> Iterator[tuple[tuple[str, ...], str]]:
    """Rules spanning sections, each reported at the field the engineer should change."""
    role = p.identity.role
    if not role.is_esi and not p.esi.sources:
        yield (
            ("esi", "sources"),
            f"a {role} needs at least one ESI source to query (esme, gpf)",
        )
    if p.radio.security is SecurityMode.INSTALL_CODE and p.identity.install_code is None:
        yield (
            ("identity", "install_code"),
            "required when radio.security is install_code",
        )
    for data_class in p.stores:
        if data_class not in p.observe:
            yield (
                ("observe", data_class),
                f"{data_class} is in stores: say how to observe it",
            )
    for data_class in p.observe:
        if data_class not in p.stores:
            # Otherwise the CLR case would silently become "not applicable".
            yield (
                ("observe", data_class),
                f"{data_class} is not in stores: add it there or drop this",
            )
    if p.simulation is None and p.is_simulated:
        yield ("simulation",), f"required when radio.path is '{SIM_PATH}'"
    if p.simulation is not None and not p.is_simulated:
        yield ("simulation",), f"only allowed when radio.path is '{SIM_PATH}'"
    if not p.is_simulated:
        specs = [(("bench", name), getattr(p.bench, name)) for name in Bench.model_fields]
        specs += [(("observe", data_class), spec) for data_class, spec in p.observe.items()]
        for loc, spec in specs:
            if isinstance(spec, Simulated):
                yield (*loc, "by"), f"simulation needs radio.path '{SIM_PATH}'"
    poll = p.timings.poll
    if poll.min_interval >= poll.max_interval:
        limit = format_duration(poll.max_interval)
        yield (
            ("timings", "poll", "min_interval"),
            f"must be shorter than timings.poll.max_interval ({limit})",
        )


# --- loading ----------------------------------------------------------------------------------


class ProfileError(Exception):
    """A profile that cannot be used: the file, and each offending field with what was expected."""

    def __init__(self, file: Path | None, errors: Sequence[tuple[str, str]]) -> None:
        self.file = file
        # One line each, whatever the source message looked like.
        self.errors = [(path, " ".join(msg.split())) for path, msg in errors]
        super().__init__(file, self.errors)

    def _where(self) -> str:
        return str(self.file) if self.file is not None else "profile"

    def __str__(self) -> str:
        count = len(self.errors)
        details = "; ".join(f"{path}: {msg}" if path else msg for path, msg in self.errors)
        return f"{self._where()}: {count} error{'' if count == 1 else 's'}: {details}"

    def lines(self) -> list[str]:
        return [f"{self._where()}: {path}: {msg}" if path else f"{self._where()}: {msg}" for path, msg in self.errors]


class _StrictLoader(yaml.SafeLoader):
    """safe_load, except a repeated key is an error instead of the last one silently winning."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Hashable] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, Hashable) and key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    f"found the key {key!r} twice",
                    key_node.start_mark,
                )
            if isinstance(key, Hashable):
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_profile(path: str | Path) -> Profile:
    """Read and validate one profile file; any problem raises ProfileError naming the file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(file, [("", "no such file")]) from None
    except UnicodeDecodeError:
        raise ProfileError(file, [("", "not UTF-8 text")]) from None
    except OSError as exc:
        raise ProfileError(file, [("", f"cannot read it: {exc.strerror or exc}")]) from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        # Built from the parts: PyYAML's own text quotes the offending line, which may hold a secret.
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ProfileError(file, [("", f"YAML syntax error at {where}{exc.problem}")]) from None
    except yaml.YAMLError as exc:
        raise ProfileError(file, [("", f"not YAML: {exc}")]) from None
    return parse_profile(data, source=file)


def parse_profile(data: object, *, source: Path | None = None) -> Profile:
    """Validate already-parsed profile data; relative paths resolve against source's folder."""
    if not isinstance(data, Mapping):
        got = "an empty file" if data is None else f"a {type(data).__name__}"
        raise ProfileError(source, [("", f"expected a mapping of profile sections, got {got}")])
    base_dir = source.parent.absolute() if source is not None else None
    try:
        profile = Profile.model_validate(data, context={"base_dir": base_dir})
    except ValidationError as exc:
        raise ProfileError(source, [_describe(error, data) for error in exc.errors()]) from None
    profile._source_path = source
    return profile


# pydantic's wording, where it speaks of Python rather than of the YAML the engineer wrote.
_PLAIN_WORDS = {
    "dict_type": "expected a mapping (key: value)",
    "model_type": "expected a mapping (key: value)",
    "model_attributes_type": "expected a mapping such as {by: operator}",
    "list_type": "expected a list ([a, b] or lines starting '- ')",
    "extra_forbidden": "unknown field (check its spelling against the profile schema)",
    "union_tag_not_found": "field required",
}


def _describe(error: Any, data: Mapping[str, Any]) -> tuple[str, str]:
    """A pydantic error as (dotted field path, message in the profile's own terms)."""
    loc, kind = list(error["loc"]), error["type"]
    msg = _PLAIN_WORDS.get(kind, error["msg"])
    ctx = error.get("ctx") or {}
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        loc.append("by")
    if kind == "value_error":
        msg = str(ctx["error"])  # drop pydantic's "Value error, " prefix
    elif kind == "union_tag_invalid":
        msg = f"{ctx['tag']!r} is not one of {ctx['expected_tags']}"
    elif kind == "string_type" and isinstance(error.get("input"), int | float):
        msg = f"{msg}; {_QUOTE_HINT}"
    if loc and loc[-1] == "[key]":
        loc.pop()
        msg = f"unknown key; {msg.replace('Input should be', 'expected')}"
    return _dotted(loc, data), msg[:1].lower() + msg[1:]


def _dotted(loc: Sequence[str | int], data: object) -> str:
    """'bench.power_control.command', leaving out the union branch names pydantic adds to loc."""
    parts: list[str] = []
    node, may_be_tag = data, True
    for seg in loc:
        # Only bench controls and observe entries have a `by`; pydantic puts its value once in
        # loc, right after the field (the branch may share its name: by: command, command: []).
        if may_be_tag and isinstance(node, Mapping) and seg == node.get("by"):
            may_be_tag = False
            continue
        parts.append(f"[{seg}]" if isinstance(seg, int) else f".{seg}")
        node = _child(node, seg)
        may_be_tag = True
    return "".join(parts).lstrip(".")


def _child(node: object, seg: str | int) -> object:
    if isinstance(node, Mapping):
        return node.get(seg)
    if isinstance(node, list) and isinstance(seg, int) and seg < len(node):
        return node[seg]
    return None


# --- JSON Schema ------------------------------------------------------------------------------


class _ProfileSchema(GenerateJsonSchema):
    def encode_default(self, dft: Any) -> Any:
        # Show defaults the way a profile spells them ("30s"), not as ISO 8601 ("PT30S").
        if isinstance(dft, timedelta):
            return format_duration(dft)
        return super().encode_default(dft)


def profile_json_schema() -> dict[str, Any]:
    schema = Profile.model_json_schema(schema_generator=_ProfileSchema)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def write_json_schema(path: str | Path = SCHEMA_PATH) -> Path:
    path = Path(path)
    path.write_text(json.dumps(profile_json_schema(), indent=2) + "\n", encoding="utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.profile")
    commands = parser.add_subparsers(dest="command", required=True)
    schema = commands.add_parser("schema", help="regenerate the profile JSON Schema")
    schema.add_argument("path", nargs="?", type=Path, default=SCHEMA_PATH)
    args = parser.parse_args(argv)
    print(f"wrote {write_json_schema(args.path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
