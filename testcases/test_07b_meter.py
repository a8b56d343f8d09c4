"""ESI role (the unit under test is an ESME or GPF; the harness plays the IHD): ESI-01..07.

Named to sort before test_08_event_id_range.py, which must stay the last module of a run
(NEG-06 leaves no newer Issuer Event ID); for an IHD every case here skips, for a meter every
case there does, so the two never meet in one run. ESI-01
judges the meter before the shared CoT trigger (testcases/meter_cot.py); ESI-02..07 judge
the one CoT it takes. Each assertion names what the harness's IHD sent, what a meter
following SECMP0056 and GBCS answers, and what came back.
"""

from __future__ import annotations

from collections.abc import Callable

import allure

from harness.bench import Bench
from harness.catalogue import case
from harness.errors import BenchError
from harness.esi.han_client import Answer
from harness.profile import Profile
from harness.zcl import ids
from harness.zcl.codec import ZclFrame
from harness.zcl.history_periods import Period, calendars, nth_previous, nth_wholly_before, previous, wholly_before
from harness.zcl.ids import SE_PROFILE
from harness.zcl.metering import HALF_HOUR
from harness.zcl.time import IMPLEMENT_NOW, INVALID, UNIX_OFFSET, format_zcl_utc
from testcases.meter_cot import (
    CURRENT_PERIODS,
    DAY_HISTORY,
    DM,
    MAX_PERIODS,
    MESSAGING,
    METERING,
    OLDER_HISTORY,
    PERIOD_HISTORY,
    PREPAYMENT,
    RECEIVED_HISTORY,
    SUMMATION,
    Before,
    Served,
    Taken,
    before_trigger,
    boundary,
    every_form,
    hold_past_midnight,
    profile_probe_ends,
    profile_probe_ends_after,
    published,
    shared_trigger,
    taken,
    zcl_now,
)
from testcases.steps import attach_text

DAY = 86_400
TIME, TIME_ATTRIBUTE = ids.TIME, 0x0000  # the Time cluster the meter serves, and its Time (UTC)
HistoryRows = tuple[tuple[str, int, int, Period, int], ...]  # (what, cluster, attribute, period, n)


# ProfileIntervalPeriod (SE 1.4 Table D-36) in seconds; an unknown one is taken as the longest
# (a day), so an interval's start is never placed later than it can be.
PERIOD_S = {0: DAY, 1: 3600, 2: HALF_HOUR, 3: 900, 4: 600, 5: 450, 6: 300, 7: 150}


def _period_s(value: object) -> int:
    return PERIOD_S.get(int(value), DAY)  # type: ignore[call-overload]


def _when(value: int) -> str:
    return format_zcl_utc(value)


@case("ESI-01")
def test_esi_01(bench: Bench, profile: Profile) -> None:
    if taken(bench) is not None:
        raise BenchError("ESI-01 judges the meter before the CoT trigger, which an earlier case has already taken")
    before = before_trigger(bench, profile)
    prior = profile.behaviour.prior_issuer_event_id
    with allure.step(
        "Get Change of Tenancy before the trigger answers "
        + ("NOT_FOUND" if prior is None else f"the declared earlier event 0x{prior:08X}")
    ):
        answer = before.cot
        attach_text("answer", answer.describe())
        assert answer.frame is not None, (
            "the harness (as an IHD) sent Get Change of Tenancy; expected Publish Change of Tenancy or Default "
            "Response NOT_FOUND within timings.response_timeout; the meter answered nothing"
        )
        if prior is None:
            assert answer.not_found, (
                "before any CoT (behaviour.prior_issuer_event_id is null) the harness sent Get Change of Tenancy; "
                f"expected Default Response NOT_FOUND; the meter answered {answer.describe()}"
            )
        else:
            assert before.issuer_event_id == prior, (
                "the harness sent Get Change of Tenancy before the trigger; expected Publish Change of Tenancy "
                f"with the declared earlier Issuer Event ID 0x{prior:08X} (behaviour.prior_issuer_event_id); "
                f"the meter answered {answer.describe()}"
            )
    _check_attributes_before(bench, before, prior)
    _check_every_client_before(bench, before)


def _check_every_client_before(bench: Bench, before: Before) -> None:
    """Before the trigger every HAN client is answered as the first: the same Get Change of
    Tenancy answer and the same 0x0200/0x0201 (a meter keeping per-client state answers each
    from its own)."""
    client = bench.han_client
    first = client.endpoints[0]
    for endpoint in client.endpoints[1:]:
        with allure.step(f"From IHD endpoint {endpoint}: the same Get Change of Tenancy answer and 0x0200/0x0201"):
            answer = client.request(DM, "get_change_of_tenancy", endpoint=endpoint)
            attributes = client.read(DM, [0x0200, 0x0201], endpoint=endpoint)
            attach_text("answer", f"{answer.describe()}\nattributes: {attributes}")
            same = published(answer) == published(before.cot) and answer.status == before.cot.status
            assert same and answer.frame is not None, (
                f"before the trigger the harness (as an IHD) sent Get Change of Tenancy from its endpoint {first} and "
                f"was answered {before.cot.describe()}; expected the same answer from its endpoint {endpoint}; the "
                f"meter answered {answer.describe()}"
            )
            assert attributes == before.attributes, (
                f"before the trigger the harness read 0x0200/0x0201 from its endpoint {first}: {before.attributes}; "
                f"expected the same from its endpoint {endpoint}; the meter read {attributes}"
            )


# 0x0200/0x0201 of a meter holding no CoT: ZCL's invalid UTCTime (no date: 0x00000000 is a real
# date, and as an Implementation Date/Time "now") and a Tenancy Change Control clearing nothing.
NO_COT_ATTRIBUTES = (INVALID, 0)


def _check_attributes_before(bench: Bench, before: Before, prior: int | None) -> None:
    """0x0200/0x0201 before the trigger say what Get Change of Tenancy says: no CoT, or the
    declared earlier one (an IHD reading the attributes sees what one asking the command sees)."""
    update_time, control = before.attributes.get(0x0200), before.attributes.get(0x0201)
    read = (
        f"0x0200 {'nothing (unsupported)' if update_time is None else f'0x{int(update_time):08X}'}, "  # type: ignore[call-overload]
        f"0x0201 {'nothing (unsupported)' if control is None else f'0x{int(control):08X}'}"  # type: ignore[call-overload]
    )
    fields = published(before.cot)
    if prior is None or fields is None:
        with allure.step("0x0200 and 0x0201 before the trigger read 'no CoT' (0xFFFFFFFF, 0), as Get CoT answers"):
            attach_text("attributes", read)
            assert (update_time, control) == NO_COT_ATTRIBUTES, (
                "before any CoT the harness (as an IHD) read Device Management attributes 0x0200 (Change of Tenancy "
                "Update Date/Time) and 0x0201 (Proposed Tenancy Change Control), and Get Change of Tenancy answered "
                f"{before.cot.describe()}; expected 'no CoT': 0x0200 0x{INVALID:08X} (ZCL's invalid time) and 0x0201 "
                f"0; the meter read {read}: an IHD reading them sees a CoT that never happened"
            )
        return
    with allure.step(f"0x0200 and 0x0201 before the trigger read the earlier CoT 0x{prior:08X} Get CoT answers"):
        attach_text("attributes", read)
        published_time, wanted = fields["implementation_date_time"], fields["proposed_tenancy_change_control"]
        time_ok = update_time == published_time or (
            # "now" published: the attribute holds the time the meter executed it, before this read
            published_time == IMPLEMENT_NOW and update_time is not None and int(update_time) <= _zcl_now(bench)  # type: ignore[call-overload]
        )
        assert time_ok and control is not None and int(control) == wanted, (  # type: ignore[call-overload]
            f"before the trigger the meter answered Get Change of Tenancy with the earlier CoT 0x{prior:08X} "
            f"(Implementation Date/Time {_when(published_time)}, Tenancy Change Control 0x{wanted:08X}); expected "
            f"attributes 0x0200 and 0x0201 to read the same; the meter read {read}"
        )


def _earlier_event(before: Before, profile: Profile) -> int | None:
    """The event the CoT must be newer than: what the meter published before, or the declared one."""
    seen, declared = before.issuer_event_id, profile.behaviour.prior_issuer_event_id
    return max((e for e in (seen, declared) if e is not None), default=None)


def _published_after_trigger(bench: Bench, step: str) -> tuple[Answer, dict[str, int]]:
    """Get Change of Tenancy after the trigger: the answer and the Publish CoT's fields."""
    with allure.step(step):
        answer = bench.han_client.request(DM, "get_change_of_tenancy")
        attach_text("answer", answer.describe())
        fields = published(answer)
        assert fields is not None, (
            "after the CoT trigger the harness (as an IHD) sent Get Change of Tenancy; expected Publish Change of "
            f"Tenancy with the new CoT; the meter answered {answer.describe()}"
        )
    return answer, fields


@case("ESI-02")
def test_esi_02(bench: Bench, profile: Profile) -> None:
    trigger = shared_trigger(bench, profile)
    client = bench.han_client
    earlier = _earlier_event(trigger.before, profile)
    first, fields = _published_after_trigger(bench, "Get Change of Tenancy after the trigger answers Publish CoT")
    with allure.step(
        "Its Issuer Event ID is newer than before the trigger ("
        + ("none before" if earlier is None else f"0x{earlier:08X}")
        + ")"
    ):
        event = fields["issuer_event_id"]
        assert earlier is None or event > earlier, (
            f"after the CoT trigger the meter published Issuer Event ID 0x{event:08X}; expected one newer (a larger "
            f"uint32) than the 0x{earlier:08X} it held before: an IHD ignores an event it has already seen, so the "
            "previous occupier's data would stay on it"
        )
    with allure.step("Asked again, the meter answers the same CoT (one event, not a new one per request)"):
        second = client.request(DM, "get_change_of_tenancy")
        attach_text("second answer", second.describe())
        assert published(second) == fields, (
            "the harness sent Get Change of Tenancy twice after one CoT; expected the same Publish Change of Tenancy "
            f"both times; first {first.describe()}, then {second.describe()}"
        )
    _check_every_client_told(bench, fields)


def _check_every_client_told(bench: Bench, fields: dict[str, int]) -> None:
    """Every HAN client asking Get Change of Tenancy learns the CoT: an IHD or PPMID that missed
    the push (off, not bound) asks, and a meter answering from per-client state (a table of the
    clients it told) can answer one client the CoT and another the state before it."""
    client = bench.han_client
    for endpoint in client.endpoints[1:]:
        with allure.step(f"Get Change of Tenancy from IHD endpoint {endpoint} answers the same CoT"):
            answer = client.request(DM, "get_change_of_tenancy", endpoint=endpoint)
            attach_text("answer", answer.describe())
            other = published(answer)
            assert other == fields, (
                f"after the CoT the harness (as an IHD) sent Get Change of Tenancy from its endpoint "
                f"{client.endpoints[0]} and was answered {fields}; expected the same Publish Change of Tenancy when "
                f"asking from its endpoint {endpoint} (another HAN client); the meter answered "
                + (answer.describe() if other is None else _differences(other, fields))
            )


@case("ESI-03")
def test_esi_03(bench: Bench, profile: Profile) -> None:
    trigger = shared_trigger(bench, profile)
    _answer, fields = _published_after_trigger(bench, "The published CoT (Get Change of Tenancy), to compare with")
    _check_not_future_dated(bench, profile, trigger, fields)
    _check_attributes_agree(bench, trigger, fields, "after the trigger")


def _check_not_future_dated(bench: Bench, profile: Profile, trigger: Taken, fields: dict[str, int]) -> None:
    """The trigger dates the CoT now and the meter executes it on receipt (GBCS), so the
    Implementation Date/Time it publishes is 0 ("now") or no later than the trigger's end: a
    later date is not the CoT it was given, and an IHD declaring implementation_time
    `scheduled` keeps the previous occupier's data until then. The trigger's end is taken on
    the meter's own clock when it runs ahead of the bench's (its Time cluster, read now), and
    timings.response_timeout is the margin for the DCC's clock against the meter's."""
    published_time = fields["implementation_date_time"]
    done = int(trigger.done) - UNIX_OFFSET
    meter_now = bench.han_client.read(TIME, [TIME_ATTRIBUTE]).get(TIME_ATTRIBUTE)
    ahead = 0 if meter_now is None else max(0, int(meter_now) - _zcl_now(bench))  # type: ignore[call-overload]
    margin = profile.timings.response_timeout
    latest = done + ahead + int(margin.total_seconds())
    with allure.step("The published Implementation Date/Time is the CoT's: 0 (now) or not after the trigger"):
        attach_text(
            "dates",
            f"published {_when(published_time)}; trigger ended {_when(done)} (bench clock); the meter's clock "
            + ("unread (Time unsupported)" if meter_now is None else f"{ahead} s ahead of the bench's"),
        )
        assert published_time == IMPLEMENT_NOW or published_time <= latest, (
            f"the CoT trigger (done at {_when(done)}) dated the CoT now, executed on receipt; expected the meter to "
            f"publish Implementation Date/Time 0 (now) or a time no later than the trigger (on its own clock, "
            f"{ahead} s ahead of the bench's, and timings.response_timeout {margin} more); it published "
            f"{_when(published_time)}: an IHD scheduling the CoT (implementation_time scheduled) keeps the previous "
            "occupier's data until then"
        )


def _check_attributes_agree(bench: Bench, trigger: Taken, fields: dict[str, int], when: str) -> None:
    """0x0200 is the published Implementation Date/Time (for 0 "now", the time the meter
    executed it: within the trigger) and 0x0201 the Tenancy Change Control, read from every
    HAN client endpoint: an IHD reading the attributes learns what one asking the command does."""
    client = bench.han_client
    for endpoint in client.endpoints:
        with allure.step(f"Read Attributes 0x0200 and 0x0201 of Device Management from endpoint {endpoint} ({when})"):
            values = client.read(DM, [0x0200, 0x0201], endpoint=endpoint)
            attach_text("attributes", f"0x0200: {values.get(0x0200)}, 0x0201: {values.get(0x0201)}")
        with allure.step("0x0200 is the Implementation Date/Time and 0x0201 the Tenancy Change Control published"):
            update_time, control = values.get(0x0200), values.get(0x0201)
            published_time = fields["implementation_date_time"]
            time_ok = update_time == published_time or (
                # "now" published: the attribute holds the time the meter executed it
                published_time == IMPLEMENT_NOW
                and update_time is not None
                and trigger.trigger_zcl <= int(update_time) <= int(trigger.done) - UNIX_OFFSET + 1  # type: ignore[call-overload]
            )
            read_from = f"read from IHD endpoint {endpoint} {when}"
            assert update_time is not None and time_ok, (
                f"the meter published Implementation Date/Time {_when(published_time)}; expected attribute 0x0200 "
                f"(Change of Tenancy Update Date/Time), {read_from}, to read the same; it read "
                f"{'nothing (unsupported)' if update_time is None else _when(int(update_time))}"  # type: ignore[call-overload]
            )
            wanted = fields["proposed_tenancy_change_control"]
            assert control is not None and int(control) == wanted, (  # type: ignore[call-overload]
                f"the meter published Proposed Tenancy Change Control 0x{wanted:08X}; expected attribute 0x0201, "
                f"{read_from}, to read the same; it read "
                f"{'nothing (unsupported)' if control is None else f'0x{int(control):08X}'}"  # type: ignore[call-overload]
            )


def _dated(answer_frame: object, field: str, stamp: str) -> list[int]:
    records = getattr(answer_frame, "fields", {}).get(field, [])
    return [int(getattr(r, stamp)) for r in records]


def _check_logs_and_message(
    bench: Bench, since: int, why: str, old_messages: set[int], served: Served | None = None
) -> None:
    """Every form of the log, message and profile requests (testcases.meter_cot.every_form),
    from every HAN client endpoint: nothing dated before the CoT. `served`: what the
    precondition was answered (a form it was not served proves nothing now: attached)."""
    client = bench.han_client
    for endpoint in client.endpoints:
        for what, cluster, command, fields in every_form(zcl_now(bench), since - 1):
            with allure.step(f"{what} from endpoint {endpoint} ({command}): nothing dated before the CoT ({why})"):
                answer = client.request(cluster, command, endpoint=endpoint, **fields)
                attach_text(what, f"{command} {fields} from endpoint {endpoint}: {answer.describe()}")
                if served is not None and not served.was_served(endpoint, what):
                    # the precondition did not require it (a debt type it holds none of, no export)
                    attach_text(
                        "served before", "not served before the CoT either: a NOT_FOUND now shows nothing withheld"
                    )
                asked = f"{command} {_fields(fields)} from its IHD endpoint {endpoint}"
                assert answer.frame is not None, (
                    f"after the CoT the harness (as an IHD) sent {asked}; expected the meter's answer (its records, "
                    "or Default Response NOT_FOUND) within timings.response_timeout; it answered nothing"
                )
                if answer.status is not None:
                    continue  # NOT_FOUND (or another status): nothing served
                frame = answer.frame
                if command == "get_last_message":
                    message_id, start = int(frame.fields["message_id"]), int(frame.fields["start_time"])
                    assert message_id not in old_messages, (
                        f"after the CoT the harness sent {asked}; expected NOT_FOUND or a message of the new "
                        f"occupier; the meter answered the previous occupier's message 0x{message_id:08X} again "
                        f"(start time {_when(start)})"
                    )
                early = _dated_before(command, frame, since, int(fields.get("end_time", 0)))  # type: ignore[call-overload]
                assert not early, (
                    f"after the CoT (dated {_when(since)}) the harness sent {asked}; expected nothing dated before "
                    f"it; the meter answered {what} dated {', '.join(_when(t) for t in early[:5])}"
                )


def _fields(fields: dict[str, object]) -> str:
    return "(" + ", ".join(f"{name} {_field(value)}" for name, value in fields.items()) + ")"


def _field(value: object) -> str:
    number = int(value)  # type: ignore[call-overload]
    return f"0x{number:X}" if number >= 0xFF else str(number)  # times and wildcards in hex


def _dated_before(command: str, frame: ZclFrame, since: int, asked_end: int) -> list[int]:
    """The dates of what an answer to `command` served from before `since`: the records' times,
    the message's start, or each Get Profile interval's start. Intervals are dated back from the
    block's End Time, but never from later than the End Time asked (`asked_end`, 0 for the
    latest): SE 1.4 answers the block ending at or before it, so a block claiming a later end
    would place the previous occupier's half-hours after the CoT."""
    if command == "get_top_up_log":
        return [t for t in _dated(frame, "top_up_payload", "top_up_time") if t < since]
    if command == "get_debt_repayment_log":
        return [t for t in _dated(frame, "debt_payload", "collection_time") if t < since]
    if command == "get_profile":
        end, period = int(frame.fields["end_time"]), _period_s(frame.fields["profile_interval_period"])
        if asked_end:
            end = min(end, asked_end)
        count = len(frame.fields["intervals"])
        # Most recent first, back from End Time: interval i began (i + 1) periods before it.
        return [end - (i + 1) * period for i in range(count) if end - (i + 1) * period < since]
    start = int(frame.fields["start_time"])
    return [start] if start != IMPLEMENT_NOW and start < since else []


@case("ESI-04")
def test_esi_04(bench: Bench, profile: Profile) -> None:
    trigger = shared_trigger(bench, profile)
    since, why = boundary(bench, trigger)
    _check_withheld(bench, trigger, since, f"the boundary is {why}")
    _check_sustained(bench, profile, trigger, since)
    _check_persistent(bench, profile, trigger, since)


def _check_persistent(bench: Bench, profile: Profile, trigger: Taken, since: int) -> None:
    """The CoT and its withholding outlast a power cycle (bench.power_control): a meter keeping
    the CoT, or the Cancel of the last message, in RAM only serves the previous occupier's data
    again after a power cut. Back on the HAN within timings.poll.after_join (the time a unit
    takes to be answering after power-on), Get Change of Tenancy answers the same CoT and every
    check of the withholding holds again, against the same boundary."""
    if not bench.controls.available("power_control"):
        attach_text("not judged", "the CoT over a power cycle: bench.power_control is none")
        return
    held_then = published(bench.han_client.request(DM, "get_change_of_tenancy"))
    attributes_then = _cot_attributes(bench)
    deadline = profile.timings.poll.after_join
    with allure.step(
        f"Power-cycle the meter; it answers Get Change of Tenancy again within poll.after_join ({deadline})"
    ):
        answer = _power_cycled(bench, deadline.total_seconds())
        attach_text("answer", answer.describe())
        assert answer.frame is not None, (
            f"the harness power-cycled the meter (bench.power_control) and asked Get Change of Tenancy until "
            f"timings.poll.after_join ({deadline}) had passed; expected an answer; the meter answered nothing"
        )
    with allure.step("After the power cycle the meter holds the same CoT (Get Change of Tenancy, 0x0200/0x0201)"):
        after = published(answer)
        assert held_then is None or after == held_then, (
            f"before a power cycle the meter answered Get Change of Tenancy with {held_then}; expected the same CoT "
            f"after it (a CoT kept in RAM is lost with the power, and the previous occupier's data with it); the "
            f"meter answered " + (answer.describe() if after is None else _differences(after, held_then))
        )
        attributes_now = _cot_attributes(bench)
        attach_text("attributes", f"before the power cycle: {attributes_then}\nafter it: {attributes_now}")
        assert attributes_now == attributes_then, (
            f"before a power cycle the meter's 0x0200/0x0201 read {attributes_then} (by IHD endpoint); expected the "
            f"same after it; they read {attributes_now}"
        )
    _check_withheld(bench, trigger, since, f"after a power cycle, the boundary still {_when(since)}")


def _power_cycled(bench: Bench, within: float) -> Answer:
    """Power-cycle the meter, then ask Get Change of Tenancy until it answers or `within`
    seconds of bench time have passed (each ask waits timings.response_timeout): its answer."""
    client = bench.han_client
    deadline = bench.loop.now() + within
    bench.controls.power_cycle()
    while True:
        answer = client.request(DM, "get_change_of_tenancy")
        if answer.frame is not None or bench.loop.now() >= deadline:
            return answer


def _check_withheld(bench: Bench, trigger: Taken, since: int, why: str) -> None:
    """Everything of the previous occupier's the meter must withhold from the boundary on: the
    logs and last message in every form, the profile probes, the day/week/month, older and
    current-day history (ESI-04 right after the trigger, and again after the sustained hold)."""
    _check_logs_and_message(bench, since, why, trigger.served.message_ids, trigger.served)
    _check_profile_before(bench, since)
    _check_profile_after(bench, since)
    for what, cluster, attribute in DAY_HISTORY:
        _check_history(bench, since, what, cluster, attribute, "day", None)
    for what, cluster, attribute, period, _optional in PERIOD_HISTORY:
        _check_history(bench, since, what, cluster, attribute, period, trigger.served.period_history)
    _check_current_day(bench, since, trigger.served.summation)
    _check_older_history(bench, since)


def _check_sustained(bench: Bench, profile: Profile, trigger: Taken, since: int) -> None:
    """'From then on the meter restricts': the CoT and the withholding outlast the meter's own
    timers. After the next midnight (UTC and UK local: a restriction lapsing with the day) and
    poll.max_interval after the trigger (an IHD may ask that late for the CoT), Get Change of
    Tenancy still answers the CoT and every check above holds again, against the same boundary.
    ESI-05..07, which run after, read the pushes from the trace since the trigger."""
    held_then = published(bench.han_client.request(DM, "get_change_of_tenancy"))
    attributes_then = _cot_attributes(bench)
    held = hold_past_midnight(bench, profile, trigger)
    with allure.step("After the hold, Get Change of Tenancy still answers the same CoT, field for field"):
        answer = bench.han_client.request(DM, "get_change_of_tenancy")
        attach_text("answer", answer.describe())
        # Judged only when the meter answered a CoT before the hold (ESI-02 judges that it does).
        # The same CoT, not just a CoT: an IHD takes another Issuer Event ID for a new CoT and
        # clears the new occupier's data, and another date or control is another CoT too.
        after = published(answer)
        assert held_then is None or after == held_then, (
            f"after the CoT the meter answered Get Change of Tenancy with {held_then}; {held / 3600:.1f} h later "
            "(past the next midnight and poll.max_interval) the harness asked again; expected the same CoT still "
            f"held (its withholding rests on it, an IHD polling that late must still learn of it, and one that "
            f"sees another Issuer Event ID clears the new occupier's data); the meter answered "
            + (answer.describe() if after is None else _differences(after, held_then))
        )
    with allure.step("After the hold, 0x0200/0x0201 read from every IHD endpoint as before it"):
        # An IHD declaring query_method read_attributes learns of the CoT from them: they must
        # outlast the hold as the command's answer does (ESI-03 judges what they read).
        attributes_now = _cot_attributes(bench)
        attach_text("attributes", f"before the hold: {attributes_then}\nafter it: {attributes_now}")
        changed = {
            ep: (attributes_then.get(ep), got) for ep, got in attributes_now.items() if got != attributes_then.get(ep)
        }
        assert not changed, (
            f"after the CoT the harness (as an IHD) read Device Management 0x0200/0x0201; {held / 3600:.1f} h later "
            "(past the next midnight and poll.max_interval) it read them again; expected the same CoT still read "
            "there; "
            + "; ".join(
                f"from endpoint {ep}: {was} before the hold, {got} after it" for ep, (was, got) in changed.items()
            )
        )
    why = f"{held / 3600:.1f} h after the trigger, the boundary still {_when(since)}"
    _check_withheld(bench, trigger, since, why)


def _cot_attributes(bench: Bench) -> dict[int, dict[int, object]]:
    """0x0200/0x0201 as each HAN client endpoint reads them (absent: unsupported)."""
    client = bench.han_client
    return {ep: client.read(DM, [0x0200, 0x0201], endpoint=ep) for ep in client.endpoints}


def _check_current_day(bench: Bench, since: int, summation_before: int) -> None:
    """The current day's consumption (Metering 0x0401) and cost (Prepayment 0x051C) after the
    CoT are the new occupier's only: no more than was delivered since the boundary. The harness
    bounds that by the meter's register, CurrentSummationDelivered (0x0000, same unit, multiplier
    and divisor): what it grew since its reading just before the trigger. The cost is judged when
    nothing was delivered since (then 0); otherwise the harness has no tariff to price it by."""
    for endpoint in bench.han_client.endpoints:
        _check_current_day_from(bench, since, summation_before, endpoint)


def _check_current_day_from(bench: Bench, since: int, summation_before: int, endpoint: int) -> None:
    client = bench.han_client
    with allure.step(
        "The current day's, week's and month's consumption and cost are no more than delivered since the CoT "
        f"(endpoint {endpoint})"
    ):
        consumption = [attr for _p, attr, _cost in CURRENT_PERIODS]
        values = client.read(METERING, [SUMMATION, *consumption], endpoint=endpoint)
        costs = client.read(PREPAYMENT, [cost for _p, _attr, cost in CURRENT_PERIODS], endpoint=endpoint)
        summation = values.get(SUMMATION)
        attach_text(
            "current periods",
            f"current summation delivered (0x0000): {summation_before} before the trigger, {summation} now\n"
            + "\n".join(
                f"current {period}: consumption (0x{attr:04X}) {values.get(attr)}, cost (0x{cost:04X}) {costs.get(cost)}"
                for period, attr, cost in CURRENT_PERIODS
            ),
        )
        assert summation is not None, (
            "after the CoT the harness (as an IHD) read Metering CurrentSummationDelivered (0x0000), which the meter "
            "served before the trigger; expected the register; the meter answered it unsupported"
        )
        delivered = int(summation) - summation_before  # type: ignore[call-overload]
        if delivered < 0:
            attach_text(
                "not judged",
                f"the register went back by {-delivered} since before the trigger: no bound on the new occupier's use",
            )
            return
        for period, attr, cost in CURRENT_PERIODS:
            _judge_current_period(since, period, (attr, values.get(attr)), (cost, costs.get(cost)), delivered)


def _judge_current_period(
    since: int, period: Period, consumption: tuple[int, object], cost: tuple[int, object], delivered: int
) -> None:
    """The current `period`'s consumption no more than `delivered` since just before the trigger
    (CurrentSummationDelivered's growth), and its cost 0 while nothing was delivered (the
    harness has no tariff to price the new occupier's use by)."""
    (attr, current), (cost_attr, spent) = consumption, cost
    with allure.step(f"The current {period}'s consumption is no more than delivered since the CoT"):
        if current is None:
            attach_text("not judged", f"current {period} consumption: unsupported (not served)")
        else:
            assert int(current) <= delivered, (  # type: ignore[call-overload]
                f"after the CoT (dated {_when(since)}) the harness read the current {period}'s consumption "
                f"delivered (Metering 0x{attr:04X}); expected no more than the new occupier's consumption since the "
                f"CoT, at most the {delivered} CurrentSummationDelivered (0x0000) grew by since just before the "
                f"trigger; the meter read {current}: the previous occupier's consumption of the {period} is still served"
            )
    with allure.step(f"The current {period}'s cost is 0 while nothing was delivered since the CoT"):
        if spent is None:
            attach_text("not judged", f"current {period} cost: unsupported (not served)")
        elif delivered:
            attach_text("not judged", f"current {period} cost {spent}: {delivered} delivered since the CoT, unpriced")
        else:
            assert not spent, (
                f"after the CoT (dated {_when(since)}) the harness read the current {period}'s cost consumption "
                f"delivered (Prepayment 0x{cost_attr:04X}); nothing was delivered since just before the trigger "
                f"(CurrentSummationDelivered unchanged); expected 0, the new occupier's cost; the meter read {spent}: "
                f"the previous occupier's spend of the {period} is still served"
            )


def _check_older_history(bench: Bench, since: int) -> None:
    """Previous Day 2..8, Week 2..5 and Month 2..13 (consumption and cost), and the received
    (export) twin of every day, week and month, read 0 from every HAN client endpoint when that
    period ended by the CoT's date in UTC and in UK local time; an attribute the meter answers
    UNSUPPORTED_ATTRIBUTE serves nothing and is not required."""
    for title, rows in (
        ("The older day, week and month history wholly before the CoT reads 0", OLDER_HISTORY),
        ("The received (export) day, week and month history wholly before the CoT reads 0", RECEIVED_HISTORY),
    ):
        for endpoint in bench.han_client.endpoints:
            _judge_history_rows(bench, since, rows, endpoint, f"{title} (from IHD endpoint {endpoint})")


def _history_reads(rows: HistoryRows) -> list[HistoryRows]:
    """The rows in reads of four attributes of one cluster (each answer fits one secured frame)."""
    reads: list[HistoryRows] = []
    for cluster in dict.fromkeys(row[1] for row in rows):
        mine = tuple(row for row in rows if row[1] == cluster)
        reads += [mine[i : i + 4] for i in range(0, len(mine), 4)]
    return reads


def _judge_history_rows(bench: Bench, since: int, rows: HistoryRows, endpoint: int, title: str) -> None:
    with allure.step(title):
        served = _served_history(bench, since, rows, endpoint)
        assert not served, (
            f"after the CoT (dated {_when(since)}) the harness, from its IHD endpoint {endpoint}, read the history an "
            "IHD charts, each period wholly before the CoT in UTC and in UK local time; expected 0 for each the meter "
            f"serves; it read {'; '.join(served)}: the previous occupier's history is still served"
        )


def _served_history(bench: Bench, since: int, rows: HistoryRows, endpoint: int) -> list[str]:
    """The rows read non-zero for a period wholly before the CoT (every read attached)."""
    client = bench.han_client
    lines, served = [], []
    for read in _history_reads(rows):
        values = client.read(read[0][1], [attribute for _w, _c, attribute, _p, _n in read], endpoint=endpoint)
        answered = _zcl_now(bench)  # judged as of the answer, like _check_history
        for what, cluster, attribute, period, n in read:
            value = values.get(attribute)
            start, end = nth_previous(period, answered, n)
            judged = nth_wholly_before(period, answered, n, since)
            lines.append(
                f"{what} (0x{cluster:04X}/0x{attribute:04X}, {_when(start)} to {_when(end)} UTC): "
                f"{'unsupported' if value is None else value}{'' if judged else ' (not judged: ends after the CoT)'}"
            )
            if value and judged:
                served.append(f"{what} (cluster 0x{cluster:04X} attribute 0x{attribute:04X}) {value}")
    attach_text("history", "\n".join(lines))
    return served


def _profile_answers(bench: Bench, ends: list[int], name: str) -> list[tuple[int, Answer]]:
    """Get Profile (import channel, MAX_PERIODS half-hours) for each End Time, attached as `name`."""
    answers = [
        (
            end,
            bench.han_client.request(
                METERING, "get_profile", interval_channel=0, end_time=end, number_of_periods=MAX_PERIODS
            ),
        )
        for end in ends
    ]
    attach_text(name, "\n".join(f"End Time {_when(end)}: {answer.describe()}" for end, answer in answers))
    return answers


def _check_profile_before(bench: Bench, since: int) -> None:
    """Get Profile for End Times back from the CoT's date (testcases.meter_cot.profile_probe_ends):
    each answer holds no interval. An interval ending by the End Time asked began before the
    CoT; a block claiming a later end than asked is not what was asked and cannot be dated, so
    any interval in any answer is the previous occupier's."""
    ends = profile_probe_ends(since)
    hours = ", ".join(f"{(since - end) // 3600} h" for end in ends)
    with allure.step(f"Get Profile with End Time the CoT's date and back ({hours} before): no interval in any"):
        answers = _profile_answers(bench, ends, "profile up to the CoT")
        for end, answer in answers:
            intervals = answer.frame.fields.get("intervals", []) if answer.frame is not None else []
            assert answer.frame is not None and not intervals, (
                f"after the CoT (dated {_when(since)}) the harness sent Get Profile with End Time {_when(end)} "
                f"({(since - end) // 3600} h before the CoT's date) for {MAX_PERIODS} half-hours; expected no "
                f"interval (every one ending then began before the CoT); the meter answered {answer.describe()}"
            )


def _check_profile_after(bench: Bench, since: int) -> None:
    """Get Profile for End Times shortly after the CoT's date (testcases.meter_cot.
    profile_probe_ends_after): the 18 half-hours of a block ending by one reach back before the
    CoT, and none of those may be served (each interval's start judged against the boundary),
    so a meter filtering only End Time 0 and End Times at or before the CoT is seen."""
    ends = profile_probe_ends_after(since)
    minutes = ", ".join(f"{(end - since) // 60} min" for end in ends)
    with allure.step(f"Get Profile with End Times after the CoT's date ({minutes} after): nothing begun before it"):
        answers = _profile_answers(bench, ends, "profile after the CoT")
        for end, answer in answers:
            asked = (
                f"Get Profile with End Time {_when(end)} ({(end - since) // 60} min after the CoT's date "
                f"{_when(since)}) for {MAX_PERIODS} half-hours"
            )
            assert answer.frame is not None, (
                f"after the CoT the harness sent {asked}; expected the meter's Get Profile Response within "
                f"timings.response_timeout; it answered nothing"
            )
            if answer.status is not None or answer.frame.command_name != "get_profile_response":
                continue  # a Default Response: nothing served
            early = _dated_before("get_profile", answer.frame, since, end)
            assert not early, (
                f"after the CoT the harness sent {asked}; expected only half-hours begun at or after the CoT; the "
                f"meter answered {len(answer.frame.fields['intervals'])} interval(s), of which {len(early)} began "
                f"before it (from {', '.join(_when(t) for t in early[:3])}): {answer.describe()}"
            )


def _zcl_now(bench: Bench) -> int:
    return int(bench.loop.now()) - UNIX_OFFSET


def _check_history(
    bench: Bench,
    since: int,
    what: str,
    cluster: int,
    attribute: int,
    period: Period,
    before: dict[str, object | None] | None,
) -> None:
    """The previous day's, week's or month's consumption or cost reads 0 when that period ended
    by the CoT's date both in UTC and in UK local time (harness.zcl.history_periods: a meter may
    count in either, and in BST between 23:00 and 24:00 UTC the local one has already rolled to
    a period ending after the CoT); otherwise it is partly the new occupier's and not judged.
    `before`: what the precondition read (None: required non-zero there, nothing to add)."""
    for endpoint in bench.han_client.endpoints:
        start, end = previous(period, _zcl_now(bench))
        with allure.step(
            f"The {what} ({_when(start)} to {_when(end)} UTC, before the CoT's) reads 0 (endpoint {endpoint})"
        ):
            value = bench.han_client.read(cluster, [attribute], endpoint=endpoint).get(attribute)
            # Judged as of the answer: the period the meter counted in is this one or an earlier
            # one, and a rollover during the read leaves this one ending after the CoT (not judged).
            answered = _zcl_now(bench)
            periods = {name: previous(period, answered, zone) for name, zone in calendars().items()}
            attach_text(
                what,
                f"cluster 0x{cluster:04X} attribute 0x{attribute:04X}: {value}\n"
                + "\n".join(
                    f"previous {period} in {name}: {_when(a)} to {_when(b)}" for name, (a, b) in periods.items()
                ),
            )
            if before is not None and before.get(what) is None:
                attach_text("served before", "not served before the CoT either: a 0 now shows nothing withheld")
            if not wholly_before(period, answered, since):
                late = [name for name, (_a, b) in periods.items() if b > since]
                attach_text(
                    "not judged",
                    f"the previous {period} ends after the CoT's date ({_when(since)}) in {' and '.join(late)}: it is "
                    "partly the new occupier's",
                )
                continue
            assert not value, (
                f"after the CoT (dated {_when(since)}) the harness, from its IHD endpoint {endpoint}, read the {what} "
                f"(cluster 0x{cluster:04X} "
                f"attribute 0x{attribute:04X}), {_when(start)} to {_when(end)}, wholly before it (in UTC and in UK "
                f"local time); expected 0; the meter read {value}: the previous occupier's history is still served"
            )


Pushed = list[tuple[int, dict[str, int]]]  # (IHD endpoint, Publish CoT fields), in trace order


def _pushes(bench: Bench, mark: int) -> Pushed:
    return [
        (record.dst_ep, {k: int(v) for k, v in zcl.fields.items()})
        for record, zcl in bench.han_client.received_since(mark, DM, "publish_change_of_tenancy")
    ]


def _by_endpoint(bench: Bench, pushed: Pushed) -> dict[int, list[dict[str, int]]]:
    found: dict[int, list[dict[str, int]]] = {ep: [] for ep in bench.han_client.endpoints}
    for endpoint, fields in pushed:
        found.setdefault(endpoint, []).append(fields)
    return found


def _bound(before: Before) -> None:
    with allure.step("The meter accepted the IHD endpoints' binding to its Device Management server"):
        refused = {ep: s for (ep, c), s in before.bind_status.items() if c == DM and s != 0}
        assert not refused, (
            "the harness (as an IHD) sent ZDO Bind_req for the meter's Device Management server; expected Bind_rsp "
            f"SUCCESS (a meter declaring behaviour.push_capable pushes to bound clients); got {refused} "
            "(endpoint: status, None for no answer)"
        )


def _wait_for_pushes(bench: Bench, profile: Profile, done: Callable[[dict[int, list[dict[str, int]]]], bool]) -> Pushed:
    """The pushes since the trigger once `done` says so of them by endpoint, or at the
    deadline (trigger done + timings.cot_push_within) whatever came."""
    trigger = shared_trigger(bench, profile)
    deadline = trigger.done + profile.timings.cot_push_within.total_seconds()

    def arrived() -> Pushed | None:
        pushed = _pushes(bench, trigger.mark)
        return pushed if done(_by_endpoint(bench, pushed)) else None

    try:
        return bench.loop.wait_for(arrived, max(0.0, deadline - bench.loop.now()), "the meter's Publish CoT push")
    except TimeoutError:
        return _pushes(bench, trigger.mark)


def _not_counted(bench: Bench, mark: int) -> str:
    """The Publish CoTs the meter sent since `mark` that are no push an IHD takes (another
    endpoint than identity.endpoint, or another profile than Smart Energy's: HanClient's
    filing), for a failure message: what came back, and why it did not count."""
    link = bench.link
    strays = [
        f"from endpoint {record.src_ep} on profile 0x{record.profile_id:04X} to endpoint {record.dst_ep}"
        for record, _zcl in bench.han_client.sent_since(mark, DM, {"publish_change_of_tenancy"})
        if record.src_ep != link.endpoint or record.profile_id != SE_PROFILE
    ]
    if not strays:
        return ""
    return (
        f" ({len(strays)} Publish CoT frame(s) came {'; '.join(strays[:4])}: a push counts only from the meter's "
        f"Device Management endpoint {link.endpoint} (identity.endpoint) on the Smart Energy profile 0x{SE_PROFILE:04X}; "
        "an IHD honouring the spoofing rule drops the others)"
    )


def _describe_pushes(pushed: Pushed) -> str:
    return "\n".join(f"endpoint {ep}: {fields}" for ep, fields in pushed) or "nothing pushed"


def _differences(pushed: dict[str, int], queried: dict[str, int]) -> str:
    """The fields in which a push differs from the queried CoT, each as push/queried."""
    names = sorted(set(pushed) | set(queried))
    return ", ".join(
        f"{n} {pushed.get(n)} (Get CoT: {queried.get(n)})" for n in names if pushed.get(n) != queried.get(n)
    )


@case("ESI-05")
def test_esi_05(bench: Bench, profile: Profile) -> None:
    """Every Publish CoT the meter pushes after the trigger is the new CoT: newer than the one it
    held before, and in every field the CoT it answers Get Change of Tenancy with (ESI-07 judges
    that each bound endpoint gets one)."""
    trigger = shared_trigger(bench, profile)
    _bound(trigger.before)
    within = profile.timings.cot_push_within
    _answer, queried = _published_after_trigger(
        bench, "The CoT the meter holds (Get Change of Tenancy), to compare with"
    )
    with allure.step(f"A Publish Change of Tenancy pushed to the HAN within timings.cot_push_within ({within})"):
        # Until every bound endpoint has had one (or the deadline): each push is judged, not
        # just the first to arrive, so a stale one to the second endpoint is never missed.
        pushed = _wait_for_pushes(bench, profile, lambda by_ep: all(by_ep.values()))
        attach_text("pushed", _describe_pushes(pushed))
        assert pushed, (
            f"after the CoT trigger the harness's IHD endpoints, bound to the meter, waited {within} for Publish "
            "Change of Tenancy (behaviour.push_capable is true); the meter pushed none"
            + _not_counted(bench, trigger.mark)
        )
    earlier = _earlier_event(trigger.before, profile)
    with allure.step("The pushed event is the new CoT (newer Issuer Event ID)"):
        events = sorted({fields["issuer_event_id"] for _ep, fields in pushed})
        assert earlier is None or all(e > earlier for e in events), (
            f"the meter pushed Publish Change of Tenancy with Issuer Event ID(s) {[f'0x{e:08X}' for e in events]}; "
            f"expected the new CoT, newer than the 0x{earlier:08X} held before the trigger"
        )
    with allure.step("Every push carries the CoT the meter answers Get Change of Tenancy with, field for field"):
        wrong = [(n, ep, fields) for n, (ep, fields) in enumerate(pushed, 1) if fields != queried]
        assert not wrong, (
            f"after the CoT trigger the harness sent Get Change of Tenancy and the meter answered Publish Change of "
            f"Tenancy {queried}; expected every Publish CoT it pushed to a bound IHD endpoint to carry the same "
            f"fields (the new CoT); of its {len(pushed)} push(es), "
            + "; ".join(
                f"push {n} to endpoint {ep} differs: {_differences(fields, queried)}" for n, ep, fields in wrong
            )
        )


@case("ESI-06")
def test_esi_06(bench: Bench, profile: Profile) -> None:
    trigger = shared_trigger(bench, profile)
    client = bench.han_client
    since, why = boundary(bench, trigger)
    old = trigger.served.message_ids
    with allure.step("What the meter sent on the Messaging cluster since the trigger (evidence)"):
        sent = [
            f"endpoint {record.dst_ep}: {command} {dict(zcl.fields)}"
            for command in ("cancel_message", "cancel_all_messages", "display_message")
            for record, zcl in client.received_since(trigger.mark, MESSAGING, command)
        ]
        attach_text("messaging since the CoT", "\n".join(sent) or "nothing")
        cancellation = client.request(MESSAGING, "get_message_cancellation", earliest_implementation_time=0)
        attach_text("Get Message Cancellation", cancellation.describe())
    with allure.step(
        f"Get Last Message: NOT_FOUND, or a message of the new occupier dated at or after the CoT ({why})"
    ):
        answer = client.request(MESSAGING, "get_last_message")
        attach_text("Get Last Message", answer.describe())
        assert answer.frame is not None, (
            "after the CoT the harness (as an IHD) sent Get Last Message; expected Display Message or Default Response "
            "NOT_FOUND within timings.response_timeout; the meter answered nothing"
        )
        if answer.is_("display_message"):
            message_id, start = int(answer.frame.fields["message_id"]), int(answer.frame.fields["start_time"])
            assert message_id not in old, (
                "after the CoT the harness sent Get Last Message; expected NOT_FOUND or the new occupier's message; "
                f"the meter answered the previous occupier's last active message 0x{message_id:08X} again "
                f"(start time {_when(start)}; before the CoT it served it too)"
            )
            assert start == IMPLEMENT_NOW or start >= since, (
                f"after the CoT (dated {_when(since)}) the harness sent Get Last Message; expected a message dated at "
                f"or after it; the meter answered message 0x{message_id:08X} starting {_when(start)}"
            )
    # Last, so it covers everything the meter sent since the trigger, this case's asking included.
    _no_old_message_sent(bench, trigger.mark, since, why, old)


DISPLAY_COMMANDS = {"display_message", "display_protected_message"}


def _no_old_message_sent(bench: Bench, mark: int, since: int, why: str, old: set[int]) -> None:
    """No Display Message the meter sent since the trigger (pushed to a bound IHD or answering
    any request, from whichever of its endpoints: HanClient.sent_since) is the previous
    occupier's: neither the message ID it served before the CoT nor a start time before the
    boundary. A meter that cancels the message and then pushes it again (its scheduler's copy
    not cleared) has every bound IHD show it, whatever Get Last Message answers afterwards."""
    with allure.step(f"No Display Message sent since the trigger carries the previous occupier's message ({why})"):
        sent = bench.han_client.sent_since(mark, MESSAGING, DISPLAY_COMMANDS)
        stale = [
            (record, zcl)
            for record, zcl in sent
            if int(zcl.fields["message_id"]) in old
            or (int(zcl.fields["start_time"]) != IMPLEMENT_NOW and int(zcl.fields["start_time"]) < since)
        ]
        assert not stale, (
            f"after the CoT (dated {_when(since)}) the harness's IHD endpoints, bound to the meter's Messaging "
            f"server, expected no Display Message of the previous occupier's (message ID "
            f"{', '.join(f'0x{m:08X}' for m in sorted(old)) or 'none served'} before the CoT, or a start time "
            "before it); the meter sent "
            + "; ".join(
                f"{zcl.command_name} message 0x{int(zcl.fields['message_id']):08X} starting "
                f"{_when(int(zcl.fields['start_time']))} from endpoint {record.src_ep} to endpoint {record.dst_ep}"
                for record, zcl in stale[:5]
            )
        )


@case("ESI-07")
def test_esi_07(bench: Bench, profile: Profile) -> None:
    """Each bound IHD endpoint receives the new CoT: a push whose every field is the CoT the
    meter answers Get Change of Tenancy with. A push of another (a stale CoT, an old date) is
    not the new CoT reaching that endpoint (ESI-05 judges every push)."""
    trigger = shared_trigger(bench, profile)
    _bound(trigger.before)
    within = profile.timings.cot_push_within
    endpoints = list(bench.han_client.endpoints)
    _answer, queried = _published_after_trigger(
        bench, "The CoT the meter holds (Get Change of Tenancy), to compare with"
    )
    with allure.step(f"Every bound IHD endpoint {endpoints} receives that CoT pushed within {within}"):
        pushed = _wait_for_pushes(bench, profile, lambda by_ep: all(queried in got for got in by_ep.values()))
        attach_text("pushed", _describe_pushes(pushed))
        by_endpoint = _by_endpoint(bench, pushed)
        missed = [ep for ep in endpoints if not by_endpoint.get(ep)]
        assert not missed, (
            f"the harness bound {len(endpoints)} IHD endpoints {endpoints} to the meter's Device Management server "
            f"and triggered a CoT; expected Publish Change of Tenancy at every one within timings.cot_push_within "
            f"({within}); none reached endpoint(s) {missed} (the others got {len(pushed)})"
            + _not_counted(bench, trigger.mark)
        )
        stale = {ep: got for ep, got in by_endpoint.items() if ep in endpoints and queried not in got}
        assert not stale, (
            f"the harness bound IHD endpoints {endpoints} to the meter and triggered a CoT; the meter answers Get "
            f"Change of Tenancy with {queried}; expected each endpoint to receive that CoT pushed within "
            f"timings.cot_push_within ({within}); "
            + "; ".join(
                f"endpoint {ep} received only another: " + " / ".join(_differences(f, queried) for f in got)
                for ep, got in stale.items()
            )
        )
