"""Robustness: ROB-01 (fuzzed frames), ROB-02 (a burst of identical Publish CoT).

Both roles: for a meter under test each case judges what its requirement means for a DM
server (testcases/steps/meter_robustness.py); what follows here is the DM client's.
"""

from __future__ import annotations

import random

import allure

from harness.bench import Bench
from harness.catalogue import case
from harness.profile import Profile
from harness.zcl import DeviceManagement, Messaging, ids
from harness.zcl.codec import Direction
from harness.zcl.header import min_payload_length
from testcases import steps
from testcases.steps import (
    assert_actioned,
    attach_text,
    eventually,
    new_occupier,
    require_responsive,
    resident_shown,
    retained,
    send_publish_cot,
    stored_and_shown,
)
from testcases.steps.meter_robustness import meter_rob_01, meter_rob_02

DM, MESSAGING, PREPAYMENT = ids.DEVICE_MANAGEMENT, ids.MESSAGING, ids.PREPAYMENT
PUBLISH_COT = DeviceManagement.ClientCommandDefs.publish_change_of_tenancy.id
FUZZ_FRAMES = 64
FUZZ_SEED = 0x0C07
# Valid frames of these commands legitimately change what a display shows (a Publish CoT
# clears it, a new message replaces the last, Cancel Message removes it): only malformed,
# i.e. shorter than their fixed part (from the command schemas), are fuzzed.
CHANGE_THE_DISPLAY = [(DM, PUBLISH_COT)] + [
    (MESSAGING, getattr(Messaging.ClientCommandDefs, name).id)
    for name in ("display_message", "cancel_message", "display_protected_message", "cancel_all_messages")
]
MIN_VALID = {key: min_payload_length(*key, Direction.TO_CLIENT) for key in CHANGE_THE_DISPLAY}
BURST = 8


def fuzz_frames(seed: int, count: int, newer_event_id: int) -> list[tuple[int, bytes]]:
    """A bounded, reproducible set of server-to-client frames that carry no genuine CoT.

    Truncated Publish CoT frames long enough to hold an Issuer Event ID carry one newer than
    any actioned: a unit that takes a malformed CoT as genuine clears, and is caught."""
    rng = random.Random(seed)
    frames = []
    while len(frames) < count:
        cluster = rng.choice((DM, MESSAGING, PREPAYMENT))
        command = rng.randrange(0, 16)
        if len(frames) % 4 == 0:  # one in four: a truncated Publish CoT, the likeliest to be misread
            cluster, command = DM, PUBLISH_COT
        fc = rng.choice((0x09, 0x19))  # cluster-specific, server to client, with/without DDR
        body = bytearray(rng.randbytes(rng.randrange(0, 40)))
        limit = MIN_VALID.get((cluster, command))
        if limit is not None:
            body = body[: rng.randrange(0, limit)]
        if (cluster, command) == (DM, PUBLISH_COT) and len(body) >= 8:
            body[4:8] = newer_event_id.to_bytes(4, "little")  # after the Provider ID (uint32)
        frames.append((cluster, bytes([fc, rng.randrange(256), command]) + bytes(body)))
    return frames


@case("ROB-01")
def test_rob_01(bench: Bench, profile: Profile) -> None:
    if profile.identity.role.is_esi:
        meter_rob_01(bench, profile)
        return
    classes, resident, upcoming = resident_shown(bench, profile)
    source = steps.sources(profile)[0]
    frames = fuzz_frames(FUZZ_SEED, FUZZ_FRAMES, bench.occupancy.cot_event().issuer_event_id)
    attach_text(
        "fuzz set",
        f"seed 0x{FUZZ_SEED:04X}, {len(frames)} frames:\n" + "\n".join(f"0x{c:04X} {f.hex(' ')}" for c, f in frames),
    )

    def send_fuzz() -> None:
        with allure.step(f"{bench.meters[source].label} sends {len(frames)} fuzzed frames"):
            for cluster, frame in frames:
                steps.delivered(bench, lambda c=cluster, f=frame: bench.link.send(source, c, f), "fuzzed frame")

    # A unit may take up to clear_within to action a CoT: one that takes a fuzzed frame for
    # one and clears late must still be seen, so the watch lasts as long as any case waits.
    retained(
        bench,
        classes,
        resident,
        upcoming,
        eventually(profile),
        send_fuzz,
        f"{len(frames)} fuzzed Device Management, Messaging and Prepayment frames",
    )
    require_responsive(bench, f"{len(frames)} fuzzed frames")


@case("ROB-02")
def test_rob_02(bench: Bench, profile: Profile) -> None:
    if profile.identity.role.is_esi:
        meter_rob_02(bench, profile)
        return
    classes = stored_and_shown(bench, profile)
    previous, new, event = new_occupier(bench)
    # One meter's CoT clears everything under clear_scope all; under fuel each meter's
    # clears its own fuel, so each publishes it (and sends the burst).
    pushers = steps.sources_clearing_all(profile)
    for source in pushers:
        send_publish_cot(bench, source, event)
    assert_actioned(bench, classes, previous, new, eventually(profile), "Publish Change of Tenancy")
    for dc in classes:
        bench.observing.require_shown(dc, new, previous, role="new")

    def burst() -> None:
        for source in pushers:
            with allure.step(
                f"{bench.meters[source].label} sends the identical frame {BURST} more times, back to back"
            ):
                for _ in range(BURST):
                    steps.delivered(bench, lambda s=source: bench.link.publish_cot(s, event), "Publish CoT")

    # Watched as long as any case waits for a CoT to be actioned: a duplicate actioned late
    # (after response_timeout, within clear_within) is a second clearing all the same.
    retained(
        bench,
        classes,
        new,
        previous,
        eventually(profile),
        burst,
        f"a burst of {BURST} identical Publish CoT frames",
    )
    require_responsive(bench, "the burst")
