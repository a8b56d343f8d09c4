"""The one wait over every kind of observer: how often each kind is asked, and what is found.

The loop runs on a clock the test advances (quiet: time jumps to each deadline), so the
figures are exact and no test waits in real time.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.bench.loop import BenchLoop
from harness.bench.observing import POLLS_PER_WAIT, Observing
from harness.domain import DataClass
from harness.errors import BenchError, PreconditionNotMet
from harness.esi.tenancy import make_tenant
from harness.esi.tenant import Tenant
from harness.observe.base import Observation, ObserverKind
from harness.profile import parse_profile
from tests.suite.conftest import REPO

PREVIOUS, NEW = make_tenant(0), make_tenant(1)
DC = DataClass.CONSUMPTION_HISTORY


class SteppedClock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def now(self) -> float:
        return self.t

    def advance_to(self, deadline: float) -> None:
        self.t = max(self.t, deadline)


class CountingObserver:
    """Shows the previous occupier until `clears_at`, then nothing; counts each question."""

    name = "counting"

    def __init__(self, kind: ObserverKind, clock: SteppedClock, clears_at: float = float("inf")) -> None:
        self.kind = kind
        self.clock = clock
        self.clears_at = clears_at
        self.asked: list[float] = []

    def observe(self, data_class: DataClass, previous: Tenant, new: Tenant) -> Observation:
        now = self.clock.now()
        self.asked.append(now)
        shown = now < self.clears_at
        return Observation(data_class, now, shown, False, "shown" if shown else "cleared")


@pytest.fixture
def clock() -> SteppedClock:
    return SteppedClock()


@pytest.fixture
def loop(clock: SteppedClock) -> Iterator[BenchLoop]:
    the_loop = BenchLoop(clock, quiet=lambda: True, advance_to=clock.advance_to, poll_interval=0.001)
    the_loop.start()
    yield the_loop
    the_loop.close()


def _observing(loop: BenchLoop, observer: CountingObserver) -> Observing:
    profile = parse_profile(__import__("yaml").safe_load((REPO / "device_profiles" / "sim-ihd.yaml").read_text()))
    return Observing(loop, profile, {DC: observer})  # type: ignore[dict-item]


def _cleared(o: Observation) -> bool:
    return not o.shows_previous


def test_a_person_is_asked_once_when_the_time_is_up(loop: BenchLoop, clock: SteppedClock) -> None:
    person = CountingObserver(ObserverKind.ASKED_ONCE, clock, clears_at=clock.t + 10)
    started = clock.t
    seen = _observing(loop, person).wait_observed(DC, PREVIOUS, NEW, _cleared, 100, "cleared")
    assert person.asked == [started + 100]
    assert seen is not None and seen.at == started + 100


def test_a_polled_observer_is_asked_about_twenty_times_and_stops_when_satisfied(
    loop: BenchLoop, clock: SteppedClock
) -> None:
    polled = CountingObserver(ObserverKind.POLLED, clock)
    _observing(loop, polled).wait_observed(DC, PREVIOUS, NEW, _cleared, 100, "cleared")
    assert POLLS_PER_WAIT <= len(polled.asked) <= POLLS_PER_WAIT + 1
    gaps = {round(b - a, 6) for a, b in zip(polled.asked, polled.asked[1:], strict=False)}
    assert gaps == {100 / POLLS_PER_WAIT}

    early = CountingObserver(ObserverKind.POLLED, clock, clears_at=clock.t + 12)
    seen = _observing(loop, early).wait_observed(DC, PREVIOUS, NEW, _cleared, 100, "cleared")
    assert seen is not None and len(early.asked) == 4  # at 0, 5, 10 and 15 s: cleared at 12 s


def test_an_event_driven_observer_is_read_on_the_loop(loop: BenchLoop, clock: SteppedClock) -> None:
    threads = []
    watched = CountingObserver(ObserverKind.EVENT_DRIVEN, clock, clears_at=clock.t + 30)
    original = watched.observe

    def observe(*args: object) -> Observation:
        threads.append(loop.on_loop())
        return original(*args)  # type: ignore[arg-type]

    watched.observe = observe  # type: ignore[method-assign]
    start = clock.t
    seen = _observing(loop, watched).wait_observed(DC, PREVIOUS, NEW, _cleared, 100, "cleared")
    # Nothing is in flight: the clock jumps to the deadline (in simulation, to the next
    # device timer first), and the condition is read again there.
    assert seen is not None and seen.at == start + 100
    assert threads and all(threads)  # every read on the loop thread


def test_first_seen_reports_each_class_at_its_own_time(loop: BenchLoop, clock: SteppedClock) -> None:
    start = clock.t
    fast = CountingObserver(ObserverKind.POLLED, clock, clears_at=start + 10)
    slow = CountingObserver(ObserverKind.POLLED, clock, clears_at=start + 50)
    observing = _observing(loop, fast)
    observing.observers[DataClass.SUPPLIER_MESSAGES] = slow  # type: ignore[assignment]
    found = observing.first_seen([DC, DataClass.SUPPLIER_MESSAGES], PREVIOUS, NEW, _cleared, 100, "cleared")
    assert found[DC] is not None and found[DC].at == start + 10
    assert found[DataClass.SUPPLIER_MESSAGES] is not None and found[DataClass.SUPPLIER_MESSAGES].at == start + 50
    any_one = observing.first_seen(
        [DC, DataClass.SUPPLIER_MESSAGES], PREVIOUS, NEW, lambda o: o.shows_previous, 100, "shown", until="any"
    )
    assert any_one[DC] is None and any_one[DataClass.SUPPLIER_MESSAGES] is None  # both cleared by now


def test_a_precondition_that_never_comes_true_is_bench_trouble(loop: BenchLoop, clock: SteppedClock) -> None:
    never = CountingObserver(ObserverKind.POLLED, clock, clears_at=clock.t)  # shows nothing, ever
    with pytest.raises(PreconditionNotMet, match="never showed the previous occupier"):
        _observing(loop, never).require_shown(DC, PREVIOUS, NEW)


def test_a_class_without_an_observer_names_the_profile_field(loop: BenchLoop, clock: SteppedClock) -> None:
    observing = _observing(loop, CountingObserver(ObserverKind.POLLED, clock))
    with pytest.raises(BenchError, match="observe.top_up_history"):
        observing.observe(DataClass.TOP_UP_HISTORY, PREVIOUS, NEW)


def test_a_polled_watch_samples_over_the_window(loop: BenchLoop, clock: SteppedClock) -> None:
    start = clock.t
    polled = CountingObserver(ObserverKind.POLLED, clock, clears_at=start + 40)
    observing = _observing(loop, polled)
    watch, stop = observing.watch(DC)
    observing.watch_for(100, "window", PREVIOUS, NEW)
    stop()
    assert watch.gone, "a sample after 40 s saw the previous occupier's data gone"
    assert clock.t == start + 100
