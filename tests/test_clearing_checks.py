"""Cleared means gone and staying gone: the clearing steps over observers of every kind.

The loop runs on a clock the test advances (quiet: time jumps to each deadline), as in
tests/bench/test_observing.py; an observer's answer is a function of that clock, so a unit
that re-shows the previous occupier's data moments after clearing it is modelled exactly.
"""

from __future__ import annotations

import types
from collections.abc import Iterator

import pytest
import yaml

from harness.bench.loop import BenchLoop
from harness.bench.observing import Observing, poll_interval
from harness.domain import DataClass, Fuel
from harness.esi.tenancy import make_tenant
from harness.esi.tenant import Tenant
from harness.observe.base import Observation, ObserverKind, Watch, judge
from harness.profile import Profile, parse_profile
from testcases import steps
from tests.bench.test_observing import SteppedClock
from tests.suite.conftest import REPO

PREVIOUS, NEW = make_tenant(0), make_tenant(1)
DC = DataClass.CONSUMPTION_HISTORY
TIMEOUT = 80.0  # the wait for a clearing (EVENTUALLY_FACTOR x clear_within of sim-ihd.yaml)


class ScriptedObserver:
    """Shows the previous occupier's data except from `clears_at` until `back_at`."""

    name = "scripted"

    def __init__(
        self, kind: ObserverKind, clock: SteppedClock, clears_at: float, back_at: float = float("inf")
    ) -> None:
        self.kind = kind
        self.clock = clock
        self.clears_at = clears_at
        self.back_at = back_at

    def observe(self, data_class: DataClass, previous: Tenant, new: Tenant) -> Observation:
        now = self.clock.now()
        shown = not self.clears_at <= now < self.back_at
        return Observation(data_class, now, shown, True, "previous shown" if shown else "previous gone")


@pytest.fixture
def clock() -> SteppedClock:
    return SteppedClock()


@pytest.fixture
def loop(clock: SteppedClock) -> Iterator[BenchLoop]:
    the_loop = BenchLoop(clock, quiet=lambda: True, advance_to=clock.advance_to, poll_interval=0.001)
    the_loop.start()
    yield the_loop
    the_loop.close()


@pytest.fixture
def profile() -> Profile:
    return parse_profile(yaml.safe_load((REPO / "device_profiles" / "sim-ihd.yaml").read_text()))


def _bench(loop: BenchLoop, profile: Profile, observer: ScriptedObserver) -> types.SimpleNamespace:
    """What the clearing steps use of a bench: its profile and its observing."""
    return types.SimpleNamespace(profile=profile, observing=Observing(loop, profile, {DC: observer}))  # type: ignore[dict-item]


@pytest.mark.parametrize("kind", [ObserverKind.POLLED, ObserverKind.ASKED_ONCE])
def test_a_class_that_stays_gone_is_cleared(loop: BenchLoop, clock: SteppedClock, profile: Profile, kind) -> None:  # noqa: ANN001
    bench = _bench(loop, profile, ScriptedObserver(kind, clock, clears_at=clock.t + 5))
    [clearing] = steps.clearings(bench, [DC], PREVIOUS, NEW, TIMEOUT).values()  # type: ignore[arg-type]
    assert clearing.stayed_gone and clearing.gone is not None
    assert clearing.hold == steps.clear_within(profile)


def test_a_class_shown_again_moments_later_is_not_cleared(
    loop: BenchLoop, clock: SteppedClock, profile: Profile
) -> None:
    first_poll = poll_interval(TIMEOUT)  # the observer's first look after the start

    def reshowing() -> types.SimpleNamespace:  # gone at the first look, back 3 s later (inside the hold)
        gone_at = clock.t + first_poll
        return _bench(loop, profile, ScriptedObserver(ObserverKind.POLLED, clock, gone_at, back_at=gone_at + 3))

    [clearing] = steps.clearings(reshowing(), [DC], PREVIOUS, NEW, TIMEOUT).values()  # type: ignore[arg-type]
    assert clearing.gone is not None and not clearing.stayed_gone
    assert clearing.back is not None and clearing.back.shows_previous
    assert steps.cleared_times(reshowing(), [DC], PREVIOUS, NEW, TIMEOUT) == {DC: None}  # type: ignore[arg-type]
    with pytest.raises(AssertionError, match="then shown again within 10 s"):
        steps.assert_cleared(reshowing(), [DC], PREVIOUS, NEW, TIMEOUT, "a CoT")  # type: ignore[arg-type]
    with pytest.raises(AssertionError, match="what was cleared was shown again"):
        steps.assert_actioned(reshowing(), [DC], PREVIOUS, NEW, TIMEOUT, "a CoT")  # type: ignore[arg-type]


def test_a_person_asked_after_the_hold_says_it_is_back(loop: BenchLoop, clock: SteppedClock, profile: Profile) -> None:
    # A person is asked when the wait is up (here: when the clearing wait ends) and once
    # more when the hold is up; shown again by then, it was not cleared.
    started = clock.t
    observer = ScriptedObserver(ObserverKind.ASKED_ONCE, clock, started + 5, back_at=started + TIMEOUT + 1)
    [clearing] = steps.clearings(_bench(loop, profile, observer), [DC], PREVIOUS, NEW, TIMEOUT).values()  # type: ignore[arg-type]
    assert clearing.gone is not None and not clearing.stayed_gone


def test_a_class_never_cleared_has_no_clearing(loop: BenchLoop, clock: SteppedClock, profile: Profile) -> None:
    bench = _bench(loop, profile, ScriptedObserver(ObserverKind.POLLED, clock, clears_at=float("inf")))
    [clearing] = steps.clearings(bench, [DC], PREVIOUS, NEW, TIMEOUT).values()  # type: ignore[arg-type]
    assert clearing.gone is None and not clearing.stayed_gone
    with pytest.raises(AssertionError, match="still shown"):
        steps.assert_cleared(bench, [DC], PREVIOUS, NEW, TIMEOUT, "a CoT")  # type: ignore[arg-type]


def test_a_watch_finds_items_added_again_however_briefly() -> None:
    watch = Watch(DC)
    old = PREVIOUS.items(DC)
    some = frozenset(sorted(old)[:2])
    watch.record(10.0, frozenset(), old)  # cleared
    watch.record(12.0, some, frozenset())  # re-shown ...
    watch.record(12.5, frozenset(), some)  # ... and gone again before anyone looked
    assert watch.added_since(10.0, old) == [(12.0, some)]
    assert watch.added_since(13.0, old) == []
    assert watch.added_since(0.0, NEW.items(DC)) == []


def test_the_fuels_shown_are_read_from_exact_items_only() -> None:
    electricity = NEW.items(DC, Fuel.ELECTRICITY)
    seen = judge(DC, 0.0, electricity | PREVIOUS.items(DC, Fuel.GAS), PREVIOUS, NEW, "test")
    assert seen.fuels_of(NEW) == {"electricity"}
    assert seen.fuels_of(PREVIOUS) == {"gas"}
    yes_no = Observation(DC, 0.0, False, True, "an operator said yes")
    assert yes_no.fuels_of(NEW) is None
