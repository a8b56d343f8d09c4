"""A joining device's side of CBKE against the trust centre's: whole exchanges with fresh
ephemeral keys agree on one link key; the device refuses a trust centre from another CA,
one naming another device, and a wrong MACV."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from harness.security import cbke
from harness.security.initiator import Established, Failed, KeyEstablishmentClient
from harness.security.responder import EstablishedKey, KeyEstablishmentServer, Reply
from harness.zcl.key_establishment import TerminateStatus

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "cbke.json").read_text())
CA = {int(s): bytes.fromhex(k) for s, k in VECTORS["ca_public_keys"].items()}
BY_SUITE = {x["suite"]: x for x in VECTORS["exchanges"]}


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def identity(suite: int, side: str, certificate: bytes | None = None) -> cbke.Identity:
    x = BY_SUITE[suite]
    return cbke.Identity(
        certificate=certificate or h(x[f"cert_{side}"]), private_key=h(x[f"d_{side}"]), ca_public_key=CA[suite]
    )


def run(client: KeyEstablishmentClient, server: KeyEstablishmentServer, device_ieee: bytes) -> list[Reply]:
    """Pass messages between the two until neither has anything to say; the frames sent."""
    sent: list[Reply] = []
    message: Reply | None = client.start(now=0.0)
    now = 0.0
    while message is not None:
        sent.append(message)
        now += 0.5
        answer = server.receive(device_ieee, message.command, message.fields, now)
        if answer is None:
            break
        sent.append(answer)
        now += 0.5
        message = client.receive(answer.command, answer.fields, now)
    return sent


@pytest.mark.parametrize("suite", [1, 2])
def test_fresh_keys_agree_on_one_link_key(suite: int) -> None:
    x = BY_SUITE[suite]
    keys: list[EstablishedKey] = []
    server = KeyEstablishmentServer({suite: identity(suite, "v")}, on_established=keys.append)
    client = KeyEstablishmentClient(identity(suite, "u"), trust_centre_ieee=h(x["ieee_v"]))
    sent = run(client, server, h(x["ieee_u"]))
    assert [m.command for m in sent] == [
        "initiate_key_establishment_request",
        "initiate_key_establishment_response",
        "ephemeral_data_request",
        "ephemeral_data_response",
        "confirm_key_data_request",
        "confirm_key_data_response",
    ]
    assert isinstance(client.outcome, Established)
    assert len(keys) == 1 and keys[0].link_key == client.outcome.link_key
    assert client.outcome.link_key.hex() != x["key_data"]  # fresh ephemeral keys, a fresh link key


def test_trust_centre_from_another_ca_refused() -> None:
    x = BY_SUITE[1]
    # The device trusts only a CA whose issuer is not the trust centre's
    own = bytearray(h(x["cert_u"]))
    own[30:38] = b"OTHERCA!"
    device = replace(identity(1, "u"), certificate=bytes(own))
    client = KeyEstablishmentClient(device, trust_centre_ieee=h(x["ieee_v"]))
    client.start(0)
    server = KeyEstablishmentServer({1: identity(1, "v")})
    # the server would refuse this device too; feed the client the server's honest answer
    answer = server.identities[1].certificate
    reply = client.receive(
        "initiate_key_establishment_response",
        {
            "key_establishment_suite": 1,
            "ephemeral_data_generate_time": 1,
            "confirm_key_generate_time": 1,
            "identity": answer,
        },
        1,
    )
    assert reply is not None and reply.fields["status_code"] == TerminateStatus.UNKNOWN_ISSUER
    assert isinstance(client.outcome, Failed) and not client.outcome.by_peer


def test_certificate_not_naming_the_trust_centre_refused() -> None:
    x = BY_SUITE[1]
    client = KeyEstablishmentClient(identity(1, "u"), trust_centre_ieee=h("00124b0000000001"))
    server = KeyEstablishmentServer({1: identity(1, "v")})
    run(client, server, h(x["ieee_u"]))
    assert isinstance(client.outcome, Failed) and client.outcome.status == TerminateStatus.BAD_MESSAGE


class _IgnoresMacv(KeyEstablishmentClient):
    def macv_acceptable(self, received: bytes, expected: bytes) -> bool:
        return True


@pytest.mark.parametrize(("cls", "established"), [(KeyEstablishmentClient, False), (_IgnoresMacv, True)])
def test_wrong_macv(cls: type[KeyEstablishmentClient], established: bool) -> None:
    x = BY_SUITE[2]
    client = cls(identity(2, "u"), trust_centre_ieee=h(x["ieee_v"]))
    server = KeyEstablishmentServer({2: identity(2, "v")})
    message = client.start(0)
    for _ in range(2):
        answer = server.receive(h(x["ieee_u"]), message.command, message.fields, 1)
        assert answer is not None
        message = client.receive(answer.command, answer.fields, 1)  # type: ignore[assignment]
        assert message is not None
    answer = server.receive(h(x["ieee_u"]), message.command, message.fields, 1)
    assert answer is not None and answer.command == "confirm_key_data_response"
    wrong = bytes(16)
    reply = client.receive(answer.command, {"secure_message_authentication_code": wrong}, 2)
    assert isinstance(client.outcome, Established) is established
    if not established:
        assert reply is not None and reply.fields["status_code"] == TerminateStatus.BAD_KEY_CONFIRM


def test_a_terminate_from_the_trust_centre_ends_it_with_the_wait_time() -> None:
    x = BY_SUITE[1]
    client = KeyEstablishmentClient(identity(1, "u"), trust_centre_ieee=h(x["ieee_v"]))
    server = KeyEstablishmentServer({2: identity(2, "v")})  # serves suite 2 only
    run(client, server, h(x["ieee_u"]))
    assert isinstance(client.outcome, Failed)
    assert client.outcome.by_peer and client.outcome.status == TerminateStatus.UNSUPPORTED_SUITE
    assert client.outcome.wait_time == server.timings.terminate_wait_time


def test_no_answer_times_out() -> None:
    client = KeyEstablishmentClient(identity(1, "u"), trust_centre_ieee=h(BY_SUITE[1]["ieee_v"]), response_timeout=3)
    client.start(0)
    client.expire(2.9)
    assert client.outcome is None
    client.expire(3.1)
    assert isinstance(client.outcome, Failed) and "timed out" in client.outcome.why
