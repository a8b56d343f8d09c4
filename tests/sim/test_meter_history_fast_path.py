"""The reference meter's kept half-hours (harness/sim/devices/meter.py `_held`) give what its
hooks give one by one: intervals, each history attribute and the register, at every clock
and boundary, for the ESME and the GPF; a model overriding a hook takes the hooks."""

from __future__ import annotations

import types

import pytest

from harness.sim.devices.meter import DAY, HALF_HOUR, METERING, PREPAYMENT, ReferenceEsme, ReferenceGpf, ReferenceMeter

START = 812_345_678  # ZCL UTC seconds, mid half-hour


class _Clock:
    def __init__(self) -> None:
        self.zcl = START

    def now(self) -> float:
        return self.zcl + 946_684_800  # the meter's zcl_now subtracts the UNIX offset


def _world(clock: _Clock) -> object:
    identity = types.SimpleNamespace(
        ieee="00:0d:6f:00:00:00:00:01", endpoint=1, manufacturer="m", model="x", firmware_version="1"
    )
    profile = types.SimpleNamespace(identity=identity, behaviour=types.SimpleNamespace(prior_issuer_event_id=None))
    return types.SimpleNamespace(profile=profile, clock=clock)


def _hook_by_hook(base: type[ReferenceMeter]) -> type[ReferenceMeter]:
    class HookByHook(base):  # type: ignore[valid-type, misc]
        def served(self, dated: int, kind: str) -> bool:  # the reference's rule, as an override
            return super().served(dated, kind)

    return HookByHook


def _read(meter: ReferenceMeter) -> tuple[object, ...]:
    now = meter.zcl_now()
    windows = [(now - n * DAY, now - n * DAY + span) for n in (0, 1, 7, 40, 70) for span in (HALF_HOUR, DAY, 7 * DAY)]
    return (
        meter.intervals(),
        meter.attribute_table(METERING),
        meter.attribute_table(PREPAYMENT),
        meter.summation(),
        [meter.consumed(start, end) for start, end in windows],
    )


@pytest.mark.parametrize("base", [ReferenceEsme, ReferenceGpf])
def test_the_kept_half_hours_are_what_the_hooks_give(base: type[ReferenceMeter]) -> None:
    clock = _Clock()
    fast, slow = base(_world(clock)), _hook_by_hook(base)(_world(clock))  # type: ignore[arg-type]
    assert fast._own_history_rules() and not slow._own_history_rules()
    for step in (0, 1, 7 * 60, HALF_HOUR, 3 * HALF_HOUR + 5, DAY, 9 * DAY):
        clock.zcl += step
        for boundary in (None, clock.zcl - 3 * DAY, clock.zcl - HALF_HOUR, clock.zcl + DAY, START - 90 * DAY):
            fast.boundary = slow.boundary = boundary
            assert _read(fast) == _read(slow), (step, boundary)


def test_a_hook_replaced_on_the_instance_is_taken() -> None:
    meter = ReferenceEsme(_world(_Clock()))  # type: ignore[arg-type]
    before = meter.consumed(START - DAY, START)
    meter.served = lambda dated, kind: False  # type: ignore[method-assign]
    assert not meter._own_history_rules()
    assert before > 0 and meter.consumed(START - DAY, START) == 0 and meter.intervals() == []
