"""What the profile says a case may expect: stored classes, timings, sources; and the one way
a case attaches text to its Allure step."""

from __future__ import annotations

from typing import TypeVar

import allure

from harness.bench import Bench
from harness.domain import DataClass
from harness.plugin import applies
from harness.profile import Profile
from harness.zcl import DeviceManagement, ids

DEVICE_MANAGEMENT = ids.DEVICE_MANAGEMENT
PUBLISH_COT = DeviceManagement.ClientCommandDefs.publish_change_of_tenancy.id
# How late a clearing still counts as the unit's action, in clear_within: the wait for an
# expected clearing (CLR-01..04 and every case that needs a CoT actioned: a unit slower than
# clear_within but inside this fails CLR-05 and nothing else) and, by the same measure, the
# watch after a stimulus that must clear nothing (DM-03/05/06, NEG-02..06, ROB-01/02, SEC-03/
# 04/07). One number for both, so that a unit which wrongly takes a stimulus for a CoT, and
# is as slow about it as a genuine CoT is allowed to be, is seen to in the watch. 8 x: a unit
# declared to clear within 10 s is waited for and watched 80 s (variants
# ClearsOnTruncatedCotAMinuteLater and ClearsOnChangeOfSupplierAMinuteLater clear wrongly a
# minute late, and are caught). It was 10 until 2026-12-02; docs/performance.md, "Bench time
# within the half hour", gives the bench time it cost and what the change gives up.
EVENTUALLY_FACTOR = 8
T = TypeVar("T")


def attach_text(name: str, body: str) -> None:
    allure.attach(body, name=name, attachment_type=allure.attachment_type.TEXT)


# -- profile-derived facts -------------------------------------------------------------
def stored(profile: Profile) -> list[DataClass]:
    """The data classes the unit declares it stores (and the profile says how to observe)."""
    return [DataClass(dc) for dc in profile.stores]


def require_stored(profile: Profile) -> list[DataClass]:
    classes = stored(profile)
    applies(bool(classes), "stores", "is empty: there is no data whose clearing could be observed")
    return classes


def response_timeout(profile: Profile) -> float:
    return profile.timings.response_timeout.total_seconds()


def clear_within(profile: Profile) -> float:
    return profile.timings.clear_within.total_seconds()


def eventually(profile: Profile) -> float:
    return EVENTUALLY_FACTOR * clear_within(profile)


def sources(profile: Profile) -> list[str]:
    return [s.value for s in profile.esi.sources]


def zcl_now(bench: Bench) -> int:
    return bench.occupancy.zcl_now()


# How far in the past IMPL-01's CoTs are dated (seconds, words). "The date may be in the past
# ... and the command is executed on receipt" sets no limit, so a unit that treats an old date
# as a stale record (a sanity window of a week, a month, a year) is caught by the older ones.
# Here, not in the case, so that testcases/bench_time.py counts the same CoTs.
PAST_DATES: tuple[tuple[int, str], ...] = (
    (86400, "a day"),
    (30 * 86400, "30 days"),
    (365 * 86400, "a year"),
    (10 * 365 * 86400, "ten years"),
)
# IMPL-02's far-future dates (on_receipt: each actioned on receipt, however far ahead): past
# the day a "sanity window" on the date would allow, a month, a year.
FUTURE_DATES: tuple[tuple[int, str], ...] = (
    (86400 + 3600, "a day and an hour"),
    (30 * 86400, "30 days"),
    (365 * 86400, "a year"),
)
