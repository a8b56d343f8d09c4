"""Clearing: CLR-01 .. CLR-08 (one case per data class the unit declares it stores, then
how fast, what replaces it, and that it stays gone).

Cleared means gone and staying gone: every wait for a clearing is followed by a hold of
timings.clear_within (steps.clearings), so a unit that re-shows a cached copy moments later
has not cleared. CLR-07 and CLR-08 watch longer, across a power cycle and across the
unit's own periodic refresh, and judge every stored class: one that was never cleared (or
came back before the watch) is still the previous occupier's data on the screen.
"""

from __future__ import annotations

from collections.abc import Callable

import allure
import pytest

from harness.bench import Bench
from harness.catalogue import case
from harness.domain import DATA_CLASSES, DataClass
from harness.errors import BenchError, PreconditionNotMet
from harness.esi.tenant import Tenant
from harness.evidence.measurements import record
from harness.observe.base import Observation, ObserverKind, Watch
from harness.plugin import applies
from harness.profile import Profile
from testcases import steps
from testcases.query_soak import query_log, shared_soak
from testcases.steps import (
    Clearing,
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
    if DATA_CLASSES[data_class].pushed_by_supplier:
        # Every form the supplier's push takes is the occupier's data: none may survive.
        steps.supplier_message_in_every_form(bench, profile)
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


# CLR-05's CoT carries a Tariff Type other than 0 (every other genuine CoT's): 0x01,
# "received" (a meter with export). The Tariff Type is not the fuel, nor a filter on what
# the CoT clears (se-wire-reference): a unit that reads it so clears nothing here.
CLR_05_TARIFF_TYPE = 0x01


@case("CLR-05")
def test_clr_05(bench: Bench, profile: Profile) -> None:
    classes = stored_and_shown(bench, profile)
    previous, new, event = new_occupier(bench, tariff_type=CLR_05_TARIFF_TYPE)
    sent = push_cot_from_all(bench, profile, event)[0]
    limit = clear_within(profile)
    # A person is asked once, when a wait ends: asked at the end of `eventually` they could
    # only ever report a latency of `eventually`. So classes a person observes are asked at
    # the limit itself, and cleared then means cleared within it.
    asked_once = [dc for dc in classes if bench.observing.kind(dc) is ObserverKind.ASKED_ONCE]
    measured = [dc for dc in classes if dc not in asked_once]
    with allure.step(f"Measure how long each class takes to clear (limit timings.clear_within {limit:g} s)"):
        cleared = steps.clearings(bench, measured, previous, new, eventually(profile)) if measured else {}
        # A class shown again after its first clearing was not cleared at that moment:
        # it has no latency, and its CLR-01..04 case fails it.
        latency = {dc: c.gone.at - sent.timestamp for dc, c in cleared.items() if c.stayed_gone and c.gone}
        by_person = steps.clearings(bench, asked_once, previous, new, limit) if asked_once else {}
        for dc, c in by_person.items():
            cleared[dc] = c
            # Gone when asked at the limit: within it (the time the answer took is the person's).
            latency[dc] = min(limit, c.gone.at - sent.timestamp) if c.stayed_gone and c.gone else limit + 1
            if not (c.stayed_gone and c.gone):
                attach_text(f"{dc}", f"asked at the limit ({limit:g} s): the previous occupier's {dc} was still shown")
        attach_text(
            "measurements",
            "\n".join(
                f"{dc}: {latency[dc]:.3f} s"
                if dc in latency
                else f"{dc}: {c.describe(sent.timestamp)} (CLR-0x judges that)"
                for dc, c in cleared.items()
            ),
        )
    with allure.step(f"Each class cleared within timings.clear_within ({limit:g} s)"):
        for dc, seconds in latency.items():
            record(f"{dc} clearing latency", seconds, "s", high=limit)
        assert latency, (
            f"the meters published a CoT (Issuer Event ID 0x{event.issuer_event_id:08X}, Tariff Type "
            f"0x{event.tariff_type:02X}: received, not a fuel); nothing was cleared "
            f"(and stayed gone for {steps.cleared_hold(profile):g} s) within {eventually(profile):g} s, so no "
            f"clearing latency could be measured against timings.clear_within ({limit:g} s)"
        )
        slow = {dc: s for dc, s in latency.items() if s > limit}
        assert not slow, (
            f"the meters published a CoT (Issuer Event ID 0x{event.issuer_event_id:08X}); clearing must complete "
            f"within timings.clear_within ({limit:g} s); it took "
            + ", ".join(f"{dc} {s:.1f} s" for dc, s in slow.items())
        )


@case("CLR-06")
def test_clr_06(bench: Bench, profile: Profile) -> None:
    stored = require_stored(profile)
    classes = steps.served_at_move_in(stored)
    applies(bool(classes), "stores", "holds only supplier_messages, and a new occupier has none yet")
    require_resident_shown(bench, stored)
    settle = eventually(profile)
    with allure.step(f"Let the unit settle for {settle:g} s before the CoT"):
        # A fetch the unit scheduled after an earlier case's CoT, landing after this one,
        # would show the new occupier on time for a unit that is in fact late every time.
        bench.loop.hold(settle, "the unit to settle before the CoT")
    previous, new, event = new_occupier(bench)
    push_cot_from_all(bench, profile, event)
    steps.assert_new_occupier_shown(
        bench, profile, classes, previous, new, clear_within(profile), "after the Change of Tenancy"
    )


def _cot_actioned(bench: Bench, profile: Profile) -> tuple[dict[DataClass, Clearing], Tenant, Tenant, str]:
    """A CoT pushed and actioned (something cleared and staying gone): how each stored
    class fared, the previous and new occupiers, and the CoT in words."""
    classes = stored_and_shown(bench, profile)
    previous, new, event = new_occupier(bench)
    push_cot_from_all(bench, profile, event)
    cleared = steps.clearings(bench, classes, previous, new, eventually(profile))
    if not any(c.stayed_gone for c in cleared.values()):
        raise PreconditionNotMet(
            "nothing was cleared (and stayed gone) after the CoT, so whether it stays gone cannot be judged "
            "(see CLR-01..04)"
        )
    return (
        cleared,
        previous,
        new,
        f"the meters published a Change of Tenancy (Issuer Event ID 0x{event.issuer_event_id:08X})",
    )


def _still_gone(
    bench: Bench,
    cleared: dict[DataClass, Clearing],
    previous: Tenant,
    new: Tenant,
    window: float,
    stimulus: Callable[[], None],
    expected: Callable[[], str],
) -> None:
    """Run `stimulus`, then watch every stored class for `window`: none of the previous
    occupier's data may be added at any moment, nor seen at any look, nor at the end. A
    class that was not cleared before (never, or it came back) is judged too, at the end.
    Judged inside the watch's step: the faults, one sentence per class, follow `expected()`
    (what was sent and expected; called when the window is over, so it may count what
    happened in it)."""
    classes = list(cleared)
    gone_before = [dc for dc in classes if cleared[dc].stayed_gone]
    started = bench.loop.now()
    what = "the previous occupier's data to stay gone"
    with steps.watching(bench, classes) as watches:
        stimulus()
        with allure.step(f"Watch the unit for {window:g} s: none of {previous.name}'s data may be shown"):
            # The looks end at the window's end: a class not shown at any of them was not
            # shown at the end either (a person is asked once, then).
            looks = bench.observing.first_seen(gone_before, previous, new, steps.shows_previous, window, what)
            if not gone_before:  # nothing to look at during the window: let it pass all the same
                bench.loop.hold(window, what)
            watches.stop()  # nothing recorded while it is judged, and judged in this step
            judged = [
                _fault(bench, dc, cleared[dc], previous, new, started, looks.get(dc), watches[dc]) for dc in classes
            ]
            faults = [fault for fault in judged if fault is not None]
            expectation = expected()  # its evidence attached, pass or fail
            assert not faults, f"{expectation}; " + " | ".join(faults)


def _fault(
    bench: Bench,
    dc: DataClass,
    before: Clearing,
    previous: Tenant,
    new: Tenant,
    started: float,
    look: Observation | None,
    watch: Watch,
    seen_at_end: Observation | None = None,
) -> str | None:
    """One class over the window (its evidence attached): the sentence of its fault, if any.
    `seen_at_end`: the class as seen at the window's end, when that look was taken already."""
    if before.stayed_gone:
        if look is not None:
            final = look.detail
        elif seen_at_end is not None:
            final = seen_at_end.detail
        elif bench.observing.kind(dc) is ObserverKind.ASKED_ONCE:
            final = "not shown when asked at the end of the window"
        else:
            final = bench.observing.observe(dc, previous, new).detail
        history = "was cleared"
    else:
        end = seen_at_end if seen_at_end is not None else bench.observing.observe(dc, previous, new)
        look, final = (end if end.shows_previous else None), end.detail
        history = (
            "was never cleared (its CLR-01..04 case judges that)"
            if before.gone is None
            else "was cleared, then shown again before (its CLR-01..04 case judges that)"
        )
    again = watch.added_since(started, previous.items(dc))
    added = frozenset().union(*(items for _at, items in again))
    changes = "\n".join(
        f"+{at - started:.3f} s: added {sorted(add)} removed {sorted(gone)}" for at, add, gone in watch.changes
    )
    attach_text(f"{dc} during the window", f"before: {before.describe(started)}\nnow: {final}\n{changes}")
    if added:
        return (
            f"{dc} {history}, and {len(added)} item(s) of it were shown again from +{again[0][0] - started:.1f} s "
            f"(e.g. {sorted(added)[:3]}); now: {final}"
        )
    if look is not None:
        return f"{dc} {history}, and it is shown: {final}"
    return None


@case("CLR-07")
def test_clr_07(bench: Bench, profile: Profile) -> None:
    applies(bench.controls.available("power_control"), "bench.power_control", "is none")
    cleared, previous, new, cot = _cot_actioned(bench, profile)
    after_join = profile.timings.poll.after_join.total_seconds()

    def power_cycle() -> None:
        # Twice: what a unit restores at a later start-up (a flash bank swapped back at the
        # second power-up) is the previous occupier's data on screen all the same.
        with allure.step("Power-cycle the unit"):
            since = bench.loop.now()
            bench.controls.power_cycle()
        steps.await_each_queried(
            bench, since, after_join, "start-up after the first power cycle (a CoT query at every meter)"
        )
        with allure.step("Power-cycle the unit again, once it has started up"):
            bench.controls.power_cycle()

    _still_gone(
        bench,
        cleared,
        previous,
        new,
        after_join,
        power_cycle,
        lambda: (
            f"{cot}; expected none of the previous occupier's data shown over two power cycles and poll.after_join "
            f"({after_join:g} s) to start up after the second"
        ),
    )
    steps.require_responsive(bench, "the power cycle")


@case("CLR-08")
@pytest.mark.soak
def test_clr_08(bench: Bench, profile: Profile) -> None:
    require_stored(profile)
    # The soak starts from a CoT actioned and lasts one query interval from its anchor
    # query (POLL-03: the unit refreshes within it), so it spans the unit's own periodic
    # refreshes: the previous occupier's data must stay gone across all of them, and the
    # occupier the soak's CoT learnt by query (POLL-07) replaced must not come back either.
    soak = shared_soak(bench, profile, "CLR-08")
    if soak.settled_precondition is not None:
        raise soak.settled_precondition
    settled = soak.settled
    if settled is None:
        raise BenchError("the query soak has no CoT actioned at its start: CLR-08 cannot judge it")
    previous, resident = settled.gone, settled.resident
    learnt = soak.pull.cleared if soak.pull is not None else None
    refreshes = sorted((q for queries in soak.queries.values() for q in queries), key=lambda q: q.at)
    span = soak.end - soak.start
    with allure.step(
        f"Over the whole soak ({span:g} s, the unit undisturbed but for one provoked query): none of "
        f"{previous.name}'s data shown again"
        + (f", nor {resident.name}'s after the CoT learnt by query cleared it" if learnt is not None else "")
    ):
        attach_text(
            "the unit's refreshes (CoT queries) during the soak",
            query_log(refreshes, soak.start) if refreshes else "none (POLL-03 judges the query interval)",
        )
        faults = []
        for dc in settled.classes:
            watch = soak.watches[dc]
            end = soak.at_end[dc]
            look = end if end.shows_previous else None
            fault = _fault(bench, dc, settled.cleared[dc], previous, resident, soak.start, look, watch, seen_at_end=end)
            if fault is not None:
                faults.append(fault)
            if learnt is not None:
                again = watch.added_since(learnt.at, resident.items(dc))
                if again:
                    added = frozenset().union(*(items for _at, items in again))
                    faults.append(
                        f"{dc}: {resident.name}'s data, cleared by the CoT learnt by query at "
                        f"+{learnt.at - soak.start:.1f} s, was shown again from +{again[0][0] - soak.start:.1f} s "
                        f"({len(added)} item(s), e.g. {sorted(added)[:3]})"
                    )
        assert not faults, (
            f"{settled.cot} at the start of the soak; expected none of the previous occupier's data shown again "
            f"while the unit stays on for {span:g} s (poll.max_interval + eventually + clear_within from its anchor "
            f"query), across its own periodic refreshes ({len(refreshes)} CoT queries); " + " | ".join(faults)
        )
