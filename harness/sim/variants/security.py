"""Fault variants for the SEC cases (radio.security cbke), and their rows of the matrix.

Each breaks one rule of Smart Energy security by overriding one hook of the device's
security (harness.sim.device_security.DeviceSecurity), named as its `security_class`.
"""

from __future__ import annotations

import dataclasses
from typing import cast

from harness.domain import Fuel
from harness.security.certificates import Certificate
from harness.security.initiator import KeyEstablishmentClient
from harness.sim.air import AirFrame
from harness.sim.aps_link import unseal
from harness.sim.device_security import DeviceSecurity
from harness.sim.devices.ihd import DualFuelIHD, ReferenceIHD
from harness.sim.devices.ppmid import ReferencePPMID
from harness.sim.devices.reference import Handler, Meter, ReferenceDevice
from harness.sim.variants.spec import VariantSpec, _v
from harness.zcl import ids
from harness.zcl.codec import Direction, ZclFrame
from harness.zcl.header import header_or_none

IHD_CBKE = "sim-ihd-cbke.yaml"
PPMID_CBKE = "sim-ppmid-cbke.yaml"
IHD_CBKE_SUITE1 = "sim-ihd-cbke-suite1.yaml"
DUAL_CBKE = "sim-dual-fuel-ihd-cbke.yaml"  # SEC-03/04/07 judged for each fuel's meter


class _NeverStarts(DeviceSecurity):
    def starts_cbke(self) -> bool:
        return False


class NeverStartsCbke(ReferenceIHD):
    """Joins with its install code and never starts key establishment: it holds no link key,
    so it sends and accepts no Smart Energy frame."""

    security_class = _NeverStarts


class _SendsUnsecured(DeviceSecurity):
    def outgoing(self, frame: AirFrame) -> AirFrame | None:
        return frame  # NWK security only, whatever the cluster


class SendsUnsecured(ReferenceIHD):
    """Completes CBKE but sends its Smart Energy frames without APS security."""

    security_class = _SendsUnsecured


class _ActionsUnsecured(DeviceSecurity):
    def accepts_unsecured(self, frame: AirFrame) -> bool:
        return frame.cluster_id == ids.DEVICE_MANAGEMENT


class ActionsUnsecuredCot(ReferenceIHD):
    """Acts on Device Management frames (a Publish CoT) that arrive without APS security."""

    security_class = _ActionsUnsecured


class _KeepsInstallCodeKey(DeviceSecurity):
    def incoming(self, frame: AirFrame) -> AirFrame | None:
        opened = super().incoming(frame)
        key = self.node.link_key()
        if opened is None and frame.secured and key is not None:
            self.ignored -= 1  # not ignored after all: the install-code key still opens it
            opened = unseal(frame, link_key=key)
        return opened


class KeepsInstallCodeKey(ReferenceIHD):
    """After CBKE it still takes frames secured under the install-code key it joined with."""

    security_class = _KeepsInstallCodeKey


class _AnyCaClient(KeyEstablishmentClient):
    def issuer_acceptable(self, theirs: Certificate) -> bool:
        return True


class _AcceptsAnyCa(DeviceSecurity):
    def make_client(self) -> KeyEstablishmentClient:
        return _AnyCaClient(self.identity, self.trust_centre_ieee)


class AcceptsAnyCa(ReferenceIHD):
    """Does not check that the trust centre's certificate comes from its own CA: it goes on to
    Ephemeral Data instead of terminating with UNKNOWN_ISSUER."""

    security_class = _AcceptsAnyCa


class _MacvBlindClient(KeyEstablishmentClient):
    def macv_acceptable(self, received: bytes, expected: bytes) -> bool:
        return True


class _IgnoresMacv(DeviceSecurity):
    def make_client(self) -> KeyEstablishmentClient:
        return _MacvBlindClient(self.identity, self.trust_centre_ieee)


class IgnoresMacv(ReferenceIHD):
    """Takes the link key without checking the trust centre's MACV, and uses it."""

    security_class = _IgnoresMacv


ROWS: tuple[VariantSpec, ...] = (
    _v(
        NeverStartsCbke,
        IHD_CBKE,
        "SEC-01",
        blocks_rest=True,
        why="a unit without a link key can be judged on nothing else: every other case is broken, naming SEC-01",
    ),
    _v(SendsUnsecured, IHD_CBKE, "SEC-02"),
    _v(ActionsUnsecuredCot, IHD_CBKE, "SEC-03"),
    _v(KeepsInstallCodeKey, IHD_CBKE, "SEC-04"),
    _v(AcceptsAnyCa, IHD_CBKE, "SEC-05"),
    _v(IgnoresMacv, IHD_CBKE, "SEC-06"),
)


class AcceptsCotFromAnyNode(ReferenceIHD):
    """Takes a Publish CoT from the ESI's endpoint number on any node, so long as it is
    APS-secured: it checks the endpoint, not that the sender is the meter it discovered."""

    def cot_source(self, frame: AirFrame) -> Meter | None:
        found = super().cot_source(frame)
        if found is not None:
            return found
        return next((m for m in self.known_meters() if m.endpoint == frame.src_ep), None)


ROWS = (*ROWS, _v(AcceptsCotFromAnyNode, IHD_CBKE, "SEC-07"))


# The same faults in the other situations the SEC requirements cover: key establishment on
# suite 1 (sect163k1 certificates, another curve and certificate layout), and a PPMID, whose
# Smart Energy frames and CoT handling are its own device's.


class AcceptsAnyCaSuite1(AcceptsAnyCa):
    """AcceptsAnyCa, on crypto suite 1."""


class IgnoresMacvSuite1(IgnoresMacv):
    """IgnoresMacv, on crypto suite 1."""


class SendsUnsecuredPpmid(ReferencePPMID):
    """A PPMID that completes CBKE but sends its Smart Energy frames without APS security."""

    security_class = _SendsUnsecured


class ActionsUnsecuredCotPpmid(ReferencePPMID):
    """A PPMID that acts on a Publish CoT arriving without APS security."""

    security_class = _ActionsUnsecured


class KeepsInstallCodeKeyPpmid(ReferencePPMID):
    """A PPMID that still takes frames under the install-code key after CBKE."""

    security_class = _KeepsInstallCodeKey


ROWS = (
    *ROWS,
    _v(AcceptsAnyCaSuite1, IHD_CBKE_SUITE1, "SEC-05"),
    _v(IgnoresMacvSuite1, IHD_CBKE_SUITE1, "SEC-06"),
    _v(SendsUnsecuredPpmid, PPMID_CBKE, "SEC-02"),
    _v(ActionsUnsecuredCotPpmid, PPMID_CBKE, "SEC-03"),
    _v(KeepsInstallCodeKeyPpmid, PPMID_CBKE, "SEC-04"),
)


# A dual-fuel unit whose security is enforced on one fuel's frames only: a refusal of the
# electricity meter's spoofed CoT says nothing of the gas meter's (SEC-03, SEC-04 and SEC-07
# send theirs from every ESI the profile declares).


def _from_gas_meter(node: ReferenceDevice, frame: AirFrame) -> bool:
    meter = node.meter_of(frame)
    return meter is not None and meter.fuel is Fuel.GAS


class _ElectricityOnly(DeviceSecurity):
    """APS security checked on every frame but the gas meter's Device Management frames:
    those are taken unsecured or under the install-code key the unit joined with."""

    def accepts_unsecured(self, frame: AirFrame) -> bool:
        return frame.cluster_id == ids.DEVICE_MANAGEMENT and _from_gas_meter(cast(ReferenceDevice, self.node), frame)

    def incoming(self, frame: AirFrame) -> AirFrame | None:
        opened = super().incoming(frame)
        key = self.node.link_key()
        if (
            opened is None
            and frame.secured
            and key is not None
            and frame.cluster_id == ids.DEVICE_MANAGEMENT
            and _from_gas_meter(cast(ReferenceDevice, self.node), frame)
        ):
            opened = unseal(frame, link_key=key)
            if opened is not None:
                self.ignored -= 1  # not ignored after all: the install-code key opens the gas meter's
        return opened


class EnforcesSecurityOnElectricityOnly(DualFuelIHD):
    """A dual-fuel IHD that enforces Smart Energy security on the electricity meter's frames
    only: a Publish CoT from the gas meter's endpoint is acted on without APS security, under
    the install-code key, or from a node that is not the trust centre (the GPF's endpoint
    number on any node); the ESME's are refused as the reference refuses them."""

    security_class = _ElectricityOnly

    def cot_source(self, frame: AirFrame) -> Meter | None:
        found = super().cot_source(frame)
        if found is not None:
            return found
        return next((m for m in self.known_meters() if m.fuel is Fuel.GAS and m.endpoint == frame.src_ep), None)


ROWS = (*ROWS, _v(EnforcesSecurityOnElectricityOnly, DUAL_CBKE, "SEC-03", "SEC-04", "SEC-07"))


# The SEC rules hold for every Smart Energy frame, not only Device Management's: a spoofed
# Messaging command (Cancel All Messages, Display Message) changes the occupier's display
# without any CoT. SEC-03, SEC-04 and SEC-07 spoof them as they spoof a Publish CoT.


class _MessagingExempt(DeviceSecurity):
    """The list of clusters needing APS security leaves Messaging out ("display only")."""

    def accepts_unsecured(self, frame: AirFrame) -> bool:
        return frame.cluster_id == ids.MESSAGING


class AcceptsUnsecuredMessagingPpmid(ReferencePPMID):
    """A PPMID that acts on Messaging frames without APS security: a spoofed Cancel All Messages
    wipes the occupier's supplier message, a spoofed Display Message replaces it."""

    security_class = _MessagingExempt


class _InstallKeyFallbackOffDm(DeviceSecurity):
    """After CBKE a frame the CBKE key does not open is tried under the install-code key, on
    every cluster but Device Management (where the fallback was tested and removed)."""

    def incoming(self, frame: AirFrame) -> AirFrame | None:
        opened = super().incoming(frame)
        key = self.node.link_key()
        if opened is None and frame.secured and key is not None and frame.cluster_id != ids.DEVICE_MANAGEMENT:
            opened = unseal(frame, link_key=key)
            if opened is not None:
                self.ignored -= 1  # not ignored after all: the install-code key opens it
        return opened


class InstallKeyFallbackOffDm(DualFuelIHD):
    """A dual-fuel IHD that refuses a Publish CoT under the install-code key but takes
    Messaging under it: Cancel All Messages under the install-code key wipes the messages."""

    security_class = _InstallKeyFallbackOffDm


class AcceptsMessagingFromAnyNode(ReferenceIHD):
    """Takes a Messaging command from an ESI's endpoint number on any node (APS-secured): it
    checks the sender of a CoT, not of a supplier message."""

    def on_messaging(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if self.meter_of(frame) is None:
            meter = next((m for m in self.known_meters() if m.endpoint == frame.src_ep), None)
            if meter is not None:  # as if the meter had sent it
                frame = dataclasses.replace(frame, src_nwk=meter.nwk)
        super().on_messaging(frame, zcl)


ROWS = (
    *ROWS,
    _v(AcceptsUnsecuredMessagingPpmid, PPMID_CBKE, "SEC-03"),
    _v(InstallKeyFallbackOffDm, DUAL_CBKE, "SEC-04"),
    _v(AcceptsMessagingFromAnyNode, IHD_CBKE, "SEC-07"),
)


class _SubjectBlindClient(KeyEstablishmentClient):
    def subject_acceptable(self, theirs: Certificate) -> bool:
        return True


class _SkipsSubject(DeviceSecurity):
    def make_client(self) -> KeyEstablishmentClient:
        return _SubjectBlindClient(self.identity, self.trust_centre_ieee)


class SkipsTrustCentreSubjectCheck(ReferenceIHD):
    """Checks that the trust centre's certificate comes from its own CA but not that it names
    the trust centre: any device certificate from that CA (every IHD holds one) can play
    trust centre. It goes on to Ephemeral Data instead of terminating with BAD_MESSAGE."""

    security_class = _SkipsSubject


ROWS = (*ROWS, _v(SkipsTrustCentreSubjectCheck, IHD_CBKE, "SEC-05"))


# The answers to the unit's own requests (SEC-03/04/07 answer its CoT query and Get Last Message
# in the meter's place), the keys a stack falls back to, and the unit's security after a
# power-on: a CoT reaches the unit by push and as an answer, and the rule is the same for both.


def _answers_pending(node: ReferenceDevice, frame: AirFrame, cluster: int) -> bool:
    """`frame` is a server-to-client frame of `cluster` echoing the TSN of a request the unit
    still waits an answer to."""
    header = header_or_none(frame.payload)
    if header is None or header.direction is not Direction.TO_CLIENT or frame.cluster_id != cluster:
        return False
    return (frame.cluster_id, header.tsn) in node._pending  # the requests it waits answers to


class _UnsecuredAnswers(DeviceSecurity):
    """APS security checked on unsolicited frames; an answer is matched to its request by TSN
    in the application and taken however it arrived."""

    answered_cluster = ids.DEVICE_MANAGEMENT

    def accepts_unsecured(self, frame: AirFrame) -> bool:
        return _answers_pending(cast(ReferenceDevice, self.node), frame, self.answered_cluster)


class AcceptsUnsecuredAnswers(ReferenceIHD):
    """Takes an unsecured Publish CoT that answers its own Get Change of Tenancy (the query's
    TSN echoed); refuses an unsecured push as the reference does."""

    security_class = _UnsecuredAnswers


class _GasAnswersUnsecured(_UnsecuredAnswers):
    def accepts_unsecured(self, frame: AirFrame) -> bool:
        return super().accepts_unsecured(frame) and _from_gas_meter(cast(ReferenceDevice, self.node), frame)


class GasAnswersUnsecured(DualFuelIHD):
    """A dual-fuel IHD that takes an unsecured answer to its CoT query from the gas meter's
    endpoint only (the electricity meter's is refused)."""

    security_class = _GasAnswersUnsecured


class _UnsecuredMessagingAnswers(_UnsecuredAnswers):
    answered_cluster = ids.MESSAGING


class AcceptsUnsecuredMessageAnswerPpmid(ReferencePPMID):
    """A PPMID that shows an unsecured Display Message answering its Get Last Message."""

    security_class = _UnsecuredMessagingAnswers


class _WellKnownKeyFallback(DeviceSecurity):
    """A frame the CBKE key does not open is tried under the default trust centre link key
    (a Zigbee stack's key for a peer it holds none for)."""

    def incoming(self, frame: AirFrame) -> AirFrame | None:
        opened = super().incoming(frame)
        if opened is None and frame.secured:
            opened = unseal(frame, link_key=b"ZigBeeAlliance09")
            if opened is not None:
                self.ignored -= 1  # not ignored after all: the well-known key opens it
        return opened


class FallsBackToWellKnownKey(ReferenceIHD):
    """After CBKE it still takes frames secured under the well-known trust centre link key
    (ZigBeeAlliance09)."""

    security_class = _WellKnownKeyFallback


class _InstallKeyForAnswers(DeviceSecurity):
    """The install-code key still opens an answer to its own Device Management request (a
    'meters not yet rekeyed' path), never a push."""

    def incoming(self, frame: AirFrame) -> AirFrame | None:
        opened = super().incoming(frame)
        key = self.node.link_key()
        if opened is None and frame.secured and key is not None:
            inner = unseal(frame, link_key=key)
            if inner is not None and _answers_pending(cast(ReferenceDevice, self.node), inner, ids.DEVICE_MANAGEMENT):
                self.ignored -= 1
                return inner
        return opened


class InstallKeyOpensAnswers(ReferenceIHD):
    """Takes the answer to its CoT query under the install-code key it joined with."""

    security_class = _InstallKeyForAnswers


class TrustsAnswerByTsn(ReferenceIHD):
    """The answer to its CoT query is matched by TSN and taken as from the meter it asked:
    the sender is checked on a pushed CoT, not on an answer (APS-secured with its link key)."""

    def __init__(self, world) -> None:  # noqa: ANN001
        super().__init__(world)
        self.asked: dict[tuple[int, int], Meter] = {}  # (cluster, TSN) -> the meter asked

    def request(self, meter: Meter, cluster: int, command: str, on_answer: Handler, **fields: object) -> None:
        before = set(self._pending)
        super().request(meter, cluster, command, on_answer, **fields)
        for key in set(self._pending) - before:
            self.asked[key] = meter

    def on_zcl(self, frame: AirFrame, zcl: ZclFrame) -> None:
        asked = self.asked.get((zcl.cluster_id, zcl.tsn))
        if (
            asked is not None
            and zcl.command_name == "publish_change_of_tenancy"
            and (zcl.cluster_id, zcl.tsn) in self._pending
            and self.meter_of(frame) is None
        ):
            frame = dataclasses.replace(frame, src_nwk=asked.nwk, src_ep=asked.endpoint)  # as if the meter sent it
        super().on_zcl(frame, zcl)


class _MarksUnsecuredPushes(DeviceSecurity):
    """An unsecured Device Management push is let up to the application, marked as such."""

    def accepts_unsecured(self, frame: AirFrame) -> bool:
        if frame.cluster_id != ids.DEVICE_MANAGEMENT:
            return False
        cast(ConfirmsUnsecuredCotOnNextAnswer, self.node).unsecured = frame
        return True


class ConfirmsUnsecuredCotOnNextAnswer(ReferenceIHD):
    """Takes an unsecured Publish CoT as a hint to be confirmed by the meter, and takes the
    meter's next Device Management answer, whatever it says (NOT_FOUND included), for the
    confirmation: the hinted event is actioned then, not on receipt."""

    security_class = _MarksUnsecuredPushes
    unsecured: AirFrame | None = None

    def __init__(self, world) -> None:  # noqa: ANN001
        super().__init__(world)
        self.hinted: dict[tuple[int, int], int] = {}  # (nwk, endpoint) -> Issuer Event ID

    def on_zcl(self, frame: AirFrame, zcl: ZclFrame) -> None:
        meter = self.cot_source(frame)
        if frame is self.unsecured:
            if meter is not None and zcl.command_name == "publish_change_of_tenancy":
                self.hinted[(meter.nwk, meter.endpoint)] = int(zcl.fields["issuer_event_id"])
            return
        hint = self.hinted.pop((meter.nwk, meter.endpoint), None) if meter is not None else None
        if hint is not None and zcl.cluster_id == ids.DEVICE_MANAGEMENT and meter is not None:
            self.consider_cot(hint, 0, meter)
        elif hint is not None and meter is not None:
            self.hinted[(meter.nwk, meter.endpoint)] = hint
        super().on_zcl(frame, zcl)


class _GraceAfterPowerOn(DeviceSecurity):
    """For a minute after a power-on (the key being 'restored' from flash) unsecured frames
    are taken."""

    grace_until = -1.0

    def accepts_unsecured(self, frame: AirFrame) -> bool:
        return self.node.world.clock.now() < self.grace_until


class AcceptsUnsecuredAfterPowerOn(ReferenceIHD):
    """Takes unsecured Smart Energy frames for 60 s after each power-on (not after a join or a
    rejoin): an answer to its start-up CoT query then is taken unsecured."""

    security_class = _GraceAfterPowerOn

    def on_joined(self, reason: str) -> None:
        if isinstance(self.security, _GraceAfterPowerOn) and reason == "power_on":
            self.security.grace_until = self.world.clock.now() + 60.0
        super().on_joined(reason)


class _LaxRetryClient(KeyEstablishmentClient):
    def issuer_acceptable(self, theirs: Certificate) -> bool:
        return True


class _IssuerCheckedOnce(DeviceSecurity):
    def make_client(self) -> KeyEstablishmentClient:
        if self.tries > 1:  # a retry of this join's exchange: the certificate 'was checked'
            return _LaxRetryClient(self.identity, self.trust_centre_ieee)
        return super().make_client()


class SkipsIssuerCheckOnRetry(ReferenceIHD):
    """Checks the trust centre certificate's issuer on the first attempt of an exchange only:
    it terminates that one with UNKNOWN_ISSUER, then on its retry goes on to Ephemeral Data."""

    security_class = _IssuerCheckedOnce


class _UnsecuredToEveryEndpoint(DeviceSecurity):
    """APS security is checked in the dispatch to its own endpoint: a frame to endpoint 0xFF
    (every endpoint) goes round it."""

    def accepts_unsecured(self, frame: AirFrame) -> bool:
        return frame.dst_ep == 0xFF


class AcceptsUnsecuredToEveryEndpoint(ReferenceIHD):
    """Takes an unsecured Smart Energy frame addressed to endpoint 0xFF."""

    security_class = _UnsecuredToEveryEndpoint


ROWS = (
    *ROWS,
    _v(AcceptsUnsecuredToEveryEndpoint, IHD_CBKE, "SEC-03"),
    _v(AcceptsUnsecuredAnswers, IHD_CBKE, "SEC-03"),
    _v(GasAnswersUnsecured, DUAL_CBKE, "SEC-03"),
    _v(AcceptsUnsecuredMessageAnswerPpmid, PPMID_CBKE, "SEC-03"),
    _v(FallsBackToWellKnownKey, IHD_CBKE, "SEC-04"),
    _v(InstallKeyOpensAnswers, IHD_CBKE, "SEC-04"),
    _v(TrustsAnswerByTsn, IHD_CBKE, "SEC-07"),
    _v(ConfirmsUnsecuredCotOnNextAnswer, IHD_CBKE, "SEC-03"),
    _v(AcceptsUnsecuredAfterPowerOn, IHD_CBKE, "SEC-03"),
    _v(SkipsIssuerCheckOnRetry, IHD_CBKE, "SEC-05"),
)
