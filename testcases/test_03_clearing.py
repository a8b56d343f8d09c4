"""Clearing: CLR-01 .. CLR-07 (one case per data class the unit declares it stores)."""

from __future__ import annotations

import allure
import pytest

from harness.bench import Bench
from harness.catalogue import case
from harness.domain import DATA_CLASSES, DataClass
from harness.errors import PreconditionNotMet
from harness.evidence.measurements import record
from harness.plugin import applies
from harness.profile import Profile
from testcases import steps
from testcases.steps import (
    assert_cleared,
    attach_text,
    clear_within,
    eventually,
    new_occupier,
    push_cot_from_all,
    require_resident_shown,
    require_stored,
    stored_and_shown,
)


def _clears(bench: Bench, profile: Profile, data_class: DataClass) -> None:
    applies(data_class in profile.stores, "stores", f"does not include {data_class}")
    require_resident_shown(bench, [data_class])
    previous, new, event = new_occupier(bench)
    sent = push_cot_from_all(bench, profile, event)
    assert_cleared(
        bench,
        [data_class],
        previous,
        new,
        eventually(profile),
        f"the meters published a Change of Tenancy (Issuer Event ID 0x{event.issuer_event_id:08X})",
        since=sent[0].timestamp,
    )


@pytest.mark.parametrize(
    "data_class",
    [pytest.param(row.data_class, marks=case(row.case_id), id=row.case_id) for row in DATA_CLASSES.values()],
)
def test_clr_clears(bench: Bench, profile: Profile, data_class: DataClass) -> None:
    """CLR-01..04: one case per data class (its row in harness.domain.DATA_CLASSES names it)."""
    _clears(bench, profile, data_class)


def _clearing_times(bench: Bench, profile: Profile, classes: list[DataClass], previous, new) -> dict:  # noqa: ANN001
    """When each class lost the previous occupier's data (None: not within `eventually`)."""
    return steps.cleared_times(bench, classes, previous, new, eventually(profile))


@case("CLR-05")
def test_clr_05(bench: Bench, profile: Profile) -> None:
    classes = stored_and_shown(bench, profile)
    previous, new, event = new_occupier(bench)
    sent = push_cot_from_all(bench, profile, event)[0]
    limit = clear_within(profile)
    with allure.step(f"Measure how long each class takes to clear (limit timings.clear_within {limit:g} s)"):
        cleared = _clearing_times(bench, profile, classes, previous, new)
        latency = {dc: seen.at - sent.timestamp for dc, seen in cleared.items() if seen is not None}
        attach_text(
            "measurements",
            "\n".join(
                f"{dc}: {latency[dc]:.3f} s" if dc in latency else f"{dc}: not cleared (CLR-0x judges that)"
                for dc in classes
            ),
        )
    for dc, seconds in latency.items():
        record(f"{dc} clearing latency", seconds, "s", high=limit)
    assert latency, f"the meters published a CoT; nothing was cleared within {eventually(profile):g} s"
    slow = {dc: s for dc, s in latency.items() if s > limit}
    assert not slow, (
        f"the meters published a CoT; clearing must complete within timings.clear_within "
        f"({limit:g} s); it took " + ", ".join(f"{dc} {s:.1f} s" for dc, s in slow.items())
    )


# A new occupier has received no supplier message yet: "not left blank" applies to the
# data the meters hold for them from the first day (history, top-ups, debt).
SERVED_AT_MOVE_IN = tuple(row.data_class for row in DATA_CLASSES.values() if row.served_at_move_in)


@case("CLR-06")
def test_clr_06(bench: Bench, profile: Profile) -> None:
    stored = require_stored(profile)
    classes = [dc for dc in stored if dc in SERVED_AT_MOVE_IN]
    applies(bool(classes), "stores", "holds only supplier_messages, and a new occupier has none yet")
    require_resident_shown(bench, stored)
    previous, new, event = new_occupier(bench)
    push_cot_from_all(bench, profile, event)
    limit = clear_within(profile)
    for dc in classes:
        with allure.step(f"The new occupier's {dc} is shown within {limit:g} s"):
            seen = bench.observing.wait_observed(
                dc, previous, new, lambda o: o.shows_new, limit, f"the new occupier's {dc}"
            )
            last = seen or bench.observing.observe(dc, previous, new)
            attach_text(f"{dc} after", last.detail)
        assert seen is not None, (
            f"after the Change of Tenancy the meters serve {new.name}'s {dc}; expected it shown within "
            f"{limit:g} s; the unit shows: {last.detail}"
        )


@case("CLR-07")
def test_clr_07(bench: Bench, profile: Profile) -> None:
    applies(bench.controls is not None and bench.controls.available("power_control"), "bench.power_control", "is none")
    classes = stored_and_shown(bench, profile)
    previous, new, event = new_occupier(bench)
    push_cot_from_all(bench, profile, event)
    cleared = [dc for dc, seen in _clearing_times(bench, profile, classes, previous, new).items() if seen]
    if not cleared:
        raise PreconditionNotMet("nothing was cleared after the CoT, so reappearance cannot be judged (see CLR-01..04)")
    watches = {dc: bench.observing.watch(dc) for dc in cleared}
    try:
        with allure.step("Power-cycle the unit"):
            assert bench.controls is not None
            bench.controls.power_cycle()
        after_join = profile.timings.poll.after_join.total_seconds()
        with allure.step(f"Let the unit come back and settle for poll.after_join ({after_join:g} s)"):
            bench.loop.hold(after_join, "the unit's start-up after the power cycle")
    finally:
        for _watch, stop in watches.values():
            stop()
    for dc, (watch, _stop) in watches.items():
        back = set(watch.added) & set(previous.items(dc))
        final = bench.observing.observe(dc, previous, new)
        attach_text(f"{dc} after the power cycle", final.detail)
        assert not back and not final.shows_previous, (
            f"after the CoT the previous occupier's {dc} was cleared; after a power cycle it came back "
            f"({len(back)} item(s) reappeared); now: {final.detail}"
        )
    steps.require_responsive(bench, "the power cycle")
