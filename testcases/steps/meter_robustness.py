"""ROB-01 and ROB-02 for a meter under test (ESME or GPF; the harness plays the IHD).

For a DM server the catalogue's "the UUT stays responsive and clears nothing" means: after
malformed client-to-server frames it still answers a well-formed Get Change of Tenancy within
timings.response_timeout, what it publishes of its CoT (the Publish CoT's fields, attributes
0x0200/0x0201) is what it published before them, and so is what it serves of the occupier's data
on the fuzzed clusters (its top-up and debt logs, record for record, its last message, Prepayment's
Payment Control Configuration). Neither case takes the shared CoT trigger
(testcases/meter_cot.py): each compares the meter with itself just before its stimulus, so it
judges the same whether pytest runs it before the trigger (a whole run: test_07 sorts before
test_07b) or after it, or alone (`-k ROB`); and it leaves the meter as it found it, so ESI-01
still sees the meter before any CoT.
"""

from __future__ import annotations

import allure

from harness.bench import Bench
from harness.esi.han_client import Answer
from harness.profile import Profile
from harness.radio.trace import FrameRecord
from harness.zcl import DeviceManagement, Messaging, Prepayment, codec, ids
from harness.zcl.codec import Direction
from harness.zcl.header import answers
from harness.zcl.history_periods import calendars, previous
from harness.zcl.time import UNIX_OFFSET, format_zcl_utc
from testcases.meter_cot import DAY_HISTORY, PERIOD_HISTORY
from testcases.steps.facts import attach_text, response_timeout

DM, MESSAGING, PREPAYMENT = ids.DEVICE_MANAGEMENT, ids.MESSAGING, ids.PREPAYMENT
COT_ATTRIBUTES = [0x0200, 0x0201]  # ChangeOfTenancyUpdateDateTime, ProposedTenancyChangeControl
# A burst an IHD's retry logic or a second HAN device plausibly makes at once: more than the
# few requests any ESI case has in flight, few enough that a meter with a small but sane
# input queue (GBCS sets no minimum) is not failed for queue depth alone.
BURST = 8
# Zigbee frame control octets (ZCL 2.4.1.1): cluster-specific, client to server / server to
# client, each with Disable Default Response clear.
TO_SERVER, TO_CLIENT = 0x01, 0x09
NEWER = 0xFFFF_FFF0  # the Issuer Event ID of a Publish CoT sent to the server: newer than any real one
LATEST = 0xFFFF_FFFE  # Latest End Time: every record the meter holds (0xFFFFFFFF is ZCL's invalid time)
# The occupier's data the fuzzed clusters hold, as an IHD asks for it: (what, cluster, command,
# fields). "Clears nothing" covers these as much as the CoT: a malformed Prepayment or Messaging
# frame that wipes or alters a log or the last message is the fault ROB-01 looks for. Each is
# asked before the set and after it, and must answer the same: a meter that legitimately adds a
# record meanwhile (a debt collected on its schedule) would fail, so a lab runs ROB-01 with none
# due (docs/meters.md).
SERVED: tuple[tuple[str, int, str, dict[str, object]], ...] = (
    ("Get Top Up Log", PREPAYMENT, "get_top_up_log", {"latest_end_time": LATEST, "number_of_records": 0}),
    (
        "Get Debt Repayment Log",
        PREPAYMENT,
        "get_debt_repayment_log",
        {"latest_end_time": LATEST, "number_of_debts": 0, "debt_type": 0xFF},
    ),
    ("Get Last Message", MESSAGING, "get_last_message", {}),
)
# Prepayment's Payment Control Configuration (bitmap16, mandatory): the one Prepayment attribute
# a malformed frame must not change that does not move by itself (credit and debt remaining
# fall as the meter runs; the cost history turns over at midnight). Absent before and after
# when the meter does not serve it.
PAYMENT_CONFIGURATION = [0x0000]


def _unknown_ids(commands: type, count: int) -> list[int]:
    """`count` command IDs the cluster's client-to-server set does not define, from 0xF0 down:
    the low IDs past our definitions are real commands in later SE issues (Prepayment's
    Emergency Credit Setup, 0x03), which a meter may rightly act on."""
    known = {command.id for command in commands}
    return [cid for cid in range(0xF0, 0x00, -1) if cid not in known][:count]


def _request(cluster: int, command: str, tsn: int, **fields: object) -> bytes:
    return codec.build(cluster, command, tsn=tsn, direction=Direction.TO_SERVER, **fields)


def with_tsn(frame: bytes, tsn: int) -> bytes:
    """The frame under another TSN (octet 1 of a non-manufacturer-specific header), so each
    fuzzed frame's answer is told from the others'; a frame too short to hold one is as it is."""
    return frame[:1] + bytes([tsn]) + frame[2:] if len(frame) >= 2 else frame


def fuzz_frames(tsn: int = 0) -> list[tuple[str, int, bytes]]:
    """The bounded, fixed set of malformed client-to-server frames: (what, cluster, frame).

    None is a well-formed request a meter may act on (Consumer Top Up, Change Debt and the
    like change its state legitimately); each is one a DM server must drop or refuse."""
    top_up = _request(PREPAYMENT, "get_top_up_log", tsn, latest_end_time=0xFFFF_FFFE, number_of_records=0)
    debt = _request(
        PREPAYMENT, "get_debt_repayment_log", tsn, latest_end_time=0xFFFF_FFFE, number_of_debts=0, debt_type=0xFF
    )
    get_cot = _request(DM, "get_change_of_tenancy", tsn)
    publish = codec.build(
        DM,
        "publish_change_of_tenancy",
        tsn=tsn,
        provider_id=0x0000_0001,
        issuer_event_id=NEWER,
        tariff_type=0,
        implementation_date_time=0,  # now
        proposed_tenancy_change_control=0x0000_00FF,
    )
    frames: list[tuple[str, int, bytes]] = []
    # Truncated: the header without its command ID (once: it is the same for both), then
    # every cut of each request short of whole.
    frames.append(("Prepayment header cut before the command ID", PREPAYMENT, top_up[:2]))
    for name, full in (("Get Top Up Log", top_up), ("Get Debt Repayment Log", debt)):
        frames += [(f"{name} truncated to {n} octets", PREPAYMENT, full[:n]) for n in range(3, len(full))]
    frames += [(f"Get Change of Tenancy truncated to {n} octets", DM, get_cot[:n]) for n in (1, 2)]
    # Messaging's requests with a payload, every cut short of their mandatory fields: an IHD's
    # Message Confirmation (Message ID, Confirmation Time; the optional fields left off, so the
    # whole is the shortest well-formed one) and Get Message Cancellation (Earliest
    # Implementation Time). A confirmation cut by a lost fragment is what a meter's message
    # task meets in the field, and must not wedge it.
    confirmation = _request(MESSAGING, "message_confirmation", tsn, message_id=0x0000_1001, confirmation_time=0)
    cancellation = _request(MESSAGING, "get_message_cancellation", tsn, earliest_implementation_time=0)
    for name, full in (("Message Confirmation", confirmation), ("Get Message Cancellation", cancellation)):
        frames += [(f"{name} truncated to {n} octets", MESSAGING, full[:n]) for n in range(3, len(full))]
    # Unknown client-to-server commands on each cluster, with a few payload octets.
    for name, cluster, commands in (
        ("Device Management", DM, DeviceManagement.ServerCommandDefs),
        ("Messaging", MESSAGING, Messaging.ServerCommandDefs),
        ("Prepayment", PREPAYMENT, Prepayment.ServerCommandDefs),
    ):
        for cid in _unknown_ids(commands, 2) + [0xFF]:
            frames.append((f"{name} unknown command 0x{cid:02X}", cluster, bytes([TO_SERVER, tsn, cid, 0, 0, 0, 0])))
    # The wrong direction bit: requests flagged server-to-client (a server's own commands).
    frames.append(("Get Top Up Log with the server-to-client bit", PREPAYMENT, bytes([TO_CLIENT]) + top_up[1:]))
    frames.append(("Get Change of Tenancy with the server-to-client bit", DM, bytes([TO_CLIENT]) + get_cot[1:]))
    # A Publish CoT (a server's command) sent to the server, newer than any CoT it holds:
    # whole, and truncated after its Issuer Event ID.
    frames.append(("Publish Change of Tenancy sent to the server", DM, publish))
    frames.append(("Publish Change of Tenancy sent to the server, truncated", DM, publish[:11]))
    return frames


def _answers_to(bench: Bench, sent: FrameRecord, tsn: int) -> str:
    """What the meter sent back to a fuzzed frame's endpoint echoing its TSN (already
    arrived: the Get CoT asked after it has been answered), for the evidence."""
    got = [
        r
        for r in bench.link.frames_since(sent.seq)
        if r.src_nwk == bench.link.address()
        and r.cluster_id == sent.cluster_id
        and r.dst_ep == sent.src_ep
        and answers(r.payload, tsn=tsn)
    ]
    return ", ".join(r.payload.hex(" ") for r in got) or "nothing"


def _state(bench: Bench) -> tuple[Answer, dict[int, object]]:
    client = bench.han_client
    return client.request(DM, "get_change_of_tenancy"), client.read(DM, COT_ATTRIBUTES)


def _attributes(values: dict[int, object], attributes: list[int] = COT_ATTRIBUTES) -> str:
    return ", ".join(f"0x{a:04X}={values.get(a, 'absent')}" for a in attributes)


def _served(bench: Bench) -> dict[str, str]:
    """What the meter serves of the occupier's data that a malformed frame could wipe or alter:
    each of SERVED's answers (its records, its message, or NOT_FOUND) and PAYMENT_CONFIGURATION,
    each as it reads (Answer.describe: every field of the answer, a split log assembled)."""
    client = bench.han_client
    got = {what: client.request(cluster, command, **fields).describe() for what, cluster, command, fields in SERVED}
    got["Prepayment attributes"] = _attributes(client.read(PREPAYMENT, PAYMENT_CONFIGURATION), PAYMENT_CONFIGURATION)
    return got | _history(bench)


def _history(bench: Bench) -> dict[str, str]:
    """The previous day's, week's and month's consumption and cost (what the ESI cases require
    served before a CoT), each keyed by the period it covers in UTC and UK local time as of the
    read: they change only when a period rolls over, and then the key does too, so a value is
    compared only with a read of the same period (a malformed Prepayment frame zeroing the cost
    history is data cleared without a CoT). One read per cluster: ROB-01's bench time."""
    client = bench.han_client
    rows = [(what, cluster, attr, "day") for what, cluster, attr in DAY_HISTORY]
    rows += [(what, cluster, attr, period) for what, cluster, attr, period, _optional in PERIOD_HISTORY]
    got = {}
    for cluster in dict.fromkeys(row[1] for row in rows):
        mine = [row for row in rows if row[1] == cluster]
        values = client.read(cluster, [attr for _w, _c, attr, _p in mine])
        now = int(bench.loop.now()) - UNIX_OFFSET
        for what, _cluster, attr, period in mine:
            covers = " / ".join(
                f"{format_zcl_utc(a)}..{format_zcl_utc(b)} {name}"
                for name, (a, b) in ((name, previous(period, now, zone)) for name, zone in calendars().items())
            )
            got[f"{what} (0x{cluster:04X}/0x{attr:04X}) for {covers}"] = str(values.get(attr))
    return got


def _silent(after: str, bench: Bench) -> str:
    """The failure message of a Get Change of Tenancy answered nothing after `after`."""
    return (
        f"after {after} the harness (as an IHD) sent a well-formed Get Change of Tenancy; expected Publish Change "
        f"of Tenancy or Default Response NOT_FOUND within timings.response_timeout "
        f"({response_timeout(bench.profile):g} s); the meter answered nothing: it stopped responding"
    )


def meter_rob_01(bench: Bench, profile: Profile) -> None:
    client = bench.han_client
    with allure.step("The meter's CoT before the fuzzed frames (Get Change of Tenancy, 0x0200/0x0201)"):
        before, attributes = _state(bench)
        attach_text("before", f"Get Change of Tenancy: {before.describe()}\n{_attributes(attributes)}")
        assert before.frame is not None, _silent("joining", bench)
    with allure.step(
        "What the meter serves before the fuzzed frames: Get Top Up Log, Get Debt Repayment Log, Get Last Message, "
        "Prepayment's Payment Control Configuration, the previous day's, week's and month's history"
    ):
        served = _served(bench)
        attach_text("served before", "\n".join(f"{what}: {answer}" for what, answer in served.items()))
    frames = fuzz_frames()
    evidence: list[str] = []
    with allure.step(
        f"The harness's IHD sends {len(frames)} malformed Device Management, Messaging and Prepayment frames, "
        "each followed by a well-formed Get Change of Tenancy"
    ):
        try:
            for what, cluster, template in frames:
                tsn = bench.link.next_tsn()
                frame = with_tsn(template, tsn)
                sent = bench.link.send_from(client.endpoints[0], cluster, frame)
                after = client.request(DM, "get_change_of_tenancy")
                evidence.append(
                    f"{what}: 0x{cluster:04X} {frame.hex(' ')}\n  answered {_answers_to(bench, sent, tsn)}; "
                    f"then Get Change of Tenancy: {after.describe()}"
                )
                assert after.frame is not None, _silent(
                    f"the malformed frame '{what}' (0x{cluster:04X} {frame.hex(' ')})", bench
                )
                assert after.describe() == before.describe(), (
                    f"after the malformed frame '{what}' (0x{cluster:04X} {frame.hex(' ')}) the harness sent Get "
                    f"Change of Tenancy; expected the CoT the meter published before the fuzz, {before.describe()}; "
                    f"the meter answered {after.describe()}: a malformed frame changed its CoT"
                )
        finally:
            attach_text("fuzzed frames and the meter's answers", "\n".join(evidence))
    with allure.step("After the set the meter's 0x0200/0x0201 are unchanged"):
        now = client.read(DM, COT_ATTRIBUTES)
        attach_text("after", _attributes(now))
        assert now == attributes, (
            f"after {len(frames)} malformed frames the harness read attributes 0x0200/0x0201 of Device Management; "
            f"expected what they held before, {_attributes(attributes)}; the meter answered {_attributes(now)}"
        )
    with allure.step(
        "After the set the meter serves the same top-up log, debt log, last message, Payment Control Configuration "
        "and previous day's, week's and month's history"
    ):
        served_now = _served(bench)
        attach_text("served after", "\n".join(f"{what}: {answer}" for what, answer in served_now.items()))
        # A history read of another period than before (a rollover between the reads) is not compared.
        changed = [what for what in served if what in served_now and served_now[what] != served[what]]
        assert not changed, (
            f"after {len(frames)} malformed Device Management, Messaging and Prepayment frames the harness asked "
            + "; ".join(
                f"{what}: expected what the meter served before the set, {served[what]}; it answered {served_now[what]}"
                for what in changed
            )
            + ": a malformed frame changed the occupier's data"
        )


def meter_rob_02(bench: Bench, profile: Profile) -> None:
    client, link = bench.han_client, bench.link
    with allure.step("The meter's CoT before the burst (Get Change of Tenancy)"):
        before = client.request(DM, "get_change_of_tenancy")
        attach_text("before", before.describe())
        assert before.frame is not None, _silent("joining", bench)
    source = client.endpoints[0]
    with allure.step(f"The harness's IHD sends {BURST} identical Get Change of Tenancy requests back to back"):
        # Identical but for the TSN: the TSN is what ties each answer to its request (ZCL), so
        # a dropped answer is told from a late one.
        tsns = [link.next_tsn() for _ in range(BURST)]
        sent = [link.send_from(source, DM, _request(DM, "get_change_of_tenancy", tsn)) for tsn in tsns]
        # Each answer as the client matches one (harness.esi.han_client.answer_to: from the
        # meter's endpoint to ours, server to client, the TSN echoed, Publish CoT or a Default
        # Response naming Get CoT): a frame that merely echoes a TSN answers nothing.
        got = [client.answer_to(record, "get_change_of_tenancy") for record in sent]
        attach_text("answers", "\n".join(f"TSN {t}: {a.describe()}" for t, a in zip(tsns, got, strict=True)))
        for tsn, answer in zip(tsns, got, strict=True):
            assert answer.frame is not None, (
                f"the harness sent {BURST} identical Get Change of Tenancy requests back to back; expected each "
                f"answered within timings.response_timeout ({response_timeout(profile):g} s); the request with TSN "
                f"{tsn} was answered nothing"
            )
            assert answer.describe() == before.describe(), (
                f"the harness sent {BURST} identical Get Change of Tenancy requests back to back; expected each "
                f"answered with the CoT the meter published before, {before.describe()}; the request with TSN {tsn} "
                f"was answered {answer.describe()}"
            )
    with allure.step("After the burst the meter still answers Get Change of Tenancy, the same CoT"):
        after = client.request(DM, "get_change_of_tenancy")
        attach_text("after", after.describe())
        assert after.frame is not None, _silent(f"a burst of {BURST} Get Change of Tenancy requests", bench)
        assert after.describe() == before.describe(), (
            f"after a burst of {BURST} Get Change of Tenancy requests the harness asked once more; expected "
            f"{before.describe()}; the meter answered {after.describe()}"
        )
