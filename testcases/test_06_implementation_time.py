"""Implementation Date/Time: IMPL-01 .. IMPL-04 (policy declared in behaviour.implementation_time)."""

from __future__ import annotations

import allure

from harness.bench import Bench
from harness.catalogue import case
from harness.esi.meter import CotEvent
from harness.plugin import applies
from harness.profile import ImplementationTime, Profile
from harness.zcl.time import CANCEL
from testcases import steps
from testcases.steps import (
    assert_actioned,
    eventually,
    new_occupier,
    push_cot_from_all,
    retained,
    stored_and_shown,
    zcl_now,
)

HOUR, DAY = 3600, 86400


def _cot_actioned_on_receipt(bench: Bench, profile: Profile, implementation_time: int, what: str) -> None:
    classes = stored_and_shown(bench, profile)
    previous, new, event = new_occupier(bench, implementation_time=implementation_time)
    push_cot_from_all(bench, profile, event)
    assert_actioned(bench, classes, previous, new, eventually(profile), f"Publish CoT with {what}")


@case("IMPL-01")
def test_impl_01(bench: Bench, profile: Profile) -> None:
    _cot_actioned_on_receipt(bench, profile, zcl_now(bench) - DAY, "an implementation time a day in the past")


@case("IMPL-03")
def test_impl_03(bench: Bench, profile: Profile) -> None:
    _cot_actioned_on_receipt(bench, profile, 0, "implementation time 0 (now)")


@case("IMPL-02")
def test_impl_02(bench: Bench, profile: Profile) -> None:
    if profile.behaviour.implementation_time is ImplementationTime.ON_RECEIPT:
        _cot_actioned_on_receipt(
            bench,
            profile,
            zcl_now(bench) + HOUR,
            "an implementation time an hour ahead (behaviour.implementation_time on_receipt)",
        )
        return
    classes = stored_and_shown(bench, profile)
    due_in = HOUR
    previous, new, event = new_occupier(bench, implementation_time=zcl_now(bench) + due_in)
    sent_at = bench.loop.now()
    retained(
        bench,
        classes,
        previous,
        new,
        due_in - steps.response_timeout(profile) - (bench.loop.now() - sent_at),
        lambda: push_cot_from_all(bench, profile, event),
        "a CoT scheduled an hour ahead (behaviour.implementation_time scheduled), before that time",
    )
    with allure.step("After the implementation time the CoT is actioned"):
        assert_actioned(
            bench,
            classes,
            previous,
            new,
            steps.response_timeout(profile) + eventually(profile),
            "a scheduled CoT reached its implementation time",
        )


@case("IMPL-04")
def test_impl_04(bench: Bench, profile: Profile) -> None:
    applies(
        profile.behaviour.implementation_time is ImplementationTime.SCHEDULED,
        "behaviour.implementation_time",
        "is on_receipt: 0xFFFFFFFF cancels only a scheduled CoT",
    )
    classes = stored_and_shown(bench, profile)
    previous, new, event = new_occupier(bench, implementation_time=zcl_now(bench) + HOUR)
    cancel = CotEvent(issuer_event_id=event.issuer_event_id, implementation_time=CANCEL)

    def schedule_then_cancel() -> None:
        for sent in push_cot_from_all(bench, profile, event):
            # Cancel only what the unit has acknowledged: a cancel overtaking the CoT on
            # the air would test nothing.
            if steps.await_default_response(bench, sent, steps.response_timeout(profile)) is None:
                bench.loop.hold(steps.response_timeout(profile), "the scheduled CoT to arrive")
        with allure.step("The meters cancel it: the same Issuer Event ID with implementation time 0xFFFFFFFF"):
            bench.occupancy.cancel_move(cancel)  # the previous occupier stays
            push_cot_from_all(bench, profile, cancel)

    retained(
        bench,
        classes,
        previous,
        new,
        HOUR + eventually(profile),
        schedule_then_cancel,
        "a scheduled CoT cancelled with implementation time 0xFFFFFFFF, past its original time",
    )
