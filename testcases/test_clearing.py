"""Clearing (one case per data class the UUT declares it stores): catalogue section CLR."""

from __future__ import annotations

import allure

from harness.bench import Bench
from harness.catalogue import case
from harness.esi.tenant import DataClass
from harness.plugin import applies
from harness.profile import Profile
from testcases.steps import send_publish_cot


def _clears(bench: Bench, profile: Profile, data_class: DataClass) -> None:
    applies(data_class in profile.stores, "stores", f"does not include {data_class}")
    previous, upcoming = bench.tenancy.resident, bench.tenancy.upcoming
    with allure.step(f"Precondition: the unit shows the previous occupier's {data_class}"):
        seen = bench.require_previous_shown(data_class, previous, upcoming)
        allure.attach(seen.detail, name="observed", attachment_type=allure.attachment_type.TEXT)
    with allure.step("A new occupier moves in: the meters hold the CoT and serve only new data"):
        _previous, new, event = bench.move_in()
    source = profile.esi.sources[0]
    sent = send_publish_cot(bench, source, event)
    clear_within = profile.timings.clear_within.total_seconds()
    with allure.step(f"The previous occupier's {data_class} is gone within clear_within {clear_within:g} s"):
        cleared = bench.await_observation(
            data_class,
            previous,
            new,
            lambda o: not o.shows_previous,
            clear_within,
            f"the previous occupier's {data_class} to be cleared",
        )
        last = cleared or bench.observe(data_class, previous, new)
        allure.attach(last.detail, name="observed", attachment_type=allure.attachment_type.TEXT)
    assert cleared is not None, (
        f"{source.upper()} sent Publish Change of Tenancy (Issuer Event ID 0x{event.issuer_event_id:08X}); "
        f"expected the previous occupier's {data_class} gone within {clear_within:g} s; "
        f"still shown: {last.detail}"
    )
    allure.dynamic.parameter("clearing latency (s)", f"{cleared.at - sent.timestamp:.3f}")


@case("CLR-01")
def test_clr_01(bench: Bench, profile: Profile) -> None:
    _clears(bench, profile, DataClass.CONSUMPTION_HISTORY)
