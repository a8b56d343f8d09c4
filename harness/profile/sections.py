"""The sections of a device profile: one frozen pydantic model each, unknown fields forbidden.

Declarative: each field with its type, default and the description the JSON Schema
publishes, so the schema and the validation errors use the same words. The root
``Profile`` (``document.py``) assembles these sections; the rules spanning several of them
are in ``rules.py``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from harness.durations import Duration, NonNegativeDuration
from harness.profile.choices import (
    ClearScope,
    EsiSource,
    FlowControl,
    ImplementationTime,
    MalformedReply,
    QueryMethod,
    Role,
    SecurityMode,
)
from harness.profile.fields import (
    EUI64,
    MODEL_REF_PATTERN,
    REDACTED,
    SIM_PATH,
    UNIQUE_SCHEMA,
    ArgvItem,
    CbkeCertificate,
    CbkePrivateKey,
    CbkePublicKey,
    ClusterOrAttributeId,
    InstallCode,
    ModelRef,
    NetworkKey,
    PanId,
    RadioPath,
    unique_items,
)


class Section(BaseModel):
    # Frozen: cases read the declaration, they never adjust it. Inputs stay out of error text
    # because some of them are secrets.
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


class Identity(Section):
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
        f"install_code. {REDACTED}",
    )


class TrustCentreCredential(Section):
    """The trust centre's CBKE material for one crypto suite (the harness plays the trust centre)."""

    certificate: CbkeCertificate = Field(
        description="The trust centre's implicit certificate, hex: 48 bytes (suite 1) or 74 (suite 2); its "
        "subject must be the coordinator stick's IEEE address."
    )
    private_key: CbkePrivateKey = Field(
        description=f"The certificate's private key, hex: 21 bytes (suite 1) or 36 (suite 2). {REDACTED}"
    )
    ca_public_key: CbkePublicKey = Field(
        description="The public key of the CA that issued the unit's certificate, compressed: 22 bytes (suite 1) "
        "or 37 (suite 2)."
    )

    @model_validator(mode="after")
    def _consistent(self) -> TrustCentreCredential:
        from harness.security import cbke  # a leaf: pure arithmetic

        try:
            cbke.Identity(
                bytes.fromhex(self.certificate),
                bytes.fromhex(self.private_key.get_secret_value()),
                bytes.fromhex(self.ca_public_key),
            )
        except ValueError as error:  # never quotes the private key
            raise ValueError(f"certificate, private key and CA key do not fit together: {error}") from None
        return self


class Cbke(Section):
    """Smart Energy key establishment: what the unit declares and the trust centre's material."""

    suite: Literal[1, 2] = Field(
        description="The crypto suite the unit uses: 1 (sect163k1, 48-byte certificates) or 2 (sect283k1, 74)."
    )
    suite_1: TrustCentreCredential | None = Field(None, description="The trust centre's suite 1 material.")
    suite_2: TrustCentreCredential | None = Field(None, description="The trust centre's suite 2 material.")
    establish_within: Duration = Field(
        timedelta(seconds=60),
        description="The unit completes CBKE within this long of its install-code join (SEC-01).",
    )
    attempts: int = Field(
        3, ge=1, le=10, description="How many times the unit tries CBKE before it leaves the network."
    )

    def credential(self, suite: int) -> TrustCentreCredential | None:
        return self.suite_1 if suite == 1 else self.suite_2


class Radio(Section):
    """The coordinator stick (or the emulated one) and the network the harness forms."""

    path: RadioPath = Field(
        description=f"'{SIM_PATH}' for the simulated HAN behind an emulated Z-Stack, or the "
        "coordinator's serial path: /dev/ttyACM0, /dev/serial/by-id/..., socket://host:port or "
        "tcp://host:port (raw TCP, e.g. ser2net's raw port)."
    )
    baudrate: int = Field(115200, gt=0, description="Serial speed of the coordinator.")
    flow_control: FlowControl | None = Field(
        None, description="Serial flow control: null (none), software or hardware."
    )
    request_timeout: Duration = Field(
        timedelta(seconds=15),
        description="How long the stick may take to confirm a request (zigpy-znp's sync_request_timeout, "
        "15 s by default; its callbacks, such as a frame's DataConfirm, get twice as long); a stick that "
        "confirms nothing for this long and then ignores SYS.Ping is unresponsive and the run stops as a "
        "bench error. Raise it for a slow link (a remote ser2net).",
    )
    channel: int = Field(ge=11, le=26, description="2.4 GHz Zigbee channel of the network (11..26).")
    pan_id: PanId = Field(description="PAN ID of the network, an integer or hex text like '0x1A62'.")
    extended_pan_id: EUI64 | None = Field(
        None, description="Extended PAN ID (EUI-64 form); null lets the stack choose."
    )
    network_key: NetworkKey | None = Field(
        None,
        description=f"Network key, 16 bytes of hex; null draws a random one per run. {REDACTED}",
    )
    security: SecurityMode = Field(
        description="How the UUT joins: install_code (link key derived from identity.install_code), "
        "well_known_link_key (ZigBeeAlliance09), or cbke: an install-code join, then Smart Energy key "
        "establishment (CBKE) with the harness as trust centre, and every Smart Energy frame APS-secured "
        "under the derived link key (radio.cbke; docs/security.md)."
    )
    network: Literal["form", "join"] = Field(
        "form",
        description="form: the harness's stick forms the network above and the UUT joins it (an IHD or PPMID, or a "
        "meter standing alone on a test bench, as a GB ESME or GPF is tested without its comms hub). join (the "
        "harness joining a comms hub's or a meter's network) is refused: a Z-Stack coordinator driven by zigpy-znp "
        "forms networks and cannot join another's.",
    )
    cbke: Cbke | None = Field(None, description="Required when security is cbke: the trust centre's material.")


class EsiEndpoints(Section):
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


class Esi(Section):
    """The energy service interfaces the harness emulates for an IHD or PPMID."""

    sources: Annotated[list[EsiSource], AfterValidator(unique_items)] = Field(
        default_factory=list,
        json_schema_extra=UNIQUE_SCHEMA,
        description="Meters the UUT is paired with and queries for a CoT: esme and/or gpf. "
        "Required for an ihd or ppmid; may be empty for an esme or gpf under test.",
    )
    endpoints: EsiEndpoints = Field(default_factory=EsiEndpoints)


class Behaviour(Section):
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
    prior_issuer_event_id: int | None = Field(
        None,
        ge=0,
        le=0xFFFFFFFF,
        description="ESI role only: the Issuer Event ID of the CoT the meter already holds before the run "
        "(ESI-01 expects Get Change of Tenancy to answer it); null: none, Get Change of Tenancy answers NOT_FOUND.",
    )


class PollTimings(Section):
    """When the UUT must query its ESIs for a CoT (SECMP0056 pull model)."""

    after_join: Duration = Field(description="Deadline for the first query after power-on or join.")
    after_rejoin: Duration = Field(description="Deadline for a query after a rejoin or the ESI coming back.")
    max_interval: Duration = Field(timedelta(hours=24), description="The UUT queries at least this often.")
    min_interval: Duration = Field(
        description="The UUT queries no more often than this (HAN traffic budget); shorter than max_interval."
    )


class Timings(Section):
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
    cot_push_within: Duration = Field(
        timedelta(seconds=30),
        description="ESI role only: how long after the CoT trigger the meter has to push Publish CoT to every "
        "bound HAN client (ESI-05, ESI-07); on a real bench this includes the trigger's own delivery.",
    )


class Disabled(Section):
    """The bench cannot do this: cases needing it are not applicable."""

    by: Literal["none"]


class OperatorStep(Section):
    """A person does it (or answers the question), prompted by the harness."""

    by: Literal["operator"]
    prompt: str | None = Field(
        None,
        description="Extra guidance shown with the harness's own question or instruction, "
        "e.g. where on the UUT's screens to look.",
    )


class CommandHook(Section):
    """A program does it: run without a shell."""

    by: Literal["command"]
    command: list[ArgvItem] = Field(
        min_length=1,
        description="argv list, e.g. [usbrelay, RELAY1_1=0]; no shell expansion.",
    )
    timeout: Duration = Field(timedelta(seconds=30), description="Longest the command may run.")


class Simulated(Section):
    """The simulated HAN does it (radio.path 'sim://', or simulation.control)."""

    by: Literal["simulation"]


class ZclRead(Section):
    """Read an attribute of the UUT over the air."""

    by: Literal["zcl"]
    cluster: ClusterOrAttributeId = Field(description="Cluster ID, e.g. 0x0702.")
    attribute: ClusterOrAttributeId = Field(description="Attribute ID, e.g. 0x0401.")
    endpoint: int | None = Field(None, ge=1, le=240, description="UUT endpoint; null means identity.endpoint.")


BenchControl = Annotated[Disabled | OperatorStep | CommandHook | Simulated, Field(discriminator="by")]
Observer = Annotated[OperatorStep | CommandHook | Simulated | ZclRead, Field(discriminator="by")]
_NOT_AVAILABLE = Disabled(by="none")


class Bench(Section):
    """What the bench can do to the UUT; `by: none` makes the cases needing it not applicable."""

    power_control: BenchControl = Field(_NOT_AVAILABLE, description="Power-cycling the UUT (CLR-07, NEG-05).")
    rejoin_control: BenchControl = Field(
        _NOT_AVAILABLE, description="Making the UUT leave and rejoin (POLL-02, NEG-05)."
    )
    cot_trigger: BenchControl = Field(
        _NOT_AVAILABLE,
        description="ESI role: making the UUT meter take a CoT (ESI-02..05).",
    )
    foreign_node: Annotated[Disabled | Simulated, Field(discriminator="by")] = Field(
        Disabled(by="none"),
        description="A second transmitter on the network that is not the trust centre, sending a Publish CoT "
        "APS-secured as the trust centre would (SEC-07): simulation (the simulated air), or none. A lab bench "
        "would need a second stick, which the harness does not drive yet.",
    )


class Air(Section):
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


def _control_endpoint(value: str) -> str:
    match = re.fullmatch(r"tcp://(?:\[[0-9A-Fa-f:.]+\]|[^:/\s\[\]]+):(\d{1,5})", value)
    if match is None or not 0 < int(match[1]) < 65536:
        raise ValueError("expected tcp://host:port (what cot-harness emulate --control printed)")
    return value


ControlEndpoint = Annotated[str, AfterValidator(_control_endpoint)]


class Simulation(Section):
    """The simulated UUT: required with radio.path 'sim://' (the harness starts the emulator
    itself), or with simulation.control naming a standalone emulator (cot-harness emulate)
    that the radio path reaches; forbidden otherwise."""

    model: ModelRef = Field(
        json_schema_extra={"pattern": MODEL_REF_PATTERN},
        description="Device model as 'package.module:ClassName', e.g. "
        "'harness.sim.devices.ihd:ReferenceIHD' (a reference model or a fault variant).",
    )
    air: Air = Field(default_factory=Air)
    seed: int = Field(0, description="Seed of the air's random faults, so a run can be repeated.")
    control: ControlEndpoint | None = Field(
        None,
        description="tcp://host:port of a standalone emulator's control endpoint (cot-harness emulate "
        "--control), for a radio.path that reaches its serial port (socket://, ser2net, labgrid, a pty): "
        "the virtual clock, the unit's power and display go through it. null with radio.path 'sim://'. "
        "The air and its seed are then the emulator's (its --profile): leave them out here.",
    )
