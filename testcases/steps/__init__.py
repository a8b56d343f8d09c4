"""Steps the cases share. Each is an Allure step saying what was sent and what came back.

Timings always come from the profile. CLR-05 alone judges *how fast* data is cleared
(timings.clear_within); every other case that needs a CoT actioned waits
EVENTUALLY_FACTOR x clear_within, so a slow device fails CLR-05 and nothing else.
"""

from __future__ import annotations

from testcases.steps.answers import (
    DEFAULT_RESPONSE,
    DefaultResponseSeen,
    await_default_response,
    default_response_seen,
    default_response_to,
    default_responses_seen,
    not_conforming,
    require_responsive,
    status_of,
    with_retries,
)
from testcases.steps.clearing import (
    Clearing,
    assert_actioned,
    assert_cleared,
    await_cleared,
    cleared_hold,
    cleared_times,
    clearings,
    retained,
    shows_previous,
    watching,
)
from testcases.steps.facts import (
    DEVICE_MANAGEMENT,
    EVENTUALLY_FACTOR,
    PUBLISH_COT,
    attach_text,
    clear_within,
    eventually,
    require_stored,
    response_timeout,
    sources,
    stored,
    zcl_now,
)
from testcases.steps.stimuli import (
    delivered,
    new_occupier,
    push_cot_from_all,
    require_resident_shown,
    resident_shown,
    send_frame,
    send_publish_cot,
    sources_clearing_all,
    stored_and_shown,
    unknown_command_frame,
)

__all__ = [
    "Clearing",
    "DEFAULT_RESPONSE",
    "DEVICE_MANAGEMENT",
    "DefaultResponseSeen",
    "EVENTUALLY_FACTOR",
    "PUBLISH_COT",
    "assert_actioned",
    "assert_cleared",
    "attach_text",
    "await_cleared",
    "await_default_response",
    "clear_within",
    "cleared_hold",
    "cleared_times",
    "clearings",
    "default_response_seen",
    "default_response_to",
    "default_responses_seen",
    "delivered",
    "eventually",
    "new_occupier",
    "not_conforming",
    "push_cot_from_all",
    "require_resident_shown",
    "require_responsive",
    "require_stored",
    "resident_shown",
    "response_timeout",
    "retained",
    "send_frame",
    "send_publish_cot",
    "shows_previous",
    "sources",
    "sources_clearing_all",
    "status_of",
    "stored",
    "stored_and_shown",
    "unknown_command_frame",
    "watching",
    "with_retries",
    "zcl_now",
]
