"""Steps the cases share. Each is an Allure step saying what was sent and what came back.

Timings always come from the profile. CLR-05 alone judges *how fast* data is cleared
(timings.clear_within); every other case that needs a CoT actioned waits
EVENTUALLY_FACTOR x clear_within, so a slow device fails CLR-05 and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

import allure
from zigpy.zcl import foundation

from harness.bench import Bench
from harness.domain import DataClass, Item
from harness.esi.meter import CotEvent
from harness.esi.tenant import Tenant
from harness.evidence.measurements import record
from harness.evidence.trace_text import describe_frame
from harness.observe.base import Observation
from harness.plugin import applies
from harness.profile import Profile
from harness.radio.coordinator import DeliveryFailed
from harness.radio.trace import FrameRecord
from harness.zcl import DeviceManagement, Status, codec, ids
from harness.zcl.header import answers, parse_header

DEVICE_MANAGEMENT = ids.DEVICE_MANAGEMENT
PUBLISH_COT = DeviceManagement.ClientCommandDefs.publish_change_of_tenancy.id
EVENTUALLY_FACTOR = 10
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


# -- the occupier's data -----------------------------------------------------------------
def require_resident_shown(bench: Bench, classes: Iterable[DataClass]) -> dict[DataClass, Observation]:
    """Precondition: the unit shows the occupier in residence (who becomes 'previous')."""
    resident, upcoming = bench.occupancy.resident, bench.occupancy.upcoming
    seen = {}
    with allure.step(f"Precondition: the unit shows {resident.name}'s data"):
        for dc in classes:
            seen[dc] = bench.observing.require_shown(dc, resident, upcoming)
            attach_text(f"{dc} before", seen[dc].detail)
    return seen


def stored_and_shown(bench: Bench, profile: Profile) -> list[DataClass]:
    """The precondition of most cases: the unit stores something (else not applicable) and
    shows the occupier in residence; the classes it stores."""
    classes = require_stored(profile)
    require_resident_shown(bench, classes)
    return classes


def resident_shown(bench: Bench, profile: Profile) -> tuple[list[DataClass], Tenant, Tenant]:
    """stored_and_shown, with the occupier in residence and the one who would move in next."""
    classes = stored_and_shown(bench, profile)
    return classes, bench.occupancy.resident, bench.occupancy.upcoming


def new_occupier(bench: Bench, **cot: int) -> tuple[Tenant, Tenant, CotEvent]:
    with allure.step("A new occupier moves in: the meters hold the CoT and serve only the new occupier's data"):
        previous, new, event = bench.occupancy.move_in(**cot)
        attach_text(
            "CoT held by the meters",
            f"Issuer Event ID 0x{event.issuer_event_id:08X}, implementation time 0x{event.implementation_time:08X}, "
            f"change control 0x{event.change_control:08X}; {previous.name} -> {new.name}",
        )
    return previous, new, event


def delivered(bench: Bench, send: Callable[[], FrameRecord], what: str) -> FrameRecord:
    """Send one frame; if the radio reports it undelivered (no MAC acknowledgement after its
    own retries), send it again up to timings.retries times, each time as a visible step.
    Still undelivered: bench trouble (DeliveryFailed), never a verdict on the unit."""
    retries = bench.profile.timings.retries
    for number in range(1 + retries):
        try:
            return send()
        except DeliveryFailed as error:
            if number == retries:
                raise
            with allure.step(
                f"{what} not delivered ({error}): sending again ({number + 1} of timings.retries = {retries})"
            ):
                pass
    raise AssertionError("unreachable")


def send_publish_cot(bench: Bench, source: str, event: CotEvent, **options: bool) -> FrameRecord:
    meter = bench.meters[source]
    with allure.step(f"{meter.label} sends Publish Change of Tenancy, Issuer Event ID 0x{event.issuer_event_id:08X}"):
        record = delivered(bench, lambda: bench.link.publish_cot(source, event, **options), "Publish CoT")
        attach_text("sent", describe_frame(record))
        return record


def push_cot_from_all(bench: Bench, profile: Profile, event: CotEvent, **options: bool) -> list[FrameRecord]:
    """Every declared meter publishes the CoT (as GB meters push it on receipt)."""
    return [send_publish_cot(bench, source, event, **options) for source in sources(profile)]


def send_frame(bench: Bench, source: str, cluster_id: int, payload: bytes, what: str) -> FrameRecord:
    with allure.step(f"{bench.meters[source].label} sends {what}"):
        record = delivered(bench, lambda: bench.link.send(source, cluster_id, payload), what)
        attach_text("sent", describe_frame(record))
        return record


def unknown_command_frame(cluster_id: int, command_id: int, *, tsn: int, body: bytes = b"") -> bytes:
    """A cluster-specific server-to-client frame of a command `cluster_id` does not define,
    a Default Response wanted (zigpy's header; codec.build knows only defined commands)."""
    header = foundation.ZCLHeader.cluster(tsn, command_id, direction=foundation.Direction.Server_to_Client)
    header.frame_control = header.frame_control.replace(disable_default_response=False)
    return header.serialize() + body


# -- answers -----------------------------------------------------------------------------
def default_response_to(command_id: int, cluster_id: int, tsn: int) -> Callable[[FrameRecord], bool]:
    """A Default Response to one frame: ZCL requires it to echo that frame's TSN, and the
    unit also answers Publish CoT frames the meters send in reply to its own queries."""

    def match(record: FrameRecord) -> bool:
        if record.cluster_id != cluster_id or not answers(record.payload, tsn=tsn):
            return False
        try:
            frame = codec.decode(record.cluster_id, record.payload)
        except codec.ZclDecodeError:
            return False
        return frame.command_name == "default_response" and frame.fields["command_id"] == command_id

    return match


def await_default_response(
    bench: Bench,
    sent: FrameRecord,
    timeout: float,
    *,
    command_id: int = PUBLISH_COT,
    cluster_id: int = DEVICE_MANAGEMENT,
) -> FrameRecord | None:
    """The unit's Default Response to `sent` (same cluster, command and TSN)."""
    with allure.step(f"Expect a Default Response from the unit within {timeout:g} s"):
        answer = bench.link.expect(
            default_response_to(command_id, cluster_id, parse_header(sent.payload).tsn),
            since=sent.seq,
            timeout=timeout,
            what="Default Response",
        )
        attach_text("received", describe_frame(answer) if answer else "nothing")
        return answer


def status_of(answer: FrameRecord) -> Status:
    return Status(codec.decode(answer.cluster_id, answer.payload).fields["status"])


def with_retries(bench: Bench, attempt: Callable[[], T | None], what: str) -> T | None:
    """Where one lost frame would decide the verdict, the case tolerates loss: it tries
    again up to timings.retries times, each retry a visible step (never a hidden resend)."""
    retries = bench.profile.timings.retries
    for number in range(1 + retries):
        if number:
            with allure.step(f"No answer: {what} again ({number} of timings.retries = {retries}; tolerates loss)"):
                pass
        answer = attempt()
        if answer is not None:
            return answer
    return None


def require_responsive(bench: Bench, after: str) -> None:
    """The unit still answers a valid request (a device fault if not)."""
    with allure.step("The unit still answers a valid command (Read Attributes, Basic)"):
        answer = with_retries(bench, bench.link.ping, "read Basic")
        attach_text("received", describe_frame(answer) if answer else "nothing")
    assert answer is not None, (
        f"after {after}, the unit did not answer Read Attributes (Basic ZCL version) within "
        f"response_timeout {response_timeout(bench.profile):g} s "
        f"({1 + bench.profile.timings.retries} attempt(s)): it stopped responding"
    )


# -- clearing and retention ------------------------------------------------------------------
def await_cleared(bench: Bench, dc: DataClass, previous: Tenant, new: Tenant, timeout: float) -> Observation | None:
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
    """Each class loses the previous occupier's data within timeout (latency recorded from `since`)."""
    cleared = {}
    for dc in classes:
        with allure.step(f"The previous occupier's {dc} is gone within {timeout:g} s"):
            seen = await_cleared(bench, dc, previous, new, timeout)
            last = seen or bench.observing.observe(dc, previous, new)
            attach_text(f"{dc} after", last.detail)
        assert seen is not None, (
            f"{stimulus}; expected the previous occupier's {dc} gone within {timeout:g} s; still shown: {last.detail}"
        )
        if since is not None:
            record(f"{dc} clearing latency", seen.at - since, "s", high=timeout)
        cleared[dc] = seen
    return cleared


def cleared_times(
    bench: Bench, classes: Iterable[DataClass], previous: Tenant, new: Tenant, timeout: float, until: str = "all"
) -> dict[DataClass, Observation | None]:
    """When each class was first seen without the previous occupier's data (None: not in time)."""
    return bench.observing.first_seen(
        list(classes),
        previous,
        new,
        lambda o: not o.shows_previous,
        timeout,
        "the previous occupier's data to be cleared",
        until=until,
    )


def assert_actioned(
    bench: Bench, classes: Iterable[DataClass], previous: Tenant, new: Tenant, timeout: float, stimulus: str
) -> tuple[DataClass, Observation]:
    """The CoT was actioned: at least one stored class lost the previous occupier's data.

    Cases whose rule is not "class X is cleared" judge this, so that a unit that keeps one
    class fails that class's CLR case and nothing else."""
    classes = list(classes)
    with allure.step(f"The unit actions the CoT (previous occupier's data cleared) within {timeout:g} s"):
        found = cleared_times(bench, classes, previous, new, timeout, until="any")
        for dc, seen in found.items():
            if seen is not None:
                attach_text("actioned", f"{dc}: {seen.detail}")
                return dc, seen
        details = "; ".join(f"{dc}: {bench.observing.observe(dc, previous, new).detail}" for dc in classes)
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
    watches = {dc: bench.observing.watch(dc) for dc in classes}
    watch_started = bench.loop.now()
    try:
        stimulus()
        with allure.step(f"Watch the unit for {window:g} s: {tenant.name}'s data must stay"):
            bench.observing.watch_for(window, f"observation window after {what}", tenant, other)
    finally:
        for _watch, stop in watches.values():
            stop()
    for dc, (watch, _stop) in watches.items():
        lost: set[Item] = set(watch.removed) & set(tenant.items(dc))
        final = bench.observing.observe(dc, tenant, other)
        changes = "\n".join(
            f"+{at - watch_started:.3f} s: added {sorted(added)} removed {sorted(removed)}"
            for at, added, removed in watch.changes
        )
        attach_text(f"{dc} after", f"{final.detail}; removed during the window: {len(lost)} item(s)\n{changes}")
        assert not lost and not watch.gone and final.shows_previous, (
            f"{what}; expected {tenant.name}'s {dc} retained over {window:g} s; "
            f"{len(lost)} item(s) were cleared during the window ({sorted(lost)[:3]}...)"
            f"{'; an observation during the window saw it gone' if watch.gone else ''}; now: {final.detail}"
        )
