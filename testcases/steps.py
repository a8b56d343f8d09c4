"""Steps the cases share. Each is an Allure step saying what was sent and what came back.

Timings always come from the profile. CLR-05 alone judges *how fast* data is cleared
(timings.clear_within); every other case that needs a CoT actioned waits
EVENTUALLY_FACTOR x clear_within, so a slow device fails CLR-05 and nothing else.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

import allure
from zigpy.zcl import foundation

from harness.bench import Bench
from harness.domain import DataClass, Item
from harness.esi.meter import CotEvent
from harness.esi.tenant import Tenant
from harness.evidence.measurements import record
from harness.evidence.trace_text import describe_frame
from harness.observe.base import Observation, Watch
from harness.plugin import applies
from harness.profile import ClearScope, Profile
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


def sources_clearing_all(profile: Profile) -> list[str]:
    """The meters whose Publish CoT, between them, clear all of the previous occupier's data
    by the declaration. Under clear_scope all, one meter's CoT clears everything: the first
    declared, as single-push cases send it (SCOPE-01 judges the GPF alone). Under
    clear_scope fuel, each meter's CoT clears its own fuel, so every meter must publish it."""
    if profile.behaviour.clear_scope is ClearScope.FUEL:
        return sources(profile)
    return sources(profile)[:1]


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
DEFAULT_RESPONSE = int(foundation.GeneralCommand.Default_Response)


@dataclasses.dataclass(frozen=True)
class DefaultResponseSeen:
    """A frame from the unit that answers a sent frame as a Default Response (same cluster,
    the TSN echoed, header command ID 0x0B), and every rule of ZCL's Default Response it
    breaks; only one that breaks none counts as the Default Response."""

    record: FrameRecord
    status: Status | None  # None: the payload does not read as a Default Response
    faults: tuple[str, ...]

    @property
    def conforming(self) -> bool:
        return not self.faults

    def describe(self) -> str:
        status = "unreadable status" if self.status is None else self.status.name
        return f"TSN {parse_header(self.record.payload).tsn} ({status}): {'; '.join(self.faults)}"


def default_response_seen(
    record: FrameRecord,
    *,
    command_id: int,
    cluster_id: int,
    tsn: int,
    direction: codec.Direction = codec.Direction.TO_SERVER,
    manufacturer_code: int | None = None,
    endpoints: tuple[int, int] | None = None,
) -> DefaultResponseSeen | None:
    """`record` judged as the Default Response to a frame (TSN `tsn`, command `command_id`
    on `cluster_id`); None when it is no answer to it at all (another cluster, the TSN not
    echoed, another command). ZCL: a Default Response is a global command, sent the other
    way to the command it answers (`direction`: the unit, a client, answers a meter's
    server-to-client command client to server), manufacturer-specific exactly when that
    command was (`manufacturer_code`), naming that command's ID, with a status; and it goes
    back to the endpoint the command came from (`endpoints`: (from, to) of the command)."""
    if record.cluster_id != cluster_id or not answers(record.payload, tsn=tsn, command_id=DEFAULT_RESPONSE):
        return None
    header = parse_header(record.payload)
    faults = []
    if endpoints is not None:
        sender, receiver = endpoints
        if record.dst_ep != sender:
            faults.append(f"sent to endpoint {record.dst_ep}, not to the sender's endpoint {sender}")
        if record.src_ep != receiver:
            faults.append(f"sent from endpoint {record.src_ep}, not from endpoint {receiver} the command went to")
    if header.frame_type != 0:
        kind = "cluster-specific" if header.cluster_specific else f"reserved frame type {header.frame_type}"
        faults.append(f"{kind}, not a global command")
    if header.direction is not direction:
        words = {codec.Direction.TO_SERVER: "client to server", codec.Direction.TO_CLIENT: "server to client"}
        faults.append(
            f"direction bit says {words[header.direction]}, not {words[direction]} "
            f"(the answer to a {words[direction.flip()]} command)"
        )
    if header.manufacturer_code != manufacturer_code:
        if manufacturer_code is None:
            faults.append(
                f"manufacturer-specific (code 0x{header.manufacturer_code:04X}), answering a standard command"
            )
        elif header.manufacturer_code is None:
            faults.append(f"not manufacturer-specific, answering one of manufacturer 0x{manufacturer_code:04X}")
        else:
            faults.append(f"manufacturer code 0x{header.manufacturer_code:04X}, not 0x{manufacturer_code:04X}")
    status = None
    if header.frame_type == 0:
        try:
            frame = codec.decode(cluster_id, record.payload)
        except codec.ZclDecodeError as error:
            faults.append(f"payload is no Default Response: {error}")
        else:
            if int(frame.fields["command_id"]) != command_id:
                faults.append(f"names command 0x{int(frame.fields['command_id']):02X}, not 0x{command_id:02X}")
            status = Status(frame.fields["status"])
            if status not in list(Status):
                faults.append(f"status 0x{int(status):02X} is no ZCL status")
    return DefaultResponseSeen(record, status, tuple(faults))


def default_response_to(
    command_id: int,
    cluster_id: int,
    tsn: int,
    *,
    direction: codec.Direction = codec.Direction.TO_SERVER,
    manufacturer_code: int | None = None,
    endpoints: tuple[int, int] | None = None,
) -> Callable[[FrameRecord], bool]:
    """A conforming Default Response to one frame (default_response_seen with no fault):
    ZCL requires it to echo that frame's TSN, and the unit also answers Publish CoT frames
    the meters send in reply to its own queries."""

    def match(record: FrameRecord) -> bool:
        seen = default_response_seen(
            record,
            command_id=command_id,
            cluster_id=cluster_id,
            tsn=tsn,
            direction=direction,
            manufacturer_code=manufacturer_code,
            endpoints=endpoints,
        )
        return seen is not None and seen.conforming

    return match


def default_responses_seen(
    bench: Bench, sent: FrameRecord, *, command_id: int = PUBLISH_COT, cluster_id: int = DEVICE_MANAGEMENT
) -> list[DefaultResponseSeen]:
    """Every frame the unit sent since `sent` that answers it as a Default Response,
    conforming or not (the evidence of a wrong one, and what "no Default Response" judges)."""
    header = parse_header(sent.payload)
    unit = bench.link.address()
    found = []
    for frame in bench.link.frames_since(sent.seq):
        if frame.src_nwk != unit:  # the unit's frames only (what the harness sent has its own address)
            continue
        seen = default_response_seen(
            frame,
            command_id=command_id,
            cluster_id=cluster_id,
            tsn=header.tsn,
            direction=header.direction.flip(),
            manufacturer_code=header.manufacturer_code,
            endpoints=(sent.src_ep, sent.dst_ep),
        )
        if seen is not None:
            found.append(seen)
    return found


def not_conforming(seen: Iterable[DefaultResponseSeen]) -> str:
    """The wrong Default Responses among `seen`, for a verdict's sentence ("" if none)."""
    wrong = [s.describe() for s in seen if not s.conforming]
    return f"; it answered with frames that are no valid Default Response: {' | '.join(wrong)}" if wrong else ""


def await_default_response(
    bench: Bench,
    sent: FrameRecord,
    timeout: float,
    *,
    command_id: int = PUBLISH_COT,
    cluster_id: int = DEVICE_MANAGEMENT,
) -> FrameRecord | None:
    """The unit's conforming Default Response to `sent` (default_response_seen: same
    cluster, TSN and command, global, the other direction, manufacturer-specific exactly
    when `sent` is, a status, between the same two endpoints); an answer that breaks one
    of these is attached, not returned."""
    header = parse_header(sent.payload)
    with allure.step(f"Expect a Default Response from the unit within {timeout:g} s"):
        answer = bench.link.expect(
            default_response_to(
                command_id,
                cluster_id,
                header.tsn,
                direction=header.direction.flip(),
                manufacturer_code=header.manufacturer_code,
                endpoints=(sent.src_ep, sent.dst_ep),
            ),
            since=sent.seq,
            timeout=timeout,
            what="Default Response",
        )
        attach_text("received", describe_frame(answer) if answer else "nothing")
        if answer is None:
            wrong = default_responses_seen(bench, sent, command_id=command_id, cluster_id=cluster_id)
            if wrong:
                attach_text("not a valid Default Response", "\n".join(s.describe() for s in wrong))
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
def cleared_hold(profile: Profile) -> float:
    """How long a class seen without the previous occupier's data is watched before it
    counts as cleared: timings.clear_within, the time the unit is given to clear, so a
    cached copy re-shown moments later (a screen redrawn from RAM) is caught. Longer
    horizons are cases of their own: a power cycle (CLR-07), the unit's own periodic
    refresh (CLR-08)."""
    return clear_within(profile)


def shows_previous(observation: Observation) -> bool:
    return observation.shows_previous


@dataclasses.dataclass(frozen=True)
class Clearing:
    """One class after a CoT: when the previous occupier's data was first seen gone, and
    whether it stayed gone over the hold that followed (cleared_hold)."""

    data_class: DataClass
    gone: Observation | None  # first seen without the previous occupier's data (None: not in time)
    hold: float  # seconds it was watched after the wait (from `gone` on, at least this long)
    back: Observation | None = None  # a look during the hold that saw the previous occupier's data
    back_items: frozenset[Item] = frozenset()  # the previous occupier's items added again (exact observers)
    back_at: float | None = None  # bench time they were first seen again

    @property
    def stayed_gone(self) -> bool:
        return self.gone is not None and self.back is None and not self.back_items

    def describe(self, since: float) -> str:
        """For a report line: what was seen, in seconds from `since` (e.g. the CoT sent)."""
        if self.gone is None:
            return "not seen cleared within the wait"
        text = f"seen gone at +{self.gone.at - since:.3f} s"
        if self.stayed_gone:
            return f"{text}, still gone {self.hold:g} s later"
        back_at = self.back_at if self.back_at is not None else self.gone.at
        again = f" ({len(self.back_items)} item(s), e.g. {sorted(self.back_items)[:3]})" if self.back_items else ""
        detail = f"; {self.back.detail}" if self.back is not None else ""
        return f"{text}, then shown again {back_at - self.gone.at:.3f} s later{again}{detail}"


@contextlib.contextmanager
def watching(bench: Bench, classes: Iterable[DataClass]) -> Iterator[dict[DataClass, Watch]]:
    """Record every change of each class while the block runs (an event-driven observer
    reports each one; the others are judged by the looks the waits take)."""
    started = {dc: bench.observing.watch(dc) for dc in classes}
    try:
        yield {dc: watch for dc, (watch, _stop) in started.items()}
    finally:
        for _watch, stop in started.values():
            stop()


def clearings(
    bench: Bench,
    classes: Iterable[DataClass],
    previous: Tenant,
    new: Tenant,
    timeout: float,
    until: str = "all",
) -> dict[DataClass, Clearing]:
    """Wait until each class (until="any": one) is seen without the previous occupier's
    data, within timeout; then watch those for cleared_hold: a look that sees the previous
    occupier's data again, or an item of it added again (caught as it happens by an
    event-driven observer), means it was not cleared. Watching starts before the wait, so
    nothing shown between the first look and the hold escapes."""
    classes = list(classes)
    hold = cleared_hold(bench.profile)
    with watching(bench, classes) as watches:
        first = bench.observing.first_seen(
            classes,
            previous,
            new,
            lambda o: not o.shows_previous,
            timeout,
            "the previous occupier's data to be cleared",
            until,
        )
        gone = {dc: seen for dc, seen in first.items() if seen is not None}
        looks: dict[DataClass, Observation | None] = {}
        if gone:
            with allure.step(f"What was cleared stays gone for {hold:g} s (timings.clear_within)"):
                looks = bench.observing.first_seen(
                    list(gone), previous, new, shows_previous, hold, "the previous occupier's data to stay gone"
                )
    found = {}
    for dc in classes:
        seen = first[dc]
        if seen is None:
            found[dc] = Clearing(dc, None, hold)
            continue
        again = watches[dc].added_since(seen.at, previous.items(dc))
        back = looks.get(dc)
        items = frozenset().union(*(added for _at, added in again))
        back_at = min([at for at, _added in again] + ([back.at] if back is not None else []), default=None)
        found[dc] = Clearing(dc, seen, hold, back, items, back_at)
    return found


def await_cleared(bench: Bench, dc: DataClass, previous: Tenant, new: Tenant, timeout: float) -> Observation | None:
    """The first moment one class is seen without the previous occupier's data: not yet a
    clearing (that it stays gone is judged by `clearings`)."""
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
    """Each class loses the previous occupier's data within timeout and it stays gone for
    cleared_hold (latency recorded from `since`); the first observation without it, per class."""
    classes = list(classes)
    with allure.step(f"The previous occupier's {', '.join(classes)} gone within {timeout:g} s, and staying gone"):
        found = clearings(bench, classes, previous, new, timeout)
        last = {dc: c.back or c.gone or bench.observing.observe(dc, previous, new) for dc, c in found.items()}
        for dc, clearing in found.items():
            start = since if since is not None else clearing.gone.at if clearing.gone is not None else 0.0
            attach_text(f"{dc} after", f"{clearing.describe(start)}; {last[dc].detail}")
    cleared = {}
    for dc, clearing in found.items():
        assert clearing.gone is not None, (
            f"{stimulus}; expected the previous occupier's {dc} gone within {timeout:g} s; still shown: {last[dc].detail}"
        )
        assert clearing.stayed_gone, (
            f"{stimulus}; the previous occupier's {dc} was cleared, then shown again within "
            f"{clearing.hold:g} s (timings.clear_within): it must stay gone; "
            f"{clearing.describe(since if since is not None else clearing.gone.at)}"
        )
        if since is not None:
            record(f"{dc} clearing latency", clearing.gone.at - since, "s", high=timeout)
        cleared[dc] = clearing.gone
    return cleared


def cleared_times(
    bench: Bench, classes: Iterable[DataClass], previous: Tenant, new: Tenant, timeout: float, until: str = "all"
) -> dict[DataClass, Observation | None]:
    """When each class was first seen without the previous occupier's data, for a class
    that then stayed gone over cleared_hold (None: not cleared in time, or shown again)."""
    found = clearings(bench, classes, previous, new, timeout, until=until)
    return {dc: clearing.gone if clearing.stayed_gone else None for dc, clearing in found.items()}


def assert_actioned(
    bench: Bench, classes: Iterable[DataClass], previous: Tenant, new: Tenant, timeout: float, stimulus: str
) -> tuple[DataClass, Observation]:
    """The CoT was actioned: at least one stored class lost the previous occupier's data
    and it stayed gone over cleared_hold (a unit that undoes the clearing moments later
    has not actioned it).

    Cases whose rule is not "class X is cleared" judge this, so that a unit that keeps one
    class fails that class's CLR case and nothing else."""
    classes = list(classes)
    with allure.step(f"The unit actions the CoT (previous occupier's data cleared) within {timeout:g} s"):
        found = clearings(bench, classes, previous, new, timeout, until="any")
        for dc, clearing in found.items():
            if clearing.stayed_gone and clearing.gone is not None:
                attach_text("actioned", f"{dc}: {clearing.describe(clearing.gone.at)}; {clearing.gone.detail}")
                return dc, clearing.gone
        seen = {dc: c for dc, c in found.items() if c.gone is not None}
        details = "; ".join(
            f"{dc}: {c.describe(c.gone.at) if c.gone else bench.observing.observe(dc, previous, new).detail}"
            for dc, c in found.items()
        )
    if seen:
        raise AssertionError(
            f"{stimulus}; expected the CoT actioned (the previous occupier's data cleared and staying gone for "
            f"{cleared_hold(bench.profile):g} s) within {timeout:g} s; what was cleared was shown again: {details}"
        )
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
