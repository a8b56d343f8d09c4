"""The attribute sets and commands a GB IHD or PPMID asks the meters for (issue 13, second
part; docs/wire-reference.md, "The attribute sets the meters serve").

The meters' answers are produced by the real servers, written to a pcapng by the harness's
own capture writer and read back by tshark (an independent dissector): each field value is
compared with what a GB meter serves. The reference IHD's run is read the same way, and
every history value it was served must belong to exactly one occupier. What needs no
dissector (Get Profile's statuses, Credit Status after a selection, the size of every
answer) is checked on the decoded frames.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from wire_runs import ReferenceRun, tshark
from zigpy.zcl import foundation

from harness.domain import DATA_CLASSES, PROFILE_INTERVALS, SERVED_COST_HISTORY, SERVED_HISTORY, DataClass, Fuel
from harness.esi import servers
from harness.esi.tenancy import make_tenant
from harness.esi.tenant import Tenant
from harness.evidence.pcapng import write_pcapng
from harness.profile import load_profile
from harness.radio.trace import Direction, FrameRecord
from harness.sim.air import AirFrame
from harness.sim.devices.ihd import ReferenceIHD
from harness.sim.devices.reference import Meter as DeviceMeter
from harness.zcl import codec, limits
from harness.zcl.codec import ZclFrame
from harness.zcl.ids import MESSAGING, METERING, PREPAYMENT, TIME
from harness.zcl.metering import HALF_HOUR
from harness.zcl.prepayment import GB_CREDIT_MODE
from harness.zcl.time import ZCL_EPOCH

NOW = 830_000_000  # 2026-04-20 (ZCL UTC): within GB summer time
METER, UNIT = (0x0000, 9), (0x1234, 1)
UTRN = b"12345678901234567890"
IHD_PROFILE = Path(__file__).resolve().parents[2] / "device_profiles" / "sim-ihd.yaml"


class Meter:
    """What the servers read of an emulated meter (and set on it: an emergency credit
    selection, a cancellation)."""

    def __init__(self, fuel: Fuel = Fuel.ELECTRICITY, index: int = 0, now: int = NOW) -> None:
        self.tenant = make_tenant(index)
        self.fuel = fuel
        self.message_published = True
        self.cot = None
        self._now = now

    def zcl_time(self) -> int:
        return self._now


def ask(meter: Meter, cluster: int, command: str, **fields: object) -> tuple[bytes, list[bytes]]:
    request = codec.build(cluster, command, tsn=5, direction=codec.Direction.TO_SERVER, **fields)
    return request, servers.answers(meter, codec.decode(cluster, request))  # type: ignore[arg-type]


def decoded(cluster: int, frames: list[bytes]) -> ZclFrame:
    assert len(frames) == 1
    return codec.decode(cluster, frames[0])


def records(cluster: int, frames: list[bytes]) -> dict[int, object]:
    """Attribute ID -> value of a Read Attributes Response (every record SUCCESS)."""
    answer = decoded(cluster, frames)
    assert all(r.status == foundation.Status.SUCCESS for r in answer.fields["status_records"])
    return {int(r.attrid): r.value.value for r in answer.fields["status_records"]}


# -- tshark's reading of the meters' answers ----------------------------------------------------


def dissect(path: Path) -> list[dict[str, Any]]:
    """tshark's ZCL layer of every data frame, duplicates kept as lists."""
    done = subprocess.run(
        [tshark(), "-r", str(path), "-Y", "wpan.frame_type == 1", "-T", "json", "--no-duplicate-keys"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "TZ": "UTC"},
    )
    return [packet["_source"]["layers"].get("zbee_zcl", {}) for packet in json.loads(done.stdout)]


def subtrees(layer: dict[str, Any], prefix: str) -> Iterator[dict[str, Any]]:
    for key, value in layer.items():
        if key.startswith(prefix):
            yield from value if isinstance(value, list) else [value]


def status_records(layer: dict[str, Any]) -> dict[int, int]:
    """Attribute ID -> value as tshark reads a Read Attributes Response."""
    out = {}
    for record in subtrees(layer, "Status Record"):
        attr = next(v for k, v in record.items() if k.endswith("attr_id"))
        value = next(
            v
            for k, v in record.items()
            if k.startswith("zbee_zcl.attr.") and k not in ("zbee_zcl.attr.status", "zbee_zcl.attr.data.type")
        )
        out[int(attr, 16)] = zcl_utc(value) if record.get("zbee_zcl.attr.data.type") == "0xe2" else int(value, 0)
    return out


def zcl_utc(text: str) -> int:
    """A UTCTime as tshark prints it ("Apr 20, 2026 11:33:20.000000000 UTC"), as ZCL seconds."""
    moment = datetime.strptime(text[:21].strip(), "%b %d, %Y %H:%M:%S").replace(tzinfo=UTC)
    return int((moment - ZCL_EPOCH).total_seconds())


def payload(layer: dict[str, Any]) -> dict[str, Any]:
    return next(subtrees(layer, "Payload"))


def through_tshark(tmp_path: Path, exchanges: list[tuple[int, bytes, list[bytes]]]) -> list[dict[str, Any]]:
    """The answers of each exchange as tshark reads them, from a capture the harness wrote."""
    frames: list[FrameRecord] = []
    for cluster, request, answers in exchanges:
        frames.append(
            FrameRecord(len(frames), 1.7e9 + len(frames), Direction.RX, *UNIT, *METER, 0x0109, cluster, request)
        )
        for answer in answers:
            frames.append(
                FrameRecord(len(frames), 1.7e9 + len(frames), Direction.TX, *METER, *UNIT, 0x0109, cluster, answer)
            )
    path = write_pcapng(frames, tmp_path / "answers.pcapng", pan_id=0x1A62)
    layers = dissect(path)
    assert len(layers) == len(frames)
    return [layer for layer, frame in zip(layers, frames, strict=True) if frame.direction is Direction.TX]


def test_metering_scaling_and_state_attributes_as_tshark_reads_them(tmp_path: Path) -> None:
    wanted = [0x0000, 0x0200, 0x0300, 0x0301, 0x0302, 0x0303, 0x0304, 0x0305, 0x0306, 0x0400]
    exchanges = []
    for fuel in Fuel:
        request, answers = ask(Meter(fuel), METERING, "read_attributes", attribute_ids=wanted)
        exchanges.append((METERING, request, answers))
    electricity, gas = (status_records(layer) for layer in through_tshark(tmp_path, exchanges))
    formatting = 0x80 | 6 << 3 | 3  # leading zeros suppressed, 6 digits left of the point, 3 right
    assert electricity == {
        0x0000: 12_345_678,  # the meter's register, not an occupier's
        0x0200: 0,
        0x0300: 0,  # kWh, binary
        0x0301: 1,
        0x0302: 1000,  # Wh readings show as kWh
        0x0303: formatting,
        0x0304: formatting,
        0x0305: formatting,
        0x0306: 0,  # electric
        0x0400: 432,
    }
    assert gas == {**electricity, 0x0000: 2_345_678, 0x0300: 1, 0x0306: 1, 0x0400: 0}  # m3, gas, no demand


def test_weekly_monthly_and_cost_history_are_the_occupiers_as_tshark_reads_them(tmp_path: Path) -> None:
    meter = Meter(Fuel.GAS, index=3)
    exchanges = []
    for cluster, attrs in ((METERING, SERVED_HISTORY), (PREPAYMENT, SERVED_COST_HISTORY)):
        asked = list(attrs)
        while asked:  # the rest of what a response had no room for, as a unit asks again
            request, answers = ask(meter, cluster, "read_attributes", attribute_ids=asked)
            got = [int(r.attrid) for r in decoded(cluster, answers).fields["status_records"]]
            assert got == asked[: len(got)] and got
            asked = asked[len(got) :]
            exchanges.append((cluster, request, answers))
    seen: dict[int, int] = {}
    for layer in through_tshark(tmp_path, exchanges):
        seen |= status_records(layer)
    expected = {key: value for _fuel, key, value in meter.tenant.items(DataClass.CONSUMPTION_HISTORY, Fuel.GAS)}
    assert {a: seen[a] for a in SERVED_HISTORY} == {a: expected[a] for a in SERVED_HISTORY}
    assert {a: seen[a] for a in SERVED_COST_HISTORY} == {a: expected[a] for a in SERVED_COST_HISTORY}
    assert {0x0430, 0x043A, 0x0440, 0x045A, 0x0530, 0x053A, 0x0540, 0x055A} <= seen.keys()


def test_prepayment_credit_debt_and_cost_formatting_as_tshark_reads_them(tmp_path: Path) -> None:
    meter = Meter(Fuel.ELECTRICITY, index=2)
    wanted = [0x0001, 0x0002, 0x0003, 0x0005, 0x0216, 0x0217, 0x0226, 0x0227, 0x0239]
    formatting = [0x0500, 0x0501, 0x0502, 0x0503]
    exchanges = [
        (PREPAYMENT, *ask(meter, PREPAYMENT, "read_attributes", attribute_ids=ids)) for ids in (wanted, formatting)
    ]
    credit, cost = (status_records(layer) for layer in through_tshark(tmp_path, exchanges))
    account, debts = meter.tenant.account(Fuel.ELECTRICITY), meter.tenant.debts(Fuel.ELECTRICITY)
    assert credit == {
        0x0001: account.credit_remaining,
        0x0002: account.emergency_credit_remaining,
        0x0003: 0x01 | 0x04 | 0x08,  # credit OK, emergency credit enabled and available
        0x0005: sum(d.outstanding for d in debts),
        0x0216: 1,  # per day
        0x0217: account.debt_recovery_amounts[0],
        0x0226: 1,
        0x0227: account.debt_recovery_amounts[1],
        0x0239: 2500,
    }
    assert cost == {0x0500: 0x80 | 6 << 3 | 2, 0x0501: 0, 0x0502: 0, 0x0503: 826}  # pounds and pence, GBP


def london(year: int) -> tuple[int, int]:
    """GB's summer time of a year from the tz database (not the meters' own computation)."""
    zone, start, end = ZoneInfo("Europe/London"), None, None
    moment = datetime(year, 1, 1, tzinfo=UTC)
    while moment.year == year:
        nxt = moment + timedelta(hours=1)
        if moment.astimezone(zone).dst() != nxt.astimezone(zone).dst():
            start, end = (nxt, end) if start is None else (start, nxt)
        moment = nxt
    assert start is not None and end is not None
    return int((start - ZCL_EPOCH).total_seconds()), int((end - ZCL_EPOCH).total_seconds())


@pytest.mark.parametrize(
    ("now", "in_summer"),
    [(NOW, True), (NOW + 200 * 86400, False), (851_000_000, False)],
    ids=["2026 summer", "2026 winter", "2026 new year"],
)
def test_time_zone_and_summer_time_are_europe_london(tmp_path: Path, now: int, in_summer: bool) -> None:
    meter = Meter(now=now)
    request, answers = ask(meter, TIME, "read_attributes", attribute_ids=[0, 2, 3, 4, 5, 6, 7])
    [layer] = through_tshark(tmp_path, [(TIME, request, answers)])
    start, end = london((ZCL_EPOCH + timedelta(seconds=now)).year)
    assert status_records(layer) == {
        0x0000: now,
        0x0002: 0,
        0x0003: start,
        0x0004: end,
        0x0005: 3600,
        0x0006: now,
        0x0007: now + (3600 if in_summer else 0),
    }
    assert (start <= now < end) is in_summer


def test_get_profile_response_as_tshark_reads_it(tmp_path: Path) -> None:
    meter = Meter(Fuel.ELECTRICITY, index=1)
    fields = {"interval_channel": 0, "end_time": 0, "number_of_periods": PROFILE_INTERVALS}
    [layer] = through_tshark(tmp_path, [(METERING, *ask(meter, METERING, "get_profile", **fields))])
    answer = payload(layer)
    intervals = meter.tenant.intervals(Fuel.ELECTRICITY)
    assert zcl_utc(answer["zbee_zcl_se.met.get_profile_response.end_time"]) == intervals[0][0]
    assert int(answer["zbee_zcl_se.met.get_profile_response.status"], 0) == 0
    assert int(answer["zbee_zcl_se.met.get_profile_response.profile_interval_period"]) == 2  # 30 minutes
    assert int(answer["zbee_zcl_se.met.get_profile_response.number_of_periods_delivered"]) == PROFILE_INTERVALS
    shown = answer["zbee_zcl_se.met.get_profile_response.intervals"]
    assert [int(v) for v in shown] == [value for _end, value in intervals]


def test_consumer_top_up_and_emergency_credit_answers_as_tshark_reads_them(tmp_path: Path) -> None:
    meter = Meter(Fuel.ELECTRICITY)
    used = meter.tenant.top_ups(Fuel.ELECTRICITY)[0].code
    exchanges = [
        (PREPAYMENT, *ask(meter, PREPAYMENT, "consumer_top_up", originating_device=2, top_up_code=code))
        for code in (UTRN, used, b"1234")
    ]
    exchanges.append(
        (
            PREPAYMENT,
            *ask(
                meter,
                PREPAYMENT,
                "select_available_emergency_credit",
                command_issue_date_time=NOW,
                originating_device=2,
            ),
        )
    )
    *top_ups, selected = through_tshark(tmp_path, exchanges)
    credit = meter.tenant.account(Fuel.ELECTRICITY).credit_remaining
    got = [
        tuple(
            int(payload(layer)[f"zbee_zcl_se.pp.consumer_top_up_response.{f}"], 0)
            for f in ("result_type", "top_up_value", "credit_remaining")
        )
        for layer in top_ups
    ]
    assert got == [(0x00, 1000, credit + 1000), (0x02, 0, credit), (0x01, 0, credit)]  # accepted, duplicate, invalid
    assert int(selected["zbee_zcl.cmd.id"], 0) == 0x0B  # Default Response
    assert int(next(v for k, v in selected.items() if k.endswith(".status")), 0) == 0


def test_get_message_cancellation_as_tshark_reads_it(tmp_path: Path) -> None:
    meter = Meter()
    before = ask(meter, MESSAGING, "get_message_cancellation", earliest_implementation_time=0)
    servers.record_cancel_all_messages(meter, NOW - 60)  # type: ignore[arg-type]
    after = ask(meter, MESSAGING, "get_message_cancellation", earliest_implementation_time=NOW - 3600)
    too_early = ask(meter, MESSAGING, "get_message_cancellation", earliest_implementation_time=NOW)
    nothing, cancel_all, none_since = through_tshark(tmp_path, [(MESSAGING, *x) for x in (before, after, too_early)])
    for layer in (nothing, none_since):
        assert int(layer["zbee_zcl.cmd.id"], 0) == 0x0B
        assert int(next(v for k, v in layer.items() if k.endswith(".status")), 0) == foundation.Status.NOT_FOUND
    assert int(cancel_all["zbee_zcl_se.msg.cmd.srv_tx.id"], 0) == 0x03  # Cancel All Messages
    assert zcl_utc(payload(cancel_all)["zbee_zcl_se.msg.impl_time"]) == NOW - 60


# -- what needs no dissector -------------------------------------------------------------------


def profile(meter: Meter, channel: int = 0, end_time: int = 0, periods: int = PROFILE_INTERVALS) -> ZclFrame:
    fields = {"interval_channel": channel, "end_time": end_time, "number_of_periods": periods}
    return decoded(METERING, ask(meter, METERING, "get_profile", **fields)[1])


def test_get_profile_answers_the_channel_end_time_and_periods_asked() -> None:
    meter = Meter(Fuel.ELECTRICITY, index=4)
    held = meter.tenant.intervals(Fuel.ELECTRICITY)
    # an end time between intervals: the block ends at the last interval at or before it
    answer = profile(meter, end_time=held[3][0] + HALF_HOUR // 2, periods=4)
    assert (int(answer.fields["status"]), int(answer.fields["end_time"])) == (0, held[3][0])
    assert list(answer.fields["intervals"]) == [v for _e, v in held[3:7]]
    # received: nothing exported, the same block reads 0
    received = profile(meter, channel=1, periods=3)
    assert int(received.fields["status"]) == 0 and list(received.fields["intervals"]) == [0, 0, 0]
    # asking more than it holds returns what it holds
    assert len(profile(meter, periods=PROFILE_INTERVALS + 3).fields["intervals"]) == PROFILE_INTERVALS


@pytest.mark.parametrize(
    ("fuel", "channel", "end_time", "periods", "status"),
    [
        (Fuel.ELECTRICITY, 2, 0, 4, 0x01),  # undefined interval channel
        (Fuel.GAS, 1, 0, 4, 0x02),  # a gas meter exports nothing: channel not supported
        (Fuel.ELECTRICITY, 0, 0xFFFFFFFF, 4, 0x03),  # ZCL's invalid UTCTime
        (Fuel.ELECTRICITY, 0, 1000, 4, 0x05),  # before the occupier's first interval
    ],
    ids=["undefined channel", "channel not supported", "invalid end time", "no intervals"],
)
def test_get_profile_errors_carry_their_status_and_no_interval(
    fuel: Fuel, channel: int, end_time: int, periods: int, status: int
) -> None:
    answer = profile(Meter(fuel), channel, end_time, periods)
    assert int(answer.fields["status"]) == status
    assert int(answer.fields["number_of_periods_delivered"]) == 0 and list(answer.fields["intervals"]) == []
    assert int(answer.fields["profile_interval_period"]) == 2


def test_more_periods_than_a_frame_carries_says_so_and_sends_what_fits() -> None:
    answer = profile(Meter(), periods=servers.MAX_PROFILE_PERIODS + 1)
    assert int(answer.fields["status"]) == 0x04
    assert len(answer.fields["intervals"]) <= servers.MAX_PROFILE_PERIODS


def test_selecting_emergency_credit_changes_credit_status_for_this_occupier_only() -> None:
    meter = Meter()

    def credit_status() -> int:
        return int(records(PREPAYMENT, ask(meter, PREPAYMENT, "read_attributes", attribute_ids=[0x0003])[1])[0x0003])

    assert credit_status() == 0x0D  # available
    ask(meter, PREPAYMENT, "select_available_emergency_credit", command_issue_date_time=NOW, originating_device=2)
    assert credit_status() == 0x15  # selected, no longer available
    meter.tenant = make_tenant(1)  # a new occupier has not selected it
    assert credit_status() == 0x0D


def test_a_credit_mode_meter_has_no_emergency_credit_and_rejects_a_top_up() -> None:
    meter = Meter(Fuel.GAS)
    meter.tenant = Tenant("credit", {}, meter.tenant.accounts)  # no top-ups: credit mode
    assert servers.payment_control_configuration(meter) == GB_CREDIT_MODE  # type: ignore[arg-type]
    selected = decoded(
        PREPAYMENT,
        ask(meter, PREPAYMENT, "select_available_emergency_credit", command_issue_date_time=NOW, originating_device=2)[
            1
        ],
    )
    assert selected.fields["status"] == foundation.Status.FAILURE
    top_up = decoded(PREPAYMENT, ask(meter, PREPAYMENT, "consumer_top_up", originating_device=2, top_up_code=UTRN)[1])
    assert int(top_up.fields["result_type"]) == 0x01


def every_new_answer() -> Iterator[tuple[str, list[bytes]]]:
    for fuel in Fuel:
        for index in (0, 40):  # the largest values a long run reaches
            meter = Meter(fuel, index)
            for cluster, attrs in (
                (METERING, [*SERVED_HISTORY, *(a + 1 for a in SERVED_HISTORY), 0x0000, 0x0200, 0x0300, 0x0400]),
                (PREPAYMENT, [*SERVED_COST_HISTORY, 0x0001, 0x0002, 0x0003, 0x0005, 0x0216, 0x0239, 0x0500]),
                (TIME, list(range(8))),
            ):
                yield f"{fuel} {cluster:#06x} read", ask(meter, cluster, "read_attributes", attribute_ids=attrs)[1]
            for periods in (1, PROFILE_INTERVALS, 255):
                fields = {"interval_channel": 0, "end_time": 0, "number_of_periods": periods}
                yield f"{fuel} profile {periods}", ask(meter, METERING, "get_profile", **fields)[1]
            yield f"{fuel} top up", ask(meter, PREPAYMENT, "consumer_top_up", originating_device=2, top_up_code=UTRN)[1]
            servers.record_cancel_all_messages(meter, NOW)  # type: ignore[arg-type]
            yield (
                f"{fuel} cancellation",
                ask(meter, MESSAGING, "get_message_cancellation", earliest_implementation_time=0)[1],
            )


def test_every_new_answer_fits_one_secured_frame() -> None:
    checked = 0
    for name, frames in every_new_answer():
        assert frames, name
        for frame in frames:
            assert len(frame) <= limits.MAX_SECURED_ZCL_FRAME, f"{name}: {len(frame)} octets"
            checked += 1
    assert checked >= 30


# -- the reference IHD's run ---------------------------------------------------------------------


OCCUPIERS_LOOKED_AT = 200  # the occupiers a served value is looked for among


@functools.cache
def _history_owners(fuel: Fuel) -> dict[tuple[str, int, int], list[int]]:
    """Each consumption-history item of the first occupiers -> the occupiers holding it,
    built once: looking up every served value in 200 fresh tenants each time took 30 s."""
    owners: dict[tuple[str, int, int], list[int]] = {}
    for i in range(OCCUPIERS_LOOKED_AT):
        for item in make_tenant(i).items(DataClass.CONSUMPTION_HISTORY, fuel):
            owners.setdefault(item, []).append(i)
    return owners


@functools.cache
def _interval_readings(fuel: Fuel) -> frozenset[int]:
    """Every half-hour reading of the first occupiers (built once, as above)."""
    return frozenset(v for i in range(OCCUPIERS_LOOKED_AT) for _end, v in make_tenant(i).intervals(fuel))


def _occupiers_of(fuel: Fuel, key: int, value: int) -> list[int]:
    return _history_owners(fuel).get((str(fuel), key, value), [])


def test_the_reference_ihd_is_served_weekly_monthly_cost_and_intervals_each_one_occupiers(
    reference_runs: dict[str, ReferenceRun],
) -> None:
    rows = reference_runs["sim-ihd.yaml"].dissect(
        [
            "zbee_aps.cluster",
            "zbee_zcl.cmd.id",
            "zbee_zcl.dir",
            "zbee_zcl_se.met.attr_id",
            "zbee_zcl_se.pp.attr_id",
            "zbee_zcl.attr.uint24",
            "zbee_zcl.attr.uint32",
            "zbee_zcl.attr.uint48",
            "zbee_zcl_se.met.get_profile_response.profile_interval_period",
            "zbee_zcl_se.met.get_profile_response.intervals",
        ]
    )
    served: dict[str, set[int]] = {"weekly": set(), "monthly": set(), "cost": set(), "intervals": set()}
    for row in rows:
        if row["zbee_zcl_se.met.get_profile_response.profile_interval_period"]:
            assert int(row["zbee_zcl_se.met.get_profile_response.profile_interval_period"]) == 2
            for value in row["zbee_zcl_se.met.get_profile_response.intervals"].split("|"):
                served["intervals"].add(int(value))
        if row["zbee_zcl.cmd.id"] != "0x01" or row["zbee_zcl.dir"] != "1":
            continue  # only the meters' Read Attributes Responses
        attrs = row["zbee_zcl_se.met.attr_id"] or row["zbee_zcl_se.pp.attr_id"]
        values = [
            v
            for f in ("zbee_zcl.attr.uint24", "zbee_zcl.attr.uint32", "zbee_zcl.attr.uint48")
            for v in row[f].split("|")
            if v
        ]
        ids = [int(a, 16) for a in attrs.split("|") if a]
        history = [a for a in ids if 0x0401 <= a <= 0x045B or 0x051C <= a <= 0x055B]
        if len(history) == len(ids) == len(values):  # a response of history attributes only
            for attr, value in zip(ids, map(int, values), strict=True):
                kind = "cost" if attr >= 0x051C else "weekly" if attr < 0x0440 else "monthly"
                if value and attr >= 0x0430:
                    served[kind].add(value)
                    assert len(_occupiers_of(Fuel.ELECTRICITY, attr, value)) == 1, (hex(attr), value)
    assert all(served.values()), {k: len(v) for k, v in served.items()}
    for value in served["intervals"]:
        assert value in _interval_readings(Fuel.ELECTRICITY), value


# -- the reference IHD, fed the meters' answers directly ------------------------------------------


class WiredIHD(ReferenceIHD):
    """The reference IHD with its radio replaced by a queue: each request it sends is
    answered by the real servers and handed back, as the meter would over the air."""

    def __init__(self, meter: Meter) -> None:
        super().__init__(SimpleNamespace(profile=load_profile(IHD_PROFILE)))  # type: ignore[arg-type]
        self.meters[METER] = DeviceMeter(*METER, meter.fuel)
        self.outbox: list[tuple[int, bytes]] = []
        self.meter = meter

    def send_zcl(self, dst_ep: int, cluster_id: int, payload: bytes, dst_nwk: int = 0) -> bool:
        self.outbox.append((cluster_id, payload))
        return True

    def exchange(self) -> int:
        """Answer every request until the IHD asks nothing more; how many it made."""
        made = 0
        while self.outbox:
            cluster, payload = self.outbox.pop(0)
            made += 1
            for answer in servers.answers(self.meter, codec.decode(cluster, payload)):  # type: ignore[arg-type]
                air = AirFrame(*METER, *UNIT, 0x0109, cluster, answer)
                self.on_zcl(air, codec.decode(cluster, answer))
        return made


def test_the_reference_ihd_shows_every_part_of_the_consumption_history() -> None:
    meter = Meter(Fuel.GAS, index=5)
    ihd = WiredIHD(meter)
    ihd.fetch(ihd.meters[METER], DataClass.CONSUMPTION_HISTORY)
    # 1 + 3 more for the Metering history, 1 + 4 more for the cost history, 1 Get Profile
    assert ihd.exchange() == 10
    assert ihd.displayed(DataClass.CONSUMPTION_HISTORY) == meter.tenant.items(DataClass.CONSUMPTION_HISTORY, Fuel.GAS)
    kinds = {
        "daily": [k for _f, k, _v in ihd.displayed(DataClass.CONSUMPTION_HISTORY) or () if k < 0x0430],
        "weekly and monthly": [
            k for _f, k, _v in ihd.displayed(DataClass.CONSUMPTION_HISTORY) or () if 0x0430 <= k < 0x0500
        ],
        "cost": [k for _f, k, _v in ihd.displayed(DataClass.CONSUMPTION_HISTORY) or () if 0x051C <= k <= 0x055B],
        "intervals": [k for _f, k, _v in ihd.displayed(DataClass.CONSUMPTION_HISTORY) or () if k > 0xFFFF],
    }
    assert {name: len(keys) for name, keys in kinds.items()} == {
        "daily": 9,
        "weekly and monthly": 20,
        "cost": 29,
        "intervals": PROFILE_INTERVALS,
    }


def test_an_operator_reads_each_part_as_a_screen_shows_it() -> None:
    words = DATA_CLASSES[DataClass.CONSUMPTION_HISTORY].item_words
    tenant = make_tenant(0)
    values = {key: value for _f, key, value in tenant.items(DataClass.CONSUMPTION_HISTORY, Fuel.ELECTRICITY)}
    end, _value = tenant.intervals(Fuel.ELECTRICITY)[0]
    assert words(("electricity", 0x0432, values[0x0432])) == "last week 10077 Wh"
    assert words(("electricity", 0x045A, values[0x045A])) == "13 months ago 10203 Wh"
    assert words(("electricity", 0x051C, values[0x051C])) == "cost today £110.00"
    assert words(("electricity", 0x0542, values[0x0542])) == "cost last month £111.76"
    assert (
        words(("gas", end, 15_123))
        == f"half hour to {datetime.fromtimestamp(end + 946684800, UTC):%Y-%m-%d %H:%M} UTC 15.123 m³"
    )
