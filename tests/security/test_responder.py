"""The trust centre's Key Establishment server driven through whole exchanges: the Annex C
initiators reach the published link key and MACV; every way an exchange can go wrong ends
with the Terminate status the cluster defines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.security import cbke
from harness.security.responder import EstablishedKey, KeTimings, KeyEstablishmentServer, Reply
from harness.zcl.key_establishment import KeyEstablishmentSuite, TerminateStatus

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "cbke.json").read_text())
CA = {int(s): bytes.fromhex(k) for s, k in VECTORS["ca_public_keys"].items()}
BY_SUITE = {x["suite"]: x for x in VECTORS["exchanges"]}


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def server(*suites: int, established: list[EstablishedKey] | None = None) -> KeyEstablishmentServer:
    identities = {
        s: cbke.Identity(certificate=h(BY_SUITE[s]["cert_v"]), private_key=h(BY_SUITE[s]["d_v"]), ca_public_key=CA[s])
        for s in suites
    }
    # The responder's published ephemeral key, so the exchange is Annex C's to the octet.
    ephemeral = {s: (h(BY_SUITE[s]["d_ev"]), h(BY_SUITE[s]["q_ev"])) for s in suites}
    return KeyEstablishmentServer(
        identities=identities,
        timings=KeTimings(ephemeral_data_generate_time=4, confirm_key_generate_time=6, terminate_wait_time=9, slack=2),
        ephemeral=ephemeral.__getitem__,
        on_established=established.append if established is not None else None,
    )


def initiate(x: dict[str, Any], *, suite_bits: int | None = None, certificate: bytes | None = None) -> dict[str, Any]:
    return {
        "key_establishment_suite": KeyEstablishmentSuite(
            suite_bits if suite_bits is not None else 1 << (x["suite"] - 1)
        ),
        "ephemeral_data_generate_time": 3,
        "confirm_key_generate_time": 5,
        "identity": certificate if certificate is not None else h(x["cert_u"]),
    }


def terminated(reply: Reply | None, status: TerminateStatus) -> None:
    assert reply is not None and reply.command == "terminate_key_establishment", reply
    assert reply.fields["status_code"] == status
    assert reply.fields["wait_time"] == 9


@pytest.mark.parametrize("suite", [1, 2])
def test_a_whole_exchange_reaches_the_annex_c_link_key(suite: int) -> None:
    x = BY_SUITE[suite]
    done: list[EstablishedKey] = []
    ke = server(1, 2, established=done)
    assert ke.supported_suites == 0x0003
    peer = h(x["ieee_u"])
    reply = ke.receive(peer, "initiate_key_establishment_request", initiate(x), now=100.0)
    assert reply is not None and reply.command == "initiate_key_establishment_response"
    assert reply.fields["identity"] == h(x["cert_v"])
    assert reply.fields["key_establishment_suite"] == 1 << (suite - 1)
    assert (reply.fields["ephemeral_data_generate_time"], reply.fields["confirm_key_generate_time"]) == (4, 6)
    reply = ke.receive(peer, "ephemeral_data_request", {"ephemeral_data": h(x["q_eu"])}, now=102.0)
    assert reply == Reply("ephemeral_data_response", {"ephemeral_data": h(x["q_ev"])})
    reply = ke.receive(
        peer, "confirm_key_data_request", {"secure_message_authentication_code": h(x["mac_u"])}, now=104.0
    )
    assert reply == Reply("confirm_key_data_response", {"secure_message_authentication_code": h(x["mac_v"])})
    assert len(done) == 1 and done[0].link_key.hex() == x["key_data"] and done[0].peer_ieee == peer
    assert x["key_data"] not in repr(done[0])
    assert ke.busy_with is None
    assert not any(x["key_data"] in e.what or x["d_v"] in e.what for e in ke.events)


def test_wrong_macu_is_bad_key_confirm_and_no_key() -> None:
    x = BY_SUITE[1]
    done: list[EstablishedKey] = []
    ke = server(1, established=done)
    peer = h(x["ieee_u"])
    ke.receive(peer, "initiate_key_establishment_request", initiate(x), now=0)
    ke.receive(peer, "ephemeral_data_request", {"ephemeral_data": h(x["q_eu"])}, now=1)
    bad = bytearray(h(x["mac_u"]))
    bad[0] ^= 1
    terminated(
        ke.receive(peer, "confirm_key_data_request", {"secure_message_authentication_code": bytes(bad)}, now=2),
        TerminateStatus.BAD_KEY_CONFIRM,
    )
    assert done == [] and ke.busy_with is None


def test_certificate_from_another_ca_is_unknown_issuer() -> None:
    x = BY_SUITE[2]
    other = bytearray(h(x["cert_u"]))
    other[11:19] = bytes(8)
    terminated(
        server(2).receive(
            h(x["ieee_u"]), "initiate_key_establishment_request", initiate(x, certificate=bytes(other)), now=0
        ),
        TerminateStatus.UNKNOWN_ISSUER,
    )


@pytest.mark.parametrize("bits", [0x0000, 0x0004, 0x0003, 0x0002])
def test_unsupported_suite(bits: int) -> None:
    """Only suite 1 served: suite 2, both bits, none or an undefined one are refused, and the
    Terminate names the suites the server does support."""
    x = BY_SUITE[1]
    reply = server(1).receive(h(x["ieee_u"]), "initiate_key_establishment_request", initiate(x, suite_bits=bits), now=0)
    terminated(reply, TerminateStatus.UNSUPPORTED_SUITE)
    assert reply is not None and reply.fields["key_establishment_suite"] == 0x0001


@pytest.mark.parametrize(
    "certificate",
    [b"", bytes(47), h(BY_SUITE[2]["cert_u"])],
    ids=["empty", "short", "suite2-cert-in-suite1"],
)
def test_malformed_certificate_is_bad_message(certificate: bytes) -> None:
    x = BY_SUITE[1]
    terminated(
        server(1, 2).receive(
            h(x["ieee_u"]), "initiate_key_establishment_request", initiate(x, certificate=certificate), now=0
        ),
        TerminateStatus.BAD_MESSAGE,
    )


def test_certificate_of_another_device_is_bad_message() -> None:
    x = BY_SUITE[1]
    terminated(
        server(1).receive(h("00124b0000000099"), "initiate_key_establishment_request", initiate(x), now=0),
        TerminateStatus.BAD_MESSAGE,
    )


def test_steps_out_of_order_are_bad_message() -> None:
    x = BY_SUITE[1]
    peer = h(x["ieee_u"])
    ke = server(1)
    terminated(
        ke.receive(peer, "ephemeral_data_request", {"ephemeral_data": h(x["q_eu"])}, now=0), TerminateStatus.BAD_MESSAGE
    )
    ke.receive(peer, "initiate_key_establishment_request", initiate(x), now=1)
    terminated(
        ke.receive(peer, "confirm_key_data_request", {"secure_message_authentication_code": h(x["mac_u"])}, now=2),
        TerminateStatus.BAD_MESSAGE,
    )
    assert ke.busy_with is None  # the protocol error ended the exchange


def test_invalid_ephemeral_point_is_bad_message() -> None:
    x = BY_SUITE[1]
    peer = h(x["ieee_u"])
    ke = server(1)
    ke.receive(peer, "initiate_key_establishment_request", initiate(x), now=0)
    terminated(
        ke.receive(peer, "ephemeral_data_request", {"ephemeral_data": b"\x04" + bytes(21)}, now=1),
        TerminateStatus.BAD_MESSAGE,
    )


def test_a_second_initiator_meanwhile_gets_no_resources() -> None:
    x = BY_SUITE[1]
    ke = server(1)
    ke.receive(h(x["ieee_u"]), "initiate_key_establishment_request", initiate(x), now=0)
    terminated(
        ke.receive(h(x["ieee_v"]), "initiate_key_establishment_request", initiate(x), now=1),
        TerminateStatus.NO_RESOURCES,
    )
    assert ke.busy_with == h(x["ieee_u"])


def test_a_step_later_than_announced_finds_the_exchange_gone() -> None:
    """The initiator announced 3 s for its ephemeral data; with 2 s slack, 5.5 s later is too late."""
    x = BY_SUITE[1]
    peer = h(x["ieee_u"])
    ke = server(1)
    ke.receive(peer, "initiate_key_establishment_request", initiate(x), now=10.0)
    ke.expire(14.9)
    assert ke.busy_with == peer
    terminated(
        ke.receive(peer, "ephemeral_data_request", {"ephemeral_data": h(x["q_eu"])}, now=15.5),
        TerminateStatus.BAD_MESSAGE,
    )
    assert any("timed out" in e.what for e in ke.events)
    # and a second initiator is no longer refused once it timed out
    ke.receive(peer, "initiate_key_establishment_request", initiate(x), now=20.0)
    ke.expire(26.0)
    assert ke.busy_with is None


def test_the_initiator_terminating_frees_the_server() -> None:
    x = BY_SUITE[1]
    peer = h(x["ieee_u"])
    ke = server(1)
    ke.receive(peer, "initiate_key_establishment_request", initiate(x), now=0)
    assert (
        ke.receive(
            peer,
            "terminate_key_establishment",
            {"status_code": TerminateStatus.BAD_KEY_CONFIRM, "wait_time": 1, "key_establishment_suite": 1},
            now=1,
        )
        is None
    )
    assert ke.busy_with is None
