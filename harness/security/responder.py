"""The trust centre's Key Establishment server (cluster 0x0800), as the responder of CBKE.

A joining GB device (the initiator, U) sends Initiate Key Establishment with its
certificate; the server (V) answers with its own, then exchanges ephemeral points and
key-confirmation MACs, and at the end both hold the same APS link key. This module is
the exchange's state and rules only: it takes decoded commands with the time they
arrived and returns the answer to send (or None), so the harness's Smart Energy endpoint,
the simulation and the tests drive it alike. The arithmetic is
harness.security.cbke.

One exchange at a time (a second initiator meanwhile gets NO_RESOURCES, as a trust
centre with one key-establishment context answers). Each step must arrive within the
time the initiator announced for producing it plus `slack`; after that the exchange is
forgotten and a late message is a BAD_MESSAGE.
"""

from __future__ import annotations

import enum
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.security import cbke
from harness.security.certificates import parse_certificate
from harness.security.curves import curve_for_suite
from harness.security.errors import CbkeError
from harness.zcl.key_establishment import SUITE_OF_BIT, KeyEstablishmentSuite, TerminateStatus

EphemeralSource = Callable[[int], tuple[bytes, bytes]]  # suite -> (private, compressed public)


@dataclass(frozen=True)
class KeTimings:
    """What the server announces and how long it waits (seconds)."""

    ephemeral_data_generate_time: int = 10
    confirm_key_generate_time: int = 10
    terminate_wait_time: int = 10  # told to the initiator in a Terminate: when to try again
    slack: float = 5.0  # added to the initiator's announced times (air and retries)


class Phase(enum.Enum):
    AWAIT_EPHEMERAL = "waiting for the initiator's Ephemeral Data Request"
    AWAIT_CONFIRM = "waiting for the initiator's Confirm Key Data Request"


@dataclass(frozen=True)
class Reply:
    command: str  # a ClientCommandDefs name of harness.zcl.key_establishment
    fields: dict[str, Any]


@dataclass(frozen=True, repr=False)
class EstablishedKey:
    peer_ieee: bytes  # big-endian, as the certificate carries it
    suite: int
    link_key: bytes
    at: float

    def __repr__(self) -> str:
        return f"EstablishedKey({self.peer_ieee.hex()}, suite {self.suite}, at {self.at}, <key redacted>)"


@dataclass(frozen=True)
class KeEvent:
    """One step of an exchange, for the evidence (never a key)."""

    at: float
    peer_ieee: bytes
    what: str


@dataclass
class _Exchange:
    peer_ieee: bytes
    suite: int
    peer_certificate: bytes
    confirm_key_generate_time: int
    phase: Phase
    deadline: float
    agreement: cbke.Agreement | None = None


@dataclass
class KeyEstablishmentServer:
    identities: Mapping[int, cbke.Identity]  # suite -> the trust centre's own material
    timings: KeTimings = field(default_factory=KeTimings)
    ephemeral: EphemeralSource = cbke.generate_ephemeral_key
    on_established: Callable[[EstablishedKey], None] | None = None
    events: list[KeEvent] = field(default_factory=list)
    # True only for the bench's foreign trust centre (SEC-05): it presents another CA's
    # certificate and so must take the initiator's from its own CA.
    any_issuer: bool = False
    _exchange: _Exchange | None = None

    def __post_init__(self) -> None:
        for suite, identity in self.identities.items():
            if identity.suite != suite:
                raise CbkeError(f"trust centre identity for suite {suite} holds a suite {identity.suite} certificate")

    @property
    def supported_suites(self) -> KeyEstablishmentSuite:
        """Attribute 0x0000."""
        return KeyEstablishmentSuite(sum(1 << (suite - 1) for suite in self.identities))

    @property
    def busy_with(self) -> bytes | None:
        return self._exchange.peer_ieee if self._exchange else None

    # -- the exchange ----------------------------------------------------------------
    def receive(self, peer_ieee: bytes, command: str, fields: Mapping[str, Any], now: float) -> Reply | None:
        """The answer to one command from `peer_ieee` (big-endian EUI-64) arriving at `now`."""
        self.expire(now)
        handler = {
            "initiate_key_establishment_request": self._initiate,
            "ephemeral_data_request": self._ephemeral_data,
            "confirm_key_data_request": self._confirm_key,
            "terminate_key_establishment": self._terminated,
        }.get(command)
        if handler is None:
            return None
        return handler(peer_ieee, fields, now)

    def expire(self, now: float) -> None:
        exchange = self._exchange
        if exchange is not None and now > exchange.deadline:
            self._note(now, exchange.peer_ieee, f"timed out {exchange.phase.value}")
            self._exchange = None

    def _initiate(self, peer: bytes, fields: Mapping[str, Any], now: float) -> Reply:
        if self._exchange is not None and self._exchange.peer_ieee != peer:
            return self._terminate(
                now, peer, TerminateStatus.NO_RESOURCES, self.supported_suites, "another exchange in progress"
            )
        self._exchange = None  # the same initiator starting again begins afresh
        bits = int(fields["key_establishment_suite"])
        suite = SUITE_OF_BIT.get(bits)
        if suite is None or int(suite) not in self.identities:
            return self._terminate(
                now, peer, TerminateStatus.UNSUPPORTED_SUITE, self.supported_suites, f"suite bitmap 0x{bits:04x}"
            )
        own = self.identities[int(suite)]
        certificate = bytes(fields["identity"])
        try:
            theirs = parse_certificate(certificate, "initiator certificate")
            if theirs.suite != int(suite):
                raise CbkeError(f"a {len(certificate)}-octet certificate for suite {int(suite)}")
            if not self.any_issuer and theirs.issuer != parse_certificate(own.certificate).issuer:
                return self._terminate(now, peer, TerminateStatus.UNKNOWN_ISSUER, bits, f"issuer {theirs.issuer.hex()}")
            if theirs.subject != peer:
                # The certificate must be the sender's own: its subject is the initiator's IEEE address.
                raise CbkeError(f"certificate subject {theirs.subject.hex()} is not the sender {peer.hex()}")
            cbke.public_key_from_certificate(certificate, own.ca_public_key)
        except CbkeError as error:
            return self._terminate(now, peer, TerminateStatus.BAD_MESSAGE, bits, str(error))
        self._exchange = _Exchange(
            peer_ieee=peer,
            suite=int(suite),
            peer_certificate=certificate,
            confirm_key_generate_time=int(fields["confirm_key_generate_time"]),
            phase=Phase.AWAIT_EPHEMERAL,
            deadline=now + int(fields["ephemeral_data_generate_time"]) + self.timings.slack,
        )
        self._note(now, peer, f"initiate accepted, suite {int(suite)}")
        return Reply(
            "initiate_key_establishment_response",
            {
                "key_establishment_suite": KeyEstablishmentSuite(bits),
                "ephemeral_data_generate_time": self.timings.ephemeral_data_generate_time,
                "confirm_key_generate_time": self.timings.confirm_key_generate_time,
                "identity": own.certificate,
            },
        )

    def _ephemeral_data(self, peer: bytes, fields: Mapping[str, Any], now: float) -> Reply:
        exchange = self._in_phase(peer, Phase.AWAIT_EPHEMERAL)
        if exchange is None:
            return self._out_of_order(now, peer, "Ephemeral Data Request")
        qe_u = bytes(fields["ephemeral_data"])
        own = self.identities[exchange.suite]
        d_ev, qe_v = self.ephemeral(exchange.suite)
        try:
            curve_for_suite(exchange.suite).decompress(qe_u, "initiator ephemeral data")
            exchange.agreement = cbke.agree(
                own,
                role="responder",
                own_ephemeral_private=d_ev,
                peer_certificate=exchange.peer_certificate,
                peer_ephemeral_public=qe_u,
                check_issuer=not self.any_issuer,
            )
        except CbkeError as error:
            self._exchange = None
            return self._terminate(now, peer, TerminateStatus.BAD_MESSAGE, 1 << (exchange.suite - 1), str(error))
        exchange.phase = Phase.AWAIT_CONFIRM
        exchange.deadline = now + exchange.confirm_key_generate_time + self.timings.slack
        self._note(now, peer, "ephemeral data exchanged")
        return Reply("ephemeral_data_response", {"ephemeral_data": qe_v})

    def _confirm_key(self, peer: bytes, fields: Mapping[str, Any], now: float) -> Reply:
        exchange = self._in_phase(peer, Phase.AWAIT_CONFIRM)
        if exchange is None or exchange.agreement is None:
            return self._out_of_order(now, peer, "Confirm Key Data Request")
        self._exchange = None
        agreement = exchange.agreement
        mac_u = bytes(fields["secure_message_authentication_code"])
        if not hmac.compare_digest(mac_u, agreement.mac_u):
            return self._terminate(
                now, peer, TerminateStatus.BAD_KEY_CONFIRM, 1 << (exchange.suite - 1), "MACU differs"
            )
        self._note(now, peer, "key confirmed: link key established")
        if self.on_established is not None:
            self.on_established(EstablishedKey(peer, exchange.suite, agreement.link_key, now))
        return Reply("confirm_key_data_response", {"secure_message_authentication_code": agreement.mac_v})

    def _terminated(self, peer: bytes, fields: Mapping[str, Any], now: float) -> None:
        if self._exchange is not None and self._exchange.peer_ieee == peer:
            self._exchange = None
        self._note(now, peer, f"initiator terminated: {TerminateStatus(int(fields['status_code'])).name}")
        return None

    # -- helpers -----------------------------------------------------------------------
    def _in_phase(self, peer: bytes, phase: Phase) -> _Exchange | None:
        exchange = self._exchange
        if exchange is None or exchange.peer_ieee != peer or exchange.phase is not phase:
            return None
        return exchange

    def _out_of_order(self, now: float, peer: bytes, what: str) -> Reply:
        exchange = self._exchange
        if exchange is not None and exchange.peer_ieee == peer:
            self._exchange = None  # a protocol error ends this initiator's exchange
        suite_bits = 1 << (exchange.suite - 1) if exchange else int(self.supported_suites)
        return self._terminate(now, peer, TerminateStatus.BAD_MESSAGE, suite_bits, f"{what} out of order")

    def _terminate(self, now: float, peer: bytes, status: TerminateStatus, suite_bits: int, why: str) -> Reply:
        self._note(now, peer, f"terminate {status.name}: {why}")
        return Reply(
            "terminate_key_establishment",
            {
                "status_code": status,
                "wait_time": self.timings.terminate_wait_time,
                "key_establishment_suite": KeyEstablishmentSuite(suite_bits),
            },
        )

    def _note(self, now: float, peer: bytes, what: str) -> None:
        self.events.append(KeEvent(now, peer, what))
