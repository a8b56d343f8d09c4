"""Robustness: ROB-01 (fuzzed frames), ROB-02 (a burst of identical Publish CoT)."""

from __future__ import annotations

import random

import allure

from harness.bench import Bench
from harness.catalogue import case
from harness.profile import Profile
from testcases import steps
from testcases.steps import (
    assert_actioned,
    eventually,
    new_occupier,
    require_resident_shown,
    require_responsive,
    require_stored,
    retained,
    send_publish_cot,
    text,
)

DM, MESSAGING, PREPAYMENT = 0x0708, 0x0703, 0x0705
FUZZ_FRAMES = 64
FUZZ_SEED = 0x0C07
# Valid frames of these commands legitimately change what a display shows (a Publish CoT
# clears it, a new message replaces the last, Cancel Message removes it): only malformed,
# i.e. shorter than their fixed part, are fuzzed.
MIN_VALID = {
    (DM, 0x00): 17,  # Publish Change of Tenancy
    (MESSAGING, 0x00): 12,  # Display Message
    (MESSAGING, 0x01): 5,  # Cancel Message
    (MESSAGING, 0x02): 12,  # Display Protected Message
    (MESSAGING, 0x03): 4,  # Cancel All Messages
}
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
            cluster, command = DM, 0x00
        fc = rng.choice((0x09, 0x19))  # cluster-specific, server to client, with/without DDR
        payload = bytearray(rng.randbytes(rng.randrange(0, 40)))
        limit = MIN_VALID.get((cluster, command))
        if limit is not None:
            payload = payload[: rng.randrange(0, limit)]
        if (cluster, command) == (DM, 0x00) and len(payload) >= 8:
            payload[4:8] = newer_event_id.to_bytes(4, "little")
        frames.append((cluster, bytes([fc, rng.randrange(256), command]) + bytes(payload)))
    return frames


@case("ROB-01")
def test_rob_01(bench: Bench, profile: Profile) -> None:
    classes = require_stored(profile)
    require_resident_shown(bench, classes)
    resident, upcoming = bench.tenancy.resident, bench.tenancy.upcoming
    source = steps.sources(profile)[0]
    frames = fuzz_frames(FUZZ_SEED, FUZZ_FRAMES, bench.fresh_event().issuer_event_id)
    text(
        "fuzz set",
        f"seed 0x{FUZZ_SEED:04X}, {len(frames)} frames:\n" + "\n".join(f"0x{c:04X} {f.hex(' ')}" for c, f in frames),
    )

    def send_fuzz() -> None:
        with allure.step(f"{bench.meters[source].label} sends {len(frames)} fuzzed frames"):
            for cluster, frame in frames:
                steps.delivered(bench, lambda c=cluster, f=frame: bench.send_to_uut(source, c, f), "fuzzed frame")

    retained(
        bench,
        classes,
        resident,
        upcoming,
        steps.response_timeout(profile),
        send_fuzz,
        f"{len(frames)} fuzzed Device Management, Messaging and Prepayment frames",
    )
    require_responsive(bench, f"{len(frames)} fuzzed frames")


@case("ROB-02")
def test_rob_02(bench: Bench, profile: Profile) -> None:
    classes = require_stored(profile)
    require_resident_shown(bench, classes)
    previous, new, event = new_occupier(bench)
    source = steps.sources(profile)[0]
    send_publish_cot(bench, source, event)
    assert_actioned(bench, classes, previous, new, eventually(profile), "Publish Change of Tenancy")
    for dc in classes:
        bench.require_shown(dc, new, previous, role="new")

    def burst() -> None:
        with allure.step(f"{bench.meters[source].label} sends the identical frame {BURST} more times, back to back"):
            for _ in range(BURST):
                steps.delivered(bench, lambda: bench.publish_cot(source, event), "Publish CoT")

    retained(
        bench,
        classes,
        new,
        previous,
        steps.response_timeout(profile),
        burst,
        f"a burst of {BURST} identical Publish CoT frames",
    )
    require_responsive(bench, "the burst")
