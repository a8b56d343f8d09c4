"""Fault variants for the DM cases, and their rows of the matrix.

Each class breaks one rule (its docstring says which) by overriding one hook of a
reference device; ROWS says which case must catch it (harness.sim.matrix gathers them).
"""

from __future__ import annotations

from zigpy.zcl import foundation

from harness.sim.air import AirFrame
from harness.sim.devices.ihd import ReferenceIHD
from harness.sim.devices.reference import Meter
from harness.sim.variants.spec import IHD, VariantSpec, _v
from harness.zcl import DeviceManagement, codec, ids
from harness.zcl.codec import Direction, ZclDecodeError, ZclFrame
from harness.zcl.device_management import TARIFF_TYPE_RESERVED_MASK, TENANCY_CHANGE_CONTROL_RESERVED_MASK
from harness.zcl.header import header_or_none, leading_fields

DEVICE_MANAGEMENT = ids.DEVICE_MANAGEMENT
PUBLISH_COT = DeviceManagement.ClientCommandDefs.publish_change_of_tenancy.id
HOME_AUTOMATION_PROFILE = 0x0104  # zigpy.profiles.zha; what a stack defaults to without an SE endpoint


class NoDefaultResponseToCot(ReferenceIHD):
    """Actions the CoT but never answers Publish Change of Tenancy with a Default Response."""

    def default_response(self, to: AirFrame, zcl: ZclFrame, status: foundation.Status) -> None:
        if not (zcl.cluster_id == DEVICE_MANAGEMENT and zcl.command_name == "publish_change_of_tenancy"):
            super().default_response(to, zcl, status)


class AnswersCotWithFailure(ReferenceIHD):
    """Actions the CoT but answers Publish Change of Tenancy with Default Response FAILURE."""

    def default_response(self, to: AirFrame, zcl: ZclFrame, status: foundation.Status) -> None:
        if zcl.cluster_id == DEVICE_MANAGEMENT and zcl.command_name == "publish_change_of_tenancy":
            status = foundation.Status.FAILURE
        super().default_response(to, zcl, status)


def _answers_publish_cot(zcl: ZclFrame) -> bool:
    return zcl.cluster_id == DEVICE_MANAGEMENT and zcl.command_name == "publish_change_of_tenancy"


class DefaultResponseWrongDirection(ReferenceIHD):
    """Answers Publish Change of Tenancy with a Default Response whose direction bit says
    server to client (the client's answer must go client to server)."""

    def default_response(self, to: AirFrame, zcl: ZclFrame, status: foundation.Status) -> None:
        if not _answers_publish_cot(zcl):
            super().default_response(to, zcl, status)
            return
        self.reply(
            to,
            codec.default_response(
                zcl.command_id, status, tsn=zcl.tsn, direction=zcl.direction, cluster_id=zcl.cluster_id
            ),
        )


class DefaultResponseManufacturerSpecific(ReferenceIHD):
    """Answers Publish Change of Tenancy with a manufacturer-specific Default Response
    (its own manufacturer code) although the command was a standard one."""

    def default_response(self, to: AirFrame, zcl: ZclFrame, status: foundation.Status) -> None:
        if not _answers_publish_cot(zcl):
            super().default_response(to, zcl, status)
            return
        self.reply(
            to,
            codec.default_response(
                zcl.command_id,
                status,
                tsn=zcl.tsn,
                direction=zcl.direction.flip(),
                cluster_id=zcl.cluster_id,
                manufacturer_code=self.manufacturer_code,
            ),
        )


class DefaultResponseToOtherEndpoint(ReferenceIHD):
    """Sends its Default Response to Publish Change of Tenancy to the coordinator's
    endpoint 1, not back to the meter endpoint the command came from."""

    def default_response(self, to: AirFrame, zcl: ZclFrame, status: foundation.Status) -> None:
        if not _answers_publish_cot(zcl):
            super().default_response(to, zcl, status)
            return
        self.send_zcl(1, zcl.cluster_id, codec.default_response_to(zcl, status), dst_nwk=to.src_nwk)


class IgnoresCotWithDdr(ReferenceIHD):
    """Drops a pushed Publish CoT whose disable-default-response bit is set."""

    def on_pushed_cot(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if not zcl.disable_default_response:
            super().on_pushed_cot(frame, zcl)


class DefaultResponseDespiteDdr(ReferenceIHD):
    """Answers Default Response SUCCESS even when disable-default-response is set."""

    def on_publish_cot(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if zcl.disable_default_response:
            self.default_response(frame, zcl, foundation.Status.SUCCESS)
        super().on_publish_cot(frame, zcl)


class ClearsOnTruncatedCot(ReferenceIHD):
    """Takes a truncated Publish CoT carrying an Issuer Event ID as a genuine CoT."""

    def on_malformed(self, frame: AirFrame, error: ZclDecodeError) -> None:
        super().on_malformed(frame, error)
        header = header_or_none(frame.payload)
        if frame.cluster_id != DEVICE_MANAGEMENT or header is None or header.command_id != PUBLISH_COT:
            return
        issuer_event_id = leading_fields(frame.cluster_id, frame.payload).get("issuer_event_id")
        if issuer_event_id is not None:
            meter = self.meter_of(frame)
            if meter is not None:
                self.action_cot(int(issuer_event_id), self.scope_of(meter))


class DeafAfterMalformed(ReferenceIHD):
    """Its stack resets on a malformed frame: the next four frames it receives are lost
    (more than a case's bounded retries, 2 in the reference profiles, can mask)."""

    deaf_for = 0

    def on_malformed(self, frame: AirFrame, error: ZclDecodeError) -> None:
        super().on_malformed(frame, error)
        self.deaf_for = 4

    def receive(self, frame: AirFrame) -> None:
        if self.deaf_for and frame.dst_ep != 0:
            self.deaf_for -= 1
            return
        super().receive(frame)


class RejectsReservedBits(ReferenceIHD):
    """Rejects a Publish CoT whose reserved change-control bits are set (INVALID_FIELD)."""

    def on_publish_cot(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if int(zcl.fields["proposed_tenancy_change_control"]) & TENANCY_CHANGE_CONTROL_RESERVED_MASK:
            self.default_response(frame, zcl, foundation.Status.INVALID_FIELD)
            return
        super().on_publish_cot(frame, zcl)


class ClearsLateOnTruncatedCot(ReferenceIHD):
    """Takes a truncated Publish CoT carrying an Issuer Event ID as a genuine CoT, and
    actions it 5 s later (within clear_within, after response_timeout)."""

    action_delay = 5.0

    def on_malformed(self, frame: AirFrame, error: ZclDecodeError) -> None:
        super().on_malformed(frame, error)
        header = header_or_none(frame.payload)
        if frame.cluster_id != DEVICE_MANAGEMENT or header is None or header.command_id != PUBLISH_COT:
            return
        issuer_event_id = leading_fields(frame.cluster_id, frame.payload).get("issuer_event_id")
        meter = self.meter_of(frame)
        if issuer_event_id is not None and meter is not None:
            scope = self.scope_of(meter)
            self.world.clock.call_later(self.action_delay, lambda: self.action_cot(int(issuer_event_id), scope))


class ClearsOnTruncatedCotAMinuteLater(ClearsLateOnTruncatedCot):
    """The same guess at a truncated Publish CoT, but its erase is queued behind a minute of
    flash housekeeping: the clearing comes 60 s after the frame, six times clear_within, as
    late as a genuine CoT may be actioned and still not fail CLR-01..04 (`eventually`)."""

    action_delay = 60.0


class AcceptsCotFromAnyEndpoint(ReferenceIHD):
    """Takes a Publish CoT from any endpoint of a node it knows a meter on: it checks the
    sender's node, not that the endpoint is an ESI it discovered."""

    def cot_source(self, frame: AirFrame) -> Meter | None:
        found = super().cot_source(frame)
        if found is not None:
            return found
        return next((m for m in self.known_meters() if m.nwk == frame.src_nwk), None)


class AcceptsUnknownDmCommand(ReferenceIHD):
    """Answers an unknown Device Management command with SUCCESS."""

    def on_device_management(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if zcl.command_name.startswith("unknown_"):
            self.default_response(frame, zcl, foundation.Status.SUCCESS)
            return
        super().on_device_management(frame, zcl)


class RejectsReservedTariffNibble(ReferenceIHD):
    """Rejects a Publish CoT whose Tariff Type high nibble (reserved) is set (INVALID_FIELD)
    and does not action it (adapted from the assessor's model)."""

    def on_publish_cot(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if int(zcl.fields["tariff_type"]) & TARIFF_TYPE_RESERVED_MASK:
            self.default_response(frame, zcl, foundation.Status.INVALID_FIELD)
            return
        super().on_publish_cot(frame, zcl)


def _as_standard_publish_cot(payload: bytes) -> ZclFrame | None:
    """A Device Management frame re-read as a standard server-to-client Publish CoT, its
    manufacturer code and direction dropped (what a dispatcher keyed on cluster and command
    ID alone does)."""
    control = payload[0]
    start = 5 if control & 0x04 else 3
    standard = bytes([(control & 0x10) | 0x09, payload[start - 2], payload[start - 1]]) + payload[start:]
    try:
        zcl = codec.decode(DEVICE_MANAGEMENT, standard)
    except ZclDecodeError:
        return None
    return zcl if zcl.command_name == "publish_change_of_tenancy" else None


class IgnoresManufacturerBitOnDm(ReferenceIHD):
    """Its Device Management dispatcher ignores the manufacturer-specific bit: another
    vendor's own command 0x00 from a meter is taken as Publish Change of Tenancy and actioned
    (adapted from the assessor's model)."""

    def on_zcl(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if (
            zcl.cluster_id == DEVICE_MANAGEMENT
            and zcl.manufacturer_code is not None
            and zcl.command_id == PUBLISH_COT
            and zcl.direction is Direction.TO_CLIENT
            and (standard := _as_standard_publish_cot(frame.payload)) is not None
        ):
            self.on_pushed_cot(frame, standard)
            return
        super().on_zcl(frame, zcl)


class IgnoresDirectionBitOnDm(ReferenceIHD):
    """Its Device Management dispatcher ignores the direction bit: a client-to-server command
    0x00 (Get Change of Tenancy's ID) from a meter carrying 17 octets is parsed as Publish
    Change of Tenancy and actioned (adapted from the assessor's model)."""

    def on_zcl(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if (
            zcl.cluster_id == DEVICE_MANAGEMENT
            and zcl.is_cluster_specific
            and zcl.direction is Direction.TO_SERVER
            and zcl.manufacturer_code is None
            and zcl.command_id == PUBLISH_COT
            and self.meter_of(frame) is not None
            and (standard := _as_standard_publish_cot(frame.payload)) is not None
        ):
            self.on_pushed_cot(frame, standard)
            return
        super().on_zcl(frame, zcl)


class IgnoresFrameTypeOnDm(ReferenceIHD):
    """Its Device Management dispatcher ignores the frame type: a global command 0x00 (Read
    Attributes) from a meter carrying 17 octets is parsed as Publish Change of Tenancy and
    actioned. Such a frame is no valid Read Attributes (an odd length), so it reaches the
    malformed-frame path, where the dispatcher looks first."""

    def on_malformed(self, frame: AirFrame, error: ZclDecodeError) -> None:
        header = header_or_none(frame.payload)
        if (
            frame.cluster_id == DEVICE_MANAGEMENT
            and header is not None
            and not header.cluster_specific
            and header.manufacturer_code is None
            and header.command_id == PUBLISH_COT
            and self.meter_of(frame) is not None
            and (standard := _as_standard_publish_cot(frame.payload)) is not None
        ):
            self.on_pushed_cot(frame, standard)
            return
        super().on_malformed(frame, error)


class DefaultResponseOnHaProfile(ReferenceIHD):
    """Sends its Default Responses on the Home Automation profile (0x0104), its stack's
    default for global commands, not the Smart Energy profile of the command answered: the
    meter's endpoint (profile 0x0109) never receives them."""

    def default_response(self, to: AirFrame, zcl: ZclFrame, status: foundation.Status) -> None:
        answer = codec.default_response_to(zcl, status)
        self._transmit(to.src_nwk, self.endpoint, to.src_ep, HOME_AUTOMATION_PROFILE, to.cluster_id, answer)


class SuppressesErrorsWhenDdrSet(ReferenceIHD):
    """Checks disable-default-response before the status: with the bit set it stays silent
    on errors too (a truncated Publish CoT gets no MALFORMED_COMMAND), although it declares
    malformed_reply malformed_command (adapted from the assessor's model)."""

    def default_response(self, to: AirFrame, zcl: ZclFrame, status: foundation.Status) -> None:
        if not zcl.disable_default_response:
            super().default_response(to, zcl, status)

    def on_malformed(self, frame: AirFrame, error: ZclDecodeError) -> None:
        if not (frame.payload and frame.payload[0] & 0x10):
            super().on_malformed(frame, error)


ROWS: tuple[VariantSpec, ...] = (
    _v(NoDefaultResponseToCot, IHD, "DM-01"),
    _v(
        AnswersCotWithFailure,
        IHD,
        "DM-01",
        may_fail=("DM-04",),
        why="DM-04 also requires a CoT with reserved bits to be accepted (SUCCESS)",
    ),
    _v(DefaultResponseDespiteDdr, IHD, "DM-02"),
    _v(IgnoresCotWithDdr, IHD, "DM-02"),
    _v(ClearsOnTruncatedCot, IHD, "DM-03", "ROB-01"),
    _v(
        DeafAfterMalformed,
        IHD,
        "DM-03",
        may_fail=("DM-04", "DM-05", "ROB-01", "ROB-02"),
        why="a unit whose stack resets also loses the frames that follow, whichever case sends them (DM-05's "
        "global look-alike is malformed too)",
    ),
    _v(RejectsReservedBits, IHD, "DM-04"),
    _v(AcceptsUnknownDmCommand, IHD, "DM-05"),
    _v(DefaultResponseWrongDirection, IHD, "DM-01"),
    _v(DefaultResponseManufacturerSpecific, IHD, "DM-01"),
    _v(DefaultResponseToOtherEndpoint, IHD, "DM-01"),
    _v(ClearsLateOnTruncatedCot, IHD, "DM-03", "ROB-01"),
    # a wrong clearing a minute late is still inside the watch (eventually)
    _v(ClearsOnTruncatedCotAMinuteLater, IHD, "DM-03", "ROB-01"),
    _v(AcceptsCotFromAnyEndpoint, IHD, "DM-06"),
    _v(RejectsReservedTariffNibble, IHD, "DM-04"),
    _v(IgnoresManufacturerBitOnDm, IHD, "DM-05"),
    _v(IgnoresDirectionBitOnDm, IHD, "DM-05"),
    _v(SuppressesErrorsWhenDdrSet, IHD, "DM-03"),
    _v(IgnoresFrameTypeOnDm, IHD, "DM-05"),
    # Every Default Response of it is lost: DM-05's UNSUP_CLUSTER_COMMAND too.
    _v(DefaultResponseOnHaProfile, IHD, "DM-01", "DM-05"),
)
