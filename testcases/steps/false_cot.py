"""A Publish Change of Tenancy the unit must not act on (DM-06's spoofed endpoint, SEC-03/04's
missing or wrong APS security): sent once as a visible step, then the occupier's data
watched for as long as a genuine CoT may take to be actioned, and the unit still answering.
The meters hold no new CoT, so only the frame itself could clear anything."""

from __future__ import annotations

from collections.abc import Callable

import allure

from harness.bench import Bench
from harness.esi.meter import CotEvent
from harness.evidence.trace_text import describe_frame
from harness.profile import Profile
from harness.radio.trace import FrameRecord
from harness.zcl import codec
from testcases.steps.answers import require_responsive
from testcases.steps.clearing import retained
from testcases.steps.facts import DEVICE_MANAGEMENT, attach_text, eventually
from testcases.steps.stimuli import resident_shown


def false_cot_clears_nothing(
    bench: Bench,
    profile: Profile,
    step: Callable[[CotEvent], str],
    send: Callable[[bytes], FrameRecord | str],
    what: Callable[[CotEvent], str],
    after: str,
) -> None:
    """`step(event)` names the sending step, `send(frame)` sends it once, `what(event)` says
    what was sent in the verdict, `after` in the responsiveness check."""
    classes, resident, upcoming = resident_shown(bench, profile)
    # Newer than any Issuer Event ID the unit has actioned, with the genuine change control.
    event = bench.occupancy.cot_event()

    def stimulus() -> None:
        frame = codec.build(
            DEVICE_MANAGEMENT, "publish_change_of_tenancy", tsn=bench.link.next_tsn(), **event.publish_fields()
        )
        with allure.step(step(event)):
            sent = send(frame)  # the trace's record, or words when it never crossed the coordinator
            attach_text("sent", sent if isinstance(sent, str) else describe_frame(sent))

    retained(bench, classes, resident, upcoming, eventually(profile), stimulus, what(event))
    require_responsive(bench, after)
