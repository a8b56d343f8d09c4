"""Fault variants for the POLL cases, and their rows of the matrix.

Each class breaks one rule (its docstring says which) by overriding one hook of a
reference device; ROWS says which case must catch it (harness.sim.matrix gathers them).
"""

from __future__ import annotations

from zigpy.zcl import foundation

from harness.domain import DataClass, Fuel
from harness.sim.air import AirFrame
from harness.sim.clock import TimerHandle
from harness.sim.devices.ihd import DualFuelIHD, ReferenceIHD
from harness.sim.devices.ppmid import ReferencePPMID
from harness.sim.devices.reference import COT_CONTROL, COT_UPDATE_TIME, Meter
from harness.sim.variants.spec import DUAL, IHD, PPMID, VariantSpec, _v
from harness.zcl import ids
from harness.zcl.codec import ZclFrame

DEVICE_MANAGEMENT = ids.DEVICE_MANAGEMENT


class NoQueryAfterJoin(ReferenceIHD):
    """Does not ask for the CoT when it joins or powers up (only periodically)."""

    _skip_query = False

    def on_joined(self, reason: str) -> None:
        self._skip_query = reason in ("join", "power_on")
        super().on_joined(reason)

    def on_meter_found(self, meter) -> None:  # noqa: ANN001
        if self._skip_query:
            self.fetch_all(meter)
        else:
            super().on_meter_found(meter)


class QueriesByReadAttributes(ReferenceIHD):
    """Declared get_change_of_tenancy, but asks by reading attributes 0x0200/0x0201."""

    def query_cot(self, meter) -> None:  # noqa: ANN001
        self.request(
            meter, DEVICE_MANAGEMENT, "read_attributes", self._on_cot_attributes, attribute_ids=[0x0200, 0x0201]
        )


class NoQueryAfterRejoin(ReferenceIHD):
    """Does not ask for the CoT after a rejoin (only periodically)."""

    def on_joined(self, reason: str) -> None:
        if reason == "rejoin":
            self.discover_meters()
            self.schedule_poll()
            return
        super().on_joined(reason)


class StopsPeriodicQueries(ReferenceIHD):
    """Queries once on the poll timer, then never re-arms it."""

    def schedule_poll(self) -> None:
        if not getattr(self, "_polled_once", False):
            super().schedule_poll()

    def poll(self) -> None:
        self._polled_once = True
        super().poll()


class QueriesEveryTenMinutes(ReferenceIHD):
    """Polls for the CoT every 10 minutes, six times poll.min_interval allows: past any HAN
    traffic budget. (Every minute was the first version: the same fault, ten times the
    frames for the bench to carry over the virtual days of a run.)"""

    poll_interval = 600.0


class LearnsCotOnlyByPush(ReferenceIHD):
    """Queries the meters but ignores a Publish CoT that answers its own query."""

    def _on_get_cot_answer(self, frame: AirFrame, zcl: ZclFrame) -> None:
        return


class QueriesEsmeOnly(DualFuelIHD):
    """On a dual-fuel home, asks only the ESME for the CoT."""

    def query_cot(self, meter) -> None:  # noqa: ANN001
        if meter.fuel is Fuel.ELECTRICITY:
            super().query_cot(meter)


class _PeriodicQueryFault(ReferenceIHD):
    """Queries after a join, power-on or rejoin as the reference does; its periodic
    queries (made from poll) go through periodic_query_cot, the fault's one hook."""

    _polling = False

    def poll(self) -> None:
        self._polling = True
        try:
            super().poll()
        finally:
            self._polling = False

    def query_cot(self, meter: Meter) -> None:
        if self._polling:
            self.periodic_query_cot(meter)
        else:
            super().query_cot(meter)

    def periodic_query_cot(self, meter: Meter) -> None:
        super().query_cot(meter)


class IgnoresCotFromPeriodicQuery(_PeriodicQueryFault):
    """Acts on the answer to its query after a join, power-on or rejoin, but drops the
    answers to its periodic queries: a CoT set while it stays on is never learnt."""

    def periodic_query_cot(self, meter: Meter) -> None:
        self.request(meter, DEVICE_MANAGEMENT, "get_change_of_tenancy", lambda frame, zcl: None)


class SwitchesQueryMethodWhenPolling(_PeriodicQueryFault):
    """Declared get_change_of_tenancy, and asks that way after a join or rejoin, but its
    periodic queries read attributes 0x0200/0x0201 instead."""

    def periodic_query_cot(self, meter: Meter) -> None:
        self.request(
            meter,
            DEVICE_MANAGEMENT,
            "read_attributes",
            self._on_cot_attributes,
            attribute_ids=[COT_UPDATE_TIME, COT_CONTROL],
        )


class QueriesOftenWhileNotFound(ReferenceIHD):
    """Asks a meter again 10 minutes after each NOT_FOUND answer (until it holds a CoT):
    far inside the HAN traffic budget while there is no CoT, within it otherwise."""

    retry_after = 600.0

    def __init__(self, world) -> None:  # noqa: ANN001
        super().__init__(world)
        self._retries: dict[tuple[int, int], TimerHandle] = {}  # RAM, like the poll timer

    def _on_get_cot_answer(self, frame: AirFrame, zcl: ZclFrame) -> None:
        super()._on_get_cot_answer(frame, zcl)
        meter = self.meter_of(frame)
        if (
            meter is None
            or zcl.command_name != "default_response"
            or zcl.fields["status"] != foundation.Status.NOT_FOUND
        ):
            return
        key = (meter.nwk, meter.endpoint)
        if key not in self._retries:
            self._retries[key] = self.world.clock.call_later(self.retry_after, lambda: self._ask_again(key, meter))

    def _ask_again(self, key: tuple[int, int], meter: Meter) -> None:
        self._retries.pop(key, None)
        # A power cycle forgets the meters: a meter found again is another object.
        if self.powered and any(known is meter for known in self.known_meters()):
            self.query_cot(meter)


class QueriesAgainAfterBoot(ReferenceIHD):
    """Its boot routine wants two answers that agree: after it boots (its first join, back
    after a power cycle; not a rejoin, which keeps it running) it asks each meter for the CoT
    twice more, 20 s apart. Three queries in 40 s, far inside poll.min_interval; after a
    rejoin and left undisturbed it queries at its own timer as it should, so the soak (after a
    provoked rejoin) sees nothing wrong."""

    again_after = 20.0

    def on_joined(self, reason: str) -> None:
        super().on_joined(reason)
        if reason == "rejoin":
            return
        for n in (1, 2):
            self.world.clock.call_later(n * self.again_after, self._ask_again)

    def _ask_again(self) -> None:
        if self.powered:
            for meter in self.known_meters():
                self.query_cot(meter)


class _SkipsOneEraseOnOneQueryPath:
    """A CoT learnt in the answer to one kind of its own queries (the start-up path's after a
    power-on or rejoin, or the poll task's, as `periodic` says) skips `skipped` in its erase;
    a CoT learnt any other way clears all. The TSNs of that path's queries are kept in RAM."""

    skipped: DataClass
    periodic: bool
    _polling = False

    def __init__(self, world) -> None:  # noqa: ANN001
        super().__init__(world)  # type: ignore[call-arg]
        self._path_tsns: set[int] = set()  # RAM: the TSNs of that path's queries
        self._in_path_answer = False

    def poll(self) -> None:
        self._polling = True
        try:
            super().poll()  # type: ignore[misc]
        finally:
            self._polling = False

    def query_cot(self, meter: Meter) -> None:
        before = set(self._pending)  # type: ignore[attr-defined]
        super().query_cot(meter)  # type: ignore[misc]
        if self._polling is self.periodic:
            self._path_tsns |= {tsn for _cluster, tsn in set(self._pending) - before}  # type: ignore[attr-defined]

    def _on_get_cot_answer(self, frame: AirFrame, zcl: ZclFrame) -> None:
        self._in_path_answer = zcl.tsn in self._path_tsns
        self._path_tsns.discard(zcl.tsn)
        try:
            super()._on_get_cot_answer(frame, zcl)  # type: ignore[misc]
        finally:
            self._in_path_answer = False

    def clear(self, data_class: DataClass, fuel: str | None) -> None:
        if self._in_path_answer and data_class is self.skipped:
            return
        super().clear(data_class, fuel)  # type: ignore[misc]

    def on_power_off(self) -> None:
        super().on_power_off()  # type: ignore[misc]
        self._path_tsns.clear()


class _SkipsOneEraseOnStartUpQuery(_SkipsOneEraseOnOneQueryPath):
    """A CoT learnt in the answer to the query made on joining, powering up or rejoining
    goes through the start-up path, whose erase skips `skipped` (its screen is not set up
    yet when that path runs); a pushed CoT, or one learnt by a periodic query, clears all."""

    periodic = False


class KeepsMessagesOnStartUpQuery(_SkipsOneEraseOnStartUpQuery, ReferenceIHD):
    """A CoT learnt by its query at power-on or rejoin clears the consumption history but
    not the supplier messages (a pushed one clears both): the new occupier sees the previous
    occupier's message."""

    skipped = DataClass.SUPPLIER_MESSAGES


class KeepsDebtRecoveryOnStartUpQuery(_SkipsOneEraseOnStartUpQuery, ReferencePPMID):
    """PPMID: a CoT learnt by its query at power-on or rejoin clears the top-up log and the
    messages but not the debt recovery log (a pushed one clears all three)."""

    skipped = DataClass.DEBT_RECOVERY


class _SkipsOneEraseOnPeriodicQuery(_SkipsOneEraseOnOneQueryPath):
    """A CoT learnt in the answer to a periodic query (the unit left on, never pushed) goes
    through the poll task's own clearing routine, which skips `skipped`; a pushed CoT, or one
    learnt at start-up, clears all."""

    periodic = True


class KeepsMessagesOnPeriodicQuery(_SkipsOneEraseOnPeriodicQuery, ReferenceIHD):
    """A CoT learnt by its periodic query while it stays on clears the consumption history
    but not the supplier messages (a pushed one, or one learnt at start-up, clears both)."""

    skipped = DataClass.SUPPLIER_MESSAGES


class KeepsTopUpsOnPeriodicQuery(_SkipsOneEraseOnPeriodicQuery, ReferencePPMID):
    """PPMID: a CoT learnt by its periodic query clears the debt log and the messages but
    not the top-up log (a pushed one, or one learnt at start-up, clears all three)."""

    skipped = DataClass.TOP_UP_HISTORY


class RefetchesAnsweringMeterOnly(DualFuelIHD):
    """After a CoT learnt in a meter's answer to its query, fetches the new occupier's data
    from that meter only (a pushed CoT refetches from every meter): on a dual-fuel home the
    other fuel stays blank until its next periodic refresh, hours later."""

    _answering: Meter | None = None

    def _on_get_cot_answer(self, frame: AirFrame, zcl: ZclFrame) -> None:
        self._answering = self.meter_of(frame)
        try:
            super()._on_get_cot_answer(frame, zcl)
        finally:
            self._answering = None

    def fetch_new_occupier(self, fuel: str | None) -> None:
        if self._answering is not None and fuel is None:
            self.fetch_all(self._answering)
            return
        super().fetch_new_occupier(fuel)


ROWS: tuple[VariantSpec, ...] = (
    _v(NoQueryAfterJoin, IHD, "POLL-01", "POLL-05"),
    _v(NoQueryAfterRejoin, IHD, "POLL-02"),
    # POLL-01, POLL-02 and POLL-08 all check the declared query_method.
    _v(
        QueriesByReadAttributes,
        IHD,
        "POLL-01",
        "POLL-02",
        "POLL-08",
        broken=("IMPL-03",),
        why="IMPL-03 judges a zero implementation time learnt by Get Change of Tenancy; this unit never asks that way",
    ),
    # A unit that stops polling cannot learn a CoT by a periodic query (POLL-07). POLL-03
    # judges the gaps inside one soak of poll.max_interval: this unit's one periodic query
    # comes 3 h after the soak's anchor and the 21 h after it are still within max_interval,
    # so only a soak of two intervals could show POLL-03 the stop (issue 11 keeps it to one).
    _v(
        StopsPeriodicQueries,
        IHD,
        "POLL-07",
        may_fail=("POLL-03",),
        why="its one periodic query comes 3 h into the soak; the 21 h after it are within poll.max_interval",
    ),
    _v(QueriesEveryTenMinutes, IHD, "POLL-04"),
    # Every case of a CoT learnt by query: after power-on, periodic, zero implementation time,
    # a future implementation time (IMPL-02's query path).
    _v(LearnsCotOnlyByPush, IHD, "POLL-05", "POLL-07", "IMPL-03", "IMPL-02"),
    # POLL-01..03 ask each declared meter too: not asking the GPF breaks all four.
    _v(
        QueriesEsmeOnly,
        DUAL,
        "POLL-06",
        "POLL-01",
        "POLL-02",
        "POLL-03",
        broken=("SCOPE-01",),
        why="SCOPE-01's query round needs the GPF queried: this unit never asks it",
    ),
    _v(IgnoresCotFromPeriodicQuery, IHD, "POLL-07"),
    _v(SwitchesQueryMethodWhenPolling, IHD, "POLL-08"),
    _v(QueriesOftenWhileNotFound, IHD, "POLL-04"),
    # the soak starts after a provoked query: its start-up burst is seen over the whole run
    _v(QueriesAgainAfterBoot, IHD, "POLL-04"),
    # A CoT learnt at start-up must clear every stored class, as a pushed one does: the two
    # cases that learn it by the query after a power-on (POLL-05) or a rejoin (IMPL-03).
    _v(KeepsMessagesOnStartUpQuery, IHD, "POLL-05", "IMPL-03"),
    _v(KeepsDebtRecoveryOnStartUpQuery, PPMID, "POLL-05", "IMPL-03"),
    # ... and one learnt by a periodic query while the unit stays on (POLL-07) as well.
    _v(KeepsMessagesOnPeriodicQuery, IHD, "POLL-07"),
    _v(KeepsTopUpsOnPeriodicQuery, PPMID, "POLL-07"),
    # CLR-06's rule on the pull path: POLL-05 asks for every fuel of the new occupier.
    _v(RefetchesAnsweringMeterOnly, DUAL, "POLL-05"),
)
