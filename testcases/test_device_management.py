"""Device Management client (UUT = IHD or PPMID): catalogue section DM."""

from __future__ import annotations

import allure

from harness.bench import Bench
from harness.catalogue import case
from harness.plugin import applies
from harness.profile import Profile
from harness.zcl import Status, codec
from testcases.steps import await_default_response, send_publish_cot


@case("DM-01")
def test_dm_01(bench: Bench, profile: Profile) -> None:
    applies(not profile.identity.role.is_esi, "identity.role", f"is {profile.identity.role}, not a DM client")
    timeout = profile.timings.response_timeout.total_seconds()
    for source in profile.esi.sources:
        with allure.step(f"The {source.upper()} holds a new Change of Tenancy"):
            _previous, _new, event = bench.move_in()
        sent = send_publish_cot(bench, source, event)
        answer = await_default_response(bench, sent, timeout)
        assert answer is not None, (
            f"{source.upper()} sent Publish Change of Tenancy (TSN {sent.payload[1]}); expected a "
            f"Default Response within response_timeout {timeout:g} s; the unit sent none"
        )
        latency = answer.timestamp - sent.timestamp
        allure.dynamic.parameter(f"{source} response latency (s)", f"{latency:.3f}")
        status = codec.decode(answer.cluster_id, answer.payload).fields["status"]
        assert status == Status.SUCCESS, (
            f"{source.upper()} sent Publish Change of Tenancy; expected Default Response SUCCESS; "
            f"the unit answered {Status(status).name} (0x{int(status):02X})"
        )
