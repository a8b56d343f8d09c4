"""Clearing and retention: cleared and staying gone, cleared in time, actioned at all, and
nothing removed over a window."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterable, Iterator

import allure

from harness.bench import Bench
from harness.domain import DATA_CLASSES, DataClass, Item
from harness.esi.tenant import Tenant
from harness.evidence.measurements import record
from harness.observe.base import Observation, Watch
from harness.profile import Profile
from testcases.steps.facts import (
    attach_text,
    clear_within,
    sources,
)
from testcases.steps.provoked import provoke_query, settle_after_query


# -- clearing and retention ------------------------------------------------------------------
def cleared_hold(profile: Profile) -> float:
    """How long a class seen without the previous occupier's data is watched before it
    counts as cleared: timings.clear_within, the time the unit is given to clear, so a
    cached copy re-shown moments later (a screen redrawn from RAM) is caught. Longer
    horizons are cases of their own: a power cycle (CLR-07), the unit's own periodic
    refresh (CLR-08)."""
    return clear_within(profile)


def shows_previous(observation: Observation) -> bool:
    return observation.shows_previous


@dataclasses.dataclass(frozen=True)
class Clearing:
    """One class after a CoT: when the previous occupier's data was first seen gone, and
    whether it stayed gone over the hold that followed (cleared_hold)."""

    data_class: DataClass
    gone: Observation | None  # first seen without the previous occupier's data (None: not in time)
    hold: float  # seconds it was watched after the wait (from `gone` on, at least this long)
    back: Observation | None = None  # a look during the hold that saw the previous occupier's data
    back_items: frozenset[Item] = frozenset()  # the previous occupier's items added again (exact observers)
    back_at: float | None = None  # bench time they were first seen again

    @property
    def stayed_gone(self) -> bool:
        return self.gone is not None and self.back is None and not self.back_items

    def describe(self, since: float) -> str:
        """For a report line: what was seen, in seconds from `since` (e.g. the CoT sent)."""
        if self.gone is None:
            return "not seen cleared within the wait"
        text = f"seen gone at +{self.gone.at - since:.3f} s"
        if self.stayed_gone:
            return f"{text}, still gone {self.hold:g} s later"
        back_at = self.back_at if self.back_at is not None else self.gone.at
        again = f" ({len(self.back_items)} item(s), e.g. {sorted(self.back_items)[:3]})" if self.back_items else ""
        detail = f"; {self.back.detail}" if self.back is not None else ""
        return f"{text}, then shown again {back_at - self.gone.at:.3f} s later{again}{detail}"


class Watches(dict[DataClass, Watch]):
    """Each class's watch; stop() ends them all, once (the `watching` block's end does too)."""

    def __init__(self, started: dict[DataClass, tuple[Watch, Callable[[], None]]]) -> None:
        super().__init__({dc: watch for dc, (watch, _stop) in started.items()})
        self._stops = [stop for _watch, stop in started.values()]

    def stop(self) -> None:
        """Stop recording: a check stops them before it judges them, inside its own step,
        so nothing is recorded while the verdict reads them."""
        stops, self._stops = self._stops, []
        for stop in stops:
            stop()


@contextlib.contextmanager
def watching(bench: Bench, classes: Iterable[DataClass]) -> Iterator[Watches]:
    """Record every change of each class while the block runs (an event-driven observer
    reports each one; the others are judged by the looks the waits take)."""
    watches = Watches({dc: bench.observing.watch(dc) for dc in classes})
    try:
        yield watches
    finally:
        watches.stop()


def clearings(
    bench: Bench,
    classes: Iterable[DataClass],
    previous: Tenant,
    new: Tenant,
    timeout: float,
    until: str = "all",
) -> dict[DataClass, Clearing]:
    """Wait until each class (until="any": one) is seen without the previous occupier's
    data, within timeout; then watch those for cleared_hold: a look that sees the previous
    occupier's data again, or an item of it added again (caught as it happens by an
    event-driven observer), means it was not cleared. Watching starts before the wait, so
    nothing shown between the first look and the hold escapes."""
    classes = list(classes)
    hold = cleared_hold(bench.profile)
    with watching(bench, classes) as watches:
        first = bench.observing.first_seen(
            classes,
            previous,
            new,
            lambda o: not o.shows_previous,
            timeout,
            "the previous occupier's data to be cleared",
            until,
        )
        gone = {dc: seen for dc, seen in first.items() if seen is not None}
        looks: dict[DataClass, Observation | None] = {}
        if gone:
            with allure.step(f"What was cleared stays gone for {hold:g} s (timings.clear_within)"):
                looks = bench.observing.first_seen(
                    list(gone), previous, new, shows_previous, hold, "the previous occupier's data to stay gone"
                )
    found = {}
    for dc in classes:
        seen = first[dc]
        if seen is None:
            found[dc] = Clearing(dc, None, hold)
            continue
        again = watches[dc].added_since(seen.at, previous.items(dc))
        back = looks.get(dc)
        items = frozenset().union(*(added for _at, added in again))
        back_at = min([at for at, _added in again] + ([back.at] if back is not None else []), default=None)
        found[dc] = Clearing(dc, seen, hold, back, items, back_at)
    return found


def await_cleared(bench: Bench, dc: DataClass, previous: Tenant, new: Tenant, timeout: float) -> Observation | None:
    """The first moment one class is seen without the previous occupier's data: not yet a
    clearing (that it stays gone is judged by `clearings`)."""
    return bench.observing.wait_observed(
        dc, previous, new, lambda o: not o.shows_previous, timeout, f"the previous occupier's {dc} to be cleared"
    )


def assert_cleared(
    bench: Bench,
    classes: Iterable[DataClass],
    previous: Tenant,
    new: Tenant,
    timeout: float,
    stimulus: str,
    since: float | None = None,
) -> dict[DataClass, Observation]:
    """Each class loses the previous occupier's data within timeout and it stays gone for
    cleared_hold (latency recorded from `since`); the first observation without it, per class."""
    classes = list(classes)
    with allure.step(f"The previous occupier's {', '.join(classes)} gone within {timeout:g} s, and staying gone"):
        found = clearings(bench, classes, previous, new, timeout)
        last = {dc: c.back or c.gone or bench.observing.observe(dc, previous, new) for dc, c in found.items()}
        for dc, clearing in found.items():
            start = since if since is not None else clearing.gone.at if clearing.gone is not None else 0.0
            attach_text(f"{dc} after", f"{clearing.describe(start)}; {last[dc].detail}")
        # Judged inside the step (every class's evidence attached first): the step that
        # names the check is the one that fails.
        cleared = {}
        for dc, clearing in found.items():
            assert clearing.gone is not None, (
                f"{stimulus}; expected the previous occupier's {dc} gone within {timeout:g} s; "
                f"still shown: {last[dc].detail}"
            )
            assert clearing.stayed_gone, (
                f"{stimulus}; the previous occupier's {dc} was cleared, then shown again within "
                f"{clearing.hold:g} s (timings.clear_within): it must stay gone; "
                f"{clearing.describe(since if since is not None else clearing.gone.at)}"
            )
            if since is not None:
                record(f"{dc} clearing latency", clearing.gone.at - since, "s", high=timeout)
            cleared[dc] = clearing.gone
    return cleared


def cleared_times(
    bench: Bench, classes: Iterable[DataClass], previous: Tenant, new: Tenant, timeout: float, until: str = "all"
) -> dict[DataClass, Observation | None]:
    """When each class was first seen without the previous occupier's data, for a class
    that then stayed gone over cleared_hold (None: not cleared in time, or shown again)."""
    found = clearings(bench, classes, previous, new, timeout, until=until)
    return {dc: clearing.gone if clearing.stayed_gone else None for dc, clearing in found.items()}


def assert_actioned(
    bench: Bench, classes: Iterable[DataClass], previous: Tenant, new: Tenant, timeout: float, stimulus: str
) -> tuple[DataClass, Observation]:
    """The CoT was actioned: at least one stored class lost the previous occupier's data
    and it stayed gone over cleared_hold (a unit that undoes the clearing moments later
    has not actioned it).

    Cases whose rule is not "class X is cleared" judge this, so that a unit that keeps one
    class fails that class's CLR case and nothing else."""
    classes = list(classes)
    with allure.step(f"The unit actions the CoT (previous occupier's data cleared) within {timeout:g} s"):
        found = clearings(bench, classes, previous, new, timeout, until="any")
        for dc, clearing in found.items():
            if clearing.stayed_gone and clearing.gone is not None:
                attach_text("actioned", f"{dc}: {clearing.describe(clearing.gone.at)}; {clearing.gone.detail}")
                return dc, clearing.gone
        seen = {dc: c for dc, c in found.items() if c.gone is not None}
        details = "; ".join(
            f"{dc}: {c.describe(c.gone.at) if c.gone else bench.observing.observe(dc, previous, new).detail}"
            for dc, c in found.items()
        )
        if seen:
            raise AssertionError(
                f"{stimulus}; expected the CoT actioned (the previous occupier's data cleared and staying gone for "
                f"{cleared_hold(bench.profile):g} s) within {timeout:g} s; what was cleared was shown again: {details}"
            )
        raise AssertionError(
            f"{stimulus}; expected the CoT actioned (the previous occupier's data cleared) within "
            f"{timeout:g} s; nothing was cleared: {details}"
        )


def retained(
    bench: Bench,
    classes: Iterable[DataClass],
    tenant: Tenant,
    other: Tenant,
    window: float,
    stimulus: Callable[[], None],
    what: str,
) -> None:
    """Nothing of `tenant`'s data is removed while `stimulus` runs and `window` passes."""
    classes = list(classes)
    with watching(bench, classes) as watches:
        watch_started = bench.loop.now()
        stimulus()
        with allure.step(f"Watch the unit for {window:g} s: {tenant.name}'s data must stay"):
            bench.observing.watch_for(window, f"observation window after {what}", tenant, other)
            # Judged inside the step: the watch that names the check is the step that fails.
            lost = _lost(bench, watches, watch_started, tenant, other, what, f"over {window:g} s")
            assert not lost, lost


def retained_until(
    bench: Bench,
    classes: Iterable[DataClass],
    tenant: Tenant,
    other: Tenant,
    end: float,
    stimulus: Callable[[], None],
    what: str,
) -> None:
    """Nothing of `tenant`'s data is removed while `stimulus` runs and until bench time `end`:
    a window with a fixed end (a CoT's due time), however long the stimulus took (a power
    cycle and the unit's start-up within it)."""
    classes = list(classes)
    with watching(bench, classes) as watches:
        watch_started = bench.loop.now()
        stimulus()
        window = max(0.0, end - bench.loop.now())
        with allure.step(f"Watch the unit to +{end - watch_started:.1f} s: {tenant.name}'s data must stay"):
            bench.observing.watch_for(window, f"observation window after {what}", tenant, other)
            # Judged inside the step: the watch that names the check is the step that fails.
            lost = _lost(bench, watches, watch_started, tenant, other, what, f"to +{end - watch_started:.1f} s")
            assert not lost, lost


def retained_until_queried(
    bench: Bench,
    profile: Profile,
    classes: Iterable[DataClass],
    tenant: Tenant,
    other: Tenant,
    stimulus: Callable[[], None],
    what: str,
    *,
    provoked_by: str | None = None,
) -> None:
    """Nothing of `tenant`'s data is removed while `stimulus` runs, then until `eventually`
    + clear_within after the unit's next CoT query at every meter has been answered: a
    query provoked by a rejoin or power cycle (steps.provoked), or, without controls, the
    unit's own, up to timings.observation_window. provoked_by ("rejoin", "power cycle"): the
    stimulus was itself one, and its query ends the window (NEG-05)."""
    classes = list(classes)
    settle = settle_after_query(profile)
    with watching(bench, classes) as watches:
        watch_started = bench.loop.now()
        stimulus()
        queried = provoke_query(bench, profile, watch_started, provoked_by)
        answered = queried.last
        end = (answered if answered is not None else bench.loop.now()) + settle
        when = (
            f"{settle:g} s (eventually + clear_within) after the CoT query that followed {queried.how}"
            if answered is not None
            else f"{settle:g} s more (no CoT query came: POLL-01..03 judge that)"
        )
        with allure.step(f"Watch the unit until {when}: {tenant.name}'s data must stay"):
            bench.observing.watch_for(max(0.0, end - bench.loop.now()), f"the window after {what}", tenant, other)
            # Judged inside the step: the watch that names the check is the step that fails.
            span = f"from the stimulus until {when} (+{end - watch_started:.1f} s)"
            lost = _lost(bench, watches, watch_started, tenant, other, what, span)
            assert not lost, lost


def _lost(
    bench: Bench, watches: Watches, watch_started: float, tenant: Tenant, other: Tenant, what: str, span: str
) -> str:
    """Each class's evidence attached, then the sentence of the first class of `tenant`'s
    removed or no longer shown ("" when all were retained); its caller asserts it inside the
    step that names the check."""
    watches.stop()
    for dc, watch in watches.items():
        lost: set[Item] = set(watch.removed) & set(tenant.items(dc))
        final = bench.observing.observe(dc, tenant, other)
        changes = "\n".join(
            f"+{at - watch_started:.3f} s: added {sorted(added)} removed {sorted(removed)}"
            for at, added, removed in watch.changes
        )
        attach_text(f"{dc} after", f"{final.detail}; removed during the window: {len(lost)} item(s)\n{changes}")
        if lost or watch.gone or not final.shows_previous:
            return (
                f"{what}; expected {tenant.name}'s {dc} retained {span}; "
                + (
                    f"{len(lost)} item(s) were cleared during the window (e.g. {sorted(lost)[:3]}, first at "
                    f"+{_first_removed(watch, lost) - watch_started:.1f} s)"
                    if lost
                    else "no item of it was seen removed during the window"
                )
                + f"{'; an observation during the window saw it gone' if watch.gone else ''}; now: {final.detail}"
            )
    return ""


def _first_removed(watch: Watch, items: set[Item]) -> float:
    return min((at for at, _added, removed in watch.changes if set(removed) & items), default=0.0)


def served_at_move_in(classes: Iterable[DataClass]) -> list[DataClass]:
    """The classes a new occupier has from move-in (history, top-ups, debt; no supplier
    message yet): what "not left blank" after a CoT applies to."""
    return [dc for dc in classes if DATA_CLASSES[dc].served_at_move_in]


def _fuels_served(bench: Bench, profile: Profile, tenant: Tenant, data_class: DataClass) -> frozenset[str]:
    """The fuels of the declared meters (esi.sources) that serve `tenant` some of the class."""
    fuels = {bench.meters[source].fuel for source in sources(profile)}
    return frozenset(str(fuel) for fuel in fuels if tenant.items(data_class, fuel))


def _shown_for(fuels: frozenset[str], tenant: Tenant) -> Callable[[Observation], bool]:
    """Some of `tenant`'s data shown for every one of `fuels` (an observer reading exact
    items); an observer answering yes/no for the class as a whole can only say "some"."""

    def shown(observation: Observation) -> bool:
        seen = observation.fuels_of(tenant)
        return observation.shows_new if seen is None else bool(seen) and fuels <= seen

    return shown


def assert_new_occupier_shown(
    bench: Bench,
    profile: Profile,
    classes: Iterable[DataClass],
    previous: Tenant,
    new: Tenant,
    limit: float,
    after: str,
) -> None:
    """CLR-06's rule, whatever path the CoT came by: within `limit`, each class is shown with
    some of the new occupier's data for every fuel the meters serve it (not left blank)."""
    for dc in classes:
        fuels = _fuels_served(bench, profile, new, dc)
        each = ", ".join(sorted(fuels))
        with allure.step(f"The new occupier's {dc} is shown within {limit:g} s, for each fuel served ({each})"):
            seen = bench.observing.wait_observed(
                dc, previous, new, _shown_for(fuels, new), limit, f"the new occupier's {dc} ({each})"
            )
            last = seen or bench.observing.observe(dc, previous, new)
            attach_text(f"{dc} after", last.detail)
            if last.items is None:
                attach_text(
                    "limit of the observer",
                    f"observe.{dc} answers yes/no for the class as a whole: whether the new occupier's {dc} is shown "
                    f"for every fuel ({each}) cannot be asked; judged: some of it is shown",
                )
            shown_fuels = last.fuels_of(new)
            missing = "" if shown_fuels is None else f"; none shown for {', '.join(sorted(fuels - shown_fuels))}"
            assert seen is not None, (
                f"{after} the meters serve {new.name}'s {dc} for {each}; expected it shown for each within "
                f"{limit:g} s{missing}; the unit shows: {last.detail}"
            )
