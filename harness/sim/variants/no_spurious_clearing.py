"""Fault variants for the NEG cases, and their rows of the matrix.

Each class breaks one rule (its docstring says which) by overriding one hook of a
reference device; ROWS says which case must catch it (harness.sim.matrix gathers them).
"""

from __future__ import annotations

from zigpy.zcl import foundation

from harness.domain import DataClass
from harness.sim.air import AirFrame
from harness.sim.devices.ihd import ReferenceIHD
from harness.sim.variants.spec import IHD, VariantSpec, _v
from harness.zcl.codec import ZclFrame
from harness.zcl.time import CANCEL, IMPLEMENT_NOW


class ClearsOnNotFound(ReferenceIHD):
    """Takes a NOT_FOUND answer to Get Change of Tenancy as a change of tenancy."""

    def _on_get_cot_answer(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if zcl.command_name == "default_response" and zcl.fields["status"] == foundation.Status.NOT_FOUND:
            for data_class in self.stores:
                self.clear(data_class, None)
            return
        super()._on_get_cot_answer(frame, zcl)


class ForgetsActionedOnNotFound(ReferenceIHD):
    """Takes a NOT_FOUND answer to Get Change of Tenancy for a meter that was reset and
    "resynchronises": it forgets the events it actioned, so the meters' next answer with the
    CoT it already actioned is new again and clears the new occupier's data."""

    def _on_get_cot_answer(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if zcl.command_name == "default_response" and zcl.fields["status"] == foundation.Status.NOT_FOUND:
            self.last_actioned.clear()
        super()._on_get_cot_answer(frame, zcl)


class ClearsOnResentPush(ReferenceIHD):
    """Its push handler lacks the duplicate check its query path has: a pushed CoT it has
    already actioned is actioned again."""

    def on_pushed_cot(self, frame: AirFrame, zcl: ZclFrame) -> None:
        meter = self.meter_of(frame)
        if meter is not None:
            scope = self.scope_of(meter)
            if self.last_actioned.get(scope) == zcl.fields["issuer_event_id"]:
                del self.last_actioned[scope]
        super().on_pushed_cot(frame, zcl)


class ClearsOnOlderEvent(ReferenceIHD):
    """Actions any Issuer Event ID other than the last actioned, older ones included."""

    def is_new_event(self, issuer_event_id: int, scope: str) -> bool:
        return self.last_actioned.get(scope) != issuer_event_id


class _KeysEventsByMoreThanId(ReferenceIHD):
    """Shared by the KeysEventsBy... variants: an event is keyed by its Issuer Event ID and
    one more field (`also`), so the same Issuer Event ID with that field changed is taken
    as a new event and actioned again."""

    def __init__(self, world) -> None:  # noqa: ANN001
        super().__init__(world)
        self.actioned_with: dict[str, int] = {}  # scope -> `also` of the event last actioned (flash)

    def also(self, zcl: ZclFrame) -> int:
        raise NotImplementedError

    def on_publish_cot(self, frame: AirFrame, zcl: ZclFrame) -> None:
        meter = self.cot_source(frame)
        scope = None if meter is None else self.scope_of(meter)
        issuer_event_id = int(zcl.fields["issuer_event_id"])
        if scope is None:
            super().on_publish_cot(frame, zcl)
            return
        if self.last_actioned.get(scope) == issuer_event_id and self.actioned_with.get(scope) != self.also(zcl):
            del self.last_actioned[scope]  # "another event": the ID alone is not its key
        before = self.last_actioned.get(scope)
        super().on_publish_cot(frame, zcl)
        if before != issuer_event_id and self.last_actioned.get(scope) == issuer_event_id:
            self.actioned_with[scope] = self.also(zcl)


class KeysEventsByIdAndTime(_KeysEventsByMoreThanId):
    """Keys events by (Issuer Event ID, implementation time): the same Issuer Event ID with
    another implementation time is actioned again."""

    def also(self, zcl: ZclFrame) -> int:
        return int(zcl.fields["implementation_date_time"])


class KeysEventsByIdAndProvider(_KeysEventsByMoreThanId):
    """Keys events by (Provider ID, Issuer Event ID): the same Issuer Event ID under
    another Provider ID is actioned again."""

    def also(self, zcl: ZclFrame) -> int:
        return int(zcl.fields["provider_id"])


def _int32(value: int) -> int:
    return value - (1 << 32) if value & 0x80000000 else value


class ComparesEventIdsSigned(ReferenceIHD):
    """Compares Issuer Event IDs as signed 32-bit integers: after 0x7FFFFFFF, 0x80000000
    looks older (negative) and is ignored."""

    def is_new_event(self, issuer_event_id: int, scope: str) -> bool:
        last = self.last_actioned.get(scope)
        return last is None or _int32(issuer_event_id) > _int32(last)


class ComparesEventIdsModulo(ReferenceIHD):
    """Compares Issuer Event IDs by serial-number arithmetic (modulo 2^32, RFC 1982), as if
    they wrapped: after 0xFFFFFFFF, a low ID such as 0x00000001 looks newer and is actioned."""

    def is_new_event(self, issuer_event_id: int, scope: str) -> bool:
        last = self.last_actioned.get(scope)
        return last is None or 0 < (issuer_event_id - last) % (1 << 32) < (1 << 31)


class ClearsOnChangeOfSupplier(ReferenceIHD):
    """Clears its data on Publish Change of Supplier (a guess at a CoT)."""

    clear_after = 0.0  # seconds after the command (0: at once, as it is handled)

    def on_device_management(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if zcl.command_name == "publish_change_of_supplier":
            if self.clear_after:
                self.world.clock.call_later(self.clear_after, self._clear_all)
            else:
                self._clear_all()
        super().on_device_management(frame, zcl)

    def _clear_all(self) -> None:
        for data_class in self.stores:
            self.clear(data_class, None)


class ClearsOnChangeOfSupplierAMinuteLater(ClearsOnChangeOfSupplier):
    """Takes Publish Change of Supplier for a CoT, but clears only a minute later (its erase
    waits behind flash housekeeping): 60 s after the command, six times clear_within, inside
    the watch after the query the bench provokes (eventually + clear_within)."""

    clear_after = 60.0


class ClearsOnPowerCycle(ReferenceIHD):
    """Clears its data every time it powers up."""

    def on_joined(self, reason: str) -> None:
        if reason == "power_on":
            for data_class in self.stores:
                self.clear(data_class, None)
        super().on_joined(reason)


class NewIfLaterImplementationTime(ReferenceIHD):
    """Deduplicates on "newer Issuer Event ID or later implementation date/time": the same
    event re-sent with a later implementation time is actioned again."""

    def __init__(self, world) -> None:  # noqa: ANN001
        super().__init__(world)
        self.actioned_time: dict[str, int] = {}  # scope -> latest implementation time seen of the actioned event

    def consider_cot(self, issuer_event_id: int, implementation_time: int, meter) -> None:  # noqa: ANN001
        scope = self.scope_of(meter)
        effective = 0 if implementation_time == IMPLEMENT_NOW else implementation_time
        last_time = self.actioned_time.get(scope)
        if (
            implementation_time != CANCEL
            and not self.is_new_event(issuer_event_id, scope)
            and last_time is not None
            and effective > last_time
        ):
            del self.last_actioned[scope]  # looks like a new event
        if implementation_time != CANCEL and self.is_new_event(issuer_event_id, scope):
            self.actioned_time[scope] = max(effective, self.actioned_time.get(scope, effective))
        super().consider_cot(issuer_event_id, implementation_time, meter)


class FlashErasedSentinelEventId(ReferenceIHD):
    """Keeps the last actioned Issuer Event ID in flash whose erased state is 0xFFFFFFFF: after
    actioning event 0xFFFFFFFF, a power cycle reads "none actioned", and the meters' answer to
    its start-up query (that same event) clears the new occupier's data."""

    def on_power_off(self) -> None:
        super().on_power_off()
        for scope, event in list(self.last_actioned.items()):
            if event == 0xFFFFFFFF:
                del self.last_actioned[scope]


class ClearsOnNewSiteId(ReferenceIHD):
    """Guesses a CoT from Update Site ID: a Site ID other than the one it holds means a new
    home, so it clears everything (adapted from the assessor's model)."""

    def __init__(self, world) -> None:  # noqa: ANN001
        super().__init__(world)
        self.site_id: bytes | None = None

    def on_device_management(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if zcl.command_name == "update_site_id" and self.meter_of(frame) is not None:
            site, held = bytes(zcl.fields["site_id"]), self.site_id
            self.site_id = site
            if held is not None and site != held:
                for data_class in self.stores:
                    self.clear(data_class, None)
                self.fetch_new_occupier(None)
        super().on_device_management(frame, zcl)


class ClearsOnNewCin(ReferenceIHD):
    """Guesses a CoT from Update CIN: a Customer ID Number other than the one it holds means
    a new customer, so it clears everything."""

    def __init__(self, world) -> None:  # noqa: ANN001
        super().__init__(world)
        self.cin: bytes | None = None

    def on_device_management(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if zcl.command_name == "update_cin" and self.meter_of(frame) is not None:
            cin, held = bytes(zcl.fields["customer_id_number"]), self.cin
            self.cin = cin
            if held is not None and cin != held:
                for data_class in self.stores:
                    self.clear(data_class, None)
        super().on_device_management(frame, zcl)


class ClearsEverythingOnCancelAllMessages(ReferenceIHD):
    """Takes Cancel All Messages from a meter (what some ESMEs send on a CoT) as the CoT
    itself and clears every data class, not only the messages (adapted from the assessor's
    model)."""

    def on_messaging(self, frame: AirFrame, zcl: ZclFrame) -> None:
        super().on_messaging(frame, zcl)
        if zcl.command_name == "cancel_all_messages" and self.meter_of(frame) is not None:
            for data_class in self.stores:
                self.clear(data_class, None)
            self.fetch_new_occupier(None)


class ClearsMessagesOnSiteId(ReferenceIHD):
    """Takes Update Site ID for a cancellation of the supplier messages: the one class a
    Cancel All Messages may clear, cleared by a command that does not concern it."""

    def on_device_management(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if zcl.command_name == "update_site_id" and (fuel := self._fuel(frame)) is not None:
            self.display.clear(DataClass.SUPPLIER_MESSAGES, fuel)
        super().on_device_management(frame, zcl)


ROWS: tuple[VariantSpec, ...] = (
    # NEG-02's spell of NOT_FOUND answers (before the actioned CoT is held again) too.
    _v(ClearsOnNotFound, IHD, "NEG-01", "NEG-02"),
    # NOT_FOUND, then the CoT already actioned again: NEG-02 has the meters answer so.
    _v(ForgetsActionedOnNotFound, IHD, "NEG-02"),
    _v(ClearsOnResentPush, IHD, "NEG-02", "ROB-02"),
    # NEG-06 pushes lower Issuer Event IDs after the top of the range: older ones too.
    _v(ClearsOnOlderEvent, IHD, "NEG-03", "NEG-06"),
    _v(ClearsOnChangeOfSupplier, IHD, "NEG-04"),
    _v(ClearsOnChangeOfSupplierAMinuteLater, IHD, "NEG-04"),
    # NEG-06 power-cycles the unit after 0xFFFFFFFF was actioned.
    _v(ClearsOnPowerCycle, IHD, "NEG-05", "NEG-06"),
    _v(KeysEventsByIdAndTime, IHD, "NEG-02"),
    _v(KeysEventsByIdAndProvider, IHD, "NEG-02"),
    _v(ComparesEventIdsSigned, IHD, "NEG-06"),
    _v(ComparesEventIdsModulo, IHD, "NEG-06"),
    # NEG-02's resend with a later implementation time.
    _v(
        NewIfLaterImplementationTime,
        IHD,
        "NEG-02",
        may_fail=("NEG-06",),
        why="NEG-06's lower IDs are dated now: whether one is later than the date it keeps depends on the run before",
    ),
    # NEG-06's power cycle after 0xFFFFFFFF was actioned.
    _v(FlashErasedSentinelEventId, IHD, "NEG-06"),
    # NEG-04 sends each valid DM/Messaging command a unit could guess a CoT from.
    _v(ClearsOnNewSiteId, IHD, "NEG-04"),
    _v(ClearsOnNewCin, IHD, "NEG-04"),
    _v(ClearsEverythingOnCancelAllMessages, IHD, "NEG-04"),
    _v(ClearsMessagesOnSiteId, IHD, "NEG-04"),
)
