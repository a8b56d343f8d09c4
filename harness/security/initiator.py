"""A joining device's side of CBKE (the initiator, U): what a GB IHD or PPMID does after its
install-code join, as rules over decoded commands, like the responder.

`start` gives the Initiate Key Establishment Request; each answer from the trust centre
gives the next request, a Terminate, or None; `outcome` says how it ended: the link key,
or the Terminate status and the reason. The checks a conforming device makes (the
responder's certificate is from our CA and names the trust centre; MACV matches) are
methods, so a simulated fault variant overrides exactly the check it skips.
"""

from __future__ import annotations

import enum
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.security import cbke
from harness.security.certificates import Certificate, parse_certificate
from harness.security.curves import curve_for_suite
from harness.security.errors import CbkeError
from harness.security.responder import EphemeralSource, Reply
from harness.zcl.key_establishment import KeyEstablishmentSuite, TerminateStatus


class Step(enum.Enum):
    AWAIT_INITIATE_RESPONSE = "waiting for Initiate Key Establishment Response"
    AWAIT_EPHEMERAL_RESPONSE = "waiting for Ephemeral Data Response"
    AWAIT_CONFIRM_RESPONSE = "waiting for Confirm Key Data Response"


@dataclass(frozen=True, repr=False)
class Established:
    link_key: bytes
    trust_centre_ieee: bytes
    at: float

    def __repr__(self) -> str:
        return f"Established({self.trust_centre_ieee.hex()}, at {self.at}, <key redacted>)"


@dataclass(frozen=True)
class Failed:
    status: TerminateStatus
    why: str
    by_peer: bool  # the trust centre terminated (else this side did)
    wait_time: int  # seconds before trying again
    at: float


@dataclass
class KeyEstablishmentClient:
    identity: cbke.Identity
    trust_centre_ieee: bytes  # big-endian; the responder's certificate must name it
    ephemeral_data_generate_time: int = 2
    confirm_key_generate_time: int = 2
    response_timeout: float = 10.0  # for the Initiate Response, whose time nobody announced
    slack: float = 5.0
    ephemeral: EphemeralSource = cbke.generate_ephemeral_key
    outcome: Established | Failed | None = None
    deadline: float | None = None
    step: Step | None = None
    _peer_certificate: bytes = b""
    _agreement: cbke.Agreement | None = None
    _confirm_time: int = 0
    _qe_u: bytes = field(default=b"", repr=False)
    _d_eu: bytes = field(default=b"", repr=False)

    @property
    def suite(self) -> int:
        return self.identity.suite

    def start(self, now: float) -> Reply:
        self.outcome = None
        self.step = Step.AWAIT_INITIATE_RESPONSE
        self.deadline = now + self.response_timeout
        return Reply(
            "initiate_key_establishment_request",
            {
                "key_establishment_suite": KeyEstablishmentSuite(1 << (self.suite - 1)),
                "ephemeral_data_generate_time": self.ephemeral_data_generate_time,
                "confirm_key_generate_time": self.confirm_key_generate_time,
                "identity": self.identity.certificate,
            },
        )

    def expire(self, now: float) -> None:
        if self.step is not None and self.deadline is not None and now > self.deadline:
            self._fail(TerminateStatus.NO_RESOURCES, f"timed out {self.step.value}", False, 0, now)

    def receive(self, command: str, fields: Mapping[str, Any], now: float) -> Reply | None:
        self.expire(now)
        if command == "terminate_key_establishment":
            if self.step is not None:
                status = TerminateStatus(int(fields["status_code"]))
                self._fail(status, "terminated by the trust centre", True, int(fields["wait_time"]), now)
            return None
        expected = {
            "initiate_key_establishment_response": Step.AWAIT_INITIATE_RESPONSE,
            "ephemeral_data_response": Step.AWAIT_EPHEMERAL_RESPONSE,
            "confirm_key_data_response": Step.AWAIT_CONFIRM_RESPONSE,
        }.get(command)
        if expected is None:
            return None
        if self.step is not expected:
            return self._terminate(TerminateStatus.BAD_MESSAGE, f"{command} out of order", now)
        if expected is Step.AWAIT_INITIATE_RESPONSE:
            return self._on_initiate_response(fields, now)
        if expected is Step.AWAIT_EPHEMERAL_RESPONSE:
            return self._on_ephemeral_response(fields, now)
        return self._on_confirm_response(fields, now)

    # -- the checks a conforming device makes (variants override one) ----------------
    def issuer_acceptable(self, theirs: Certificate) -> bool:
        return theirs.issuer == parse_certificate(self.identity.certificate).issuer

    def macv_acceptable(self, received: bytes, expected: bytes) -> bool:
        return hmac.compare_digest(received, expected)

    def subject_acceptable(self, theirs: Certificate) -> bool:
        """The certificate names the trust centre (else any device its CA certified could play it)."""
        return theirs.subject == self.trust_centre_ieee

    # -- steps -----------------------------------------------------------------------
    def _on_initiate_response(self, fields: Mapping[str, Any], now: float) -> Reply:
        if int(fields["key_establishment_suite"]) != 1 << (self.suite - 1):
            return self._terminate(TerminateStatus.UNSUPPORTED_SUITE, "the trust centre answered another suite", now)
        certificate = bytes(fields["identity"])
        try:
            theirs = parse_certificate(certificate, "trust centre certificate")
            if theirs.suite != self.suite:
                raise CbkeError(f"a suite {theirs.suite} certificate in a suite {self.suite} exchange")
            if not self.issuer_acceptable(theirs):
                return self._terminate(TerminateStatus.UNKNOWN_ISSUER, f"issuer {theirs.issuer.hex()}", now)
            if not self.subject_acceptable(theirs):
                raise CbkeError(f"certificate subject {theirs.subject.hex()} is not the trust centre")
            cbke.public_key_from_certificate(certificate, self.identity.ca_public_key)
        except CbkeError as error:
            return self._terminate(TerminateStatus.BAD_MESSAGE, str(error), now)
        self._peer_certificate = certificate
        self._confirm_time = int(fields["confirm_key_generate_time"])
        self._d_eu, self._qe_u = self.ephemeral(self.suite)
        self.step = Step.AWAIT_EPHEMERAL_RESPONSE
        self.deadline = now + int(fields["ephemeral_data_generate_time"]) + self.slack
        return Reply("ephemeral_data_request", {"ephemeral_data": self._qe_u})

    def _on_ephemeral_response(self, fields: Mapping[str, Any], now: float) -> Reply:
        qe_v = bytes(fields["ephemeral_data"])
        try:
            curve_for_suite(self.suite).decompress(qe_v, "trust centre ephemeral data")
            self._agreement = cbke.agree(
                self.identity,
                role="initiator",
                own_ephemeral_private=self._d_eu,
                peer_certificate=self._peer_certificate,
                peer_ephemeral_public=qe_v,
            )
        except CbkeError as error:
            return self._terminate(TerminateStatus.BAD_MESSAGE, str(error), now)
        self.step = Step.AWAIT_CONFIRM_RESPONSE
        self.deadline = now + self._confirm_time + self.slack
        return Reply("confirm_key_data_request", {"secure_message_authentication_code": self._agreement.mac_u})

    def _on_confirm_response(self, fields: Mapping[str, Any], now: float) -> Reply | None:
        agreement = self._agreement
        assert agreement is not None  # set on entering AWAIT_CONFIRM_RESPONSE
        if not self.macv_acceptable(bytes(fields["secure_message_authentication_code"]), agreement.mac_v):
            return self._terminate(TerminateStatus.BAD_KEY_CONFIRM, "MACV differs", now)
        self.step = None
        self.deadline = None
        self.outcome = Established(agreement.link_key, self.trust_centre_ieee, now)
        return None

    def _terminate(self, status: TerminateStatus, why: str, now: float) -> Reply:
        self._fail(status, why, False, 0, now)
        return Reply(
            "terminate_key_establishment",
            {
                "status_code": status,
                "wait_time": 0,
                "key_establishment_suite": KeyEstablishmentSuite(1 << (self.suite - 1)),
            },
        )

    def _fail(self, status: TerminateStatus, why: str, by_peer: bool, wait_time: int, now: float) -> None:
        self.step = None
        self.deadline = None
        self._agreement = None
        self.outcome = Failed(status, why, by_peer, wait_time, now)
