"""Issuer Event IDs across the whole 32-bit range: NEG-06.

ZigBee SE 1.4 defines the Issuer Event ID as a uint32 whose larger value is the newer
information: unsigned ordering, no wrap. Every ID the other cases use is a UTC timestamp
(about 0x32A1xxxx), so a unit that compares IDs as signed integers, or modulo 2^32 as if
they wrapped, passes them all. This case crosses 0x80000000 (0x7FFFFFFF, then 0x80000000:
each a new CoT that clears; a lower ID after them clears nothing) and reaches the top
(0xFFFFFFFE, then 0xFFFFFFFF; a power cycle, after which the meters' answer with that same
event clears nothing; then low IDs, which a wrapping unit takes as newer, clear nothing).

It must be the last case of the run: once the unit has actioned 0xFFFFFFFF no newer
Issuer Event ID exists, so no later case could publish a CoT the unit must action
(harness.esi.tenancy refuses to issue one, a bench error). pytest runs modules in name
order, hence this module's name, after every other catalogue section
(tests/test_event_id_range_last.py keeps it last).
"""

from __future__ import annotations

import allure

from harness.bench import Bench
from harness.catalogue import case
from harness.domain import DataClass
from harness.esi.meter import CotEvent
from harness.profile import Profile
from testcases import steps
from testcases.steps import (
    attach_text,
    eventually,
    new_occupier,
    push_cot_from_all,
    retained_until_queried,
    stored_and_shown,
)

# (lower, higher, then IDs below both that must clear nothing)
ACROSS_THE_SIGN_BIT = (0x7FFFFFFF, 0x80000000, (0x7FFFFFFE,))
AT_THE_TOP = (0xFFFFFFFE, 0xFFFFFFFF, (0x00000000, 0x00000001, 0x7FFFFFFF))


def _actioned(bench: Bench, profile: Profile, classes: list[DataClass], issuer_event_id: int, after: str) -> None:
    """A new occupier with Issuer Event ID `issuer_event_id`: the unit must action it and
    show the new occupier (the next step's previous occupier must be on the display)."""
    previous, new, event = new_occupier(bench, issuer_event_id=issuer_event_id)
    push_cot_from_all(bench, profile, event)
    steps.assert_actioned(
        bench,
        classes,
        previous,
        new,
        eventually(profile),
        f"the meters published a Change of Tenancy with Issuer Event ID 0x{issuer_event_id:08X} after {after} "
        "(a uint32: newer)",
    )
    for dc in classes:
        bench.observing.require_shown(dc, new, previous, role="new")


def _older_ignored(bench: Bench, profile: Profile, classes: list[DataClass], lower: tuple[int, ...], last: int) -> None:
    """The meters push CoTs with Issuer Event IDs below `last` (the newest actioned): the
    occupier in residence's data must stay. The meters still hold the CoT of `last`."""
    resident, other = bench.occupancy.resident, bench.occupancy.upcoming

    def push_lower() -> None:
        for issuer_event_id in lower:
            older = CotEvent(issuer_event_id=issuer_event_id, implementation_time=bench.occupancy.zcl_now())
            with allure.step(f"The meters push a CoT with the lower Issuer Event ID 0x{issuer_event_id:08X}"):
                push_cot_from_all(bench, profile, older)

    retained_until_queried(
        bench,
        profile,
        classes,
        resident,
        other,
        push_lower,
        f"CoTs with Issuer Event IDs {', '.join(f'0x{i:08X}' for i in lower)} after 0x{last:08X} "
        "(a uint32: older, no wrap)",
    )


def _known_over_power_cycle(bench: Bench, profile: Profile, classes: list[DataClass], last: int) -> None:
    """After the top of the range was actioned, the unit is power-cycled: the meters still hold
    that CoT and answer its start-up query with it, and the occupier in residence's data must
    stay. 0xFFFFFFFF is a valid Issuer Event ID (SE 1.4 uint32), so what the unit keeps of the
    last one actioned must survive a power cycle at that value too (flash whose erased state is
    0xFFFFFFFF reads back as "none actioned"). Without power control nothing is done: a rejoin
    keeps RAM and would not test what the unit keeps."""
    if not bench.controls.available("power_control"):
        attach_text(f"power cycle after 0x{last:08X}", "not done: bench.power_control is none")
        return
    resident, other = bench.occupancy.resident, bench.occupancy.upcoming

    def power_cycle() -> None:
        with allure.step(f"Power-cycle the unit (the meters still hold the CoT of 0x{last:08X}, no new one)"):
            bench.controls.power_cycle()

    retained_until_queried(
        bench,
        profile,
        classes,
        resident,
        other,
        power_cycle,
        f"a power cycle after the CoT with Issuer Event ID 0x{last:08X} was actioned (the meters still hold it: "
        "the same event, already actioned)",
        provoked_by="power cycle",
    )


@case("NEG-06")
def test_neg_06(bench: Bench, profile: Profile) -> None:
    classes = stored_and_shown(bench, profile)
    after = "the IDs of the run so far (UTC timestamps)"
    for lower, higher, below in (ACROSS_THE_SIGN_BIT, AT_THE_TOP):
        _actioned(bench, profile, classes, lower, after)
        _actioned(bench, profile, classes, higher, f"0x{lower:08X}")
        if (lower, higher, below) == AT_THE_TOP:
            _known_over_power_cycle(bench, profile, classes, higher)
        _older_ignored(bench, profile, classes, below, higher)
        after = f"0x{higher:08X}"
