"""Built-in fault variants: reference devices that break exactly one rule each.

A variant is named in a profile's simulation.model as "module:Class", the same mechanism a
lab uses to model its own firmware (see docs/device-models.md). MATRIX declares, for each
variant, the reference profile it runs on and the case(s) that must catch it as failed;
`cot-harness selftest` proves every entry, and that the reference devices pass.

Each class docstring says what the fault is; overriding one hook keeps it to one fault.
"""

from __future__ import annotations

from zigpy.zcl import foundation

from harness.domain import DataClass, Fuel
from harness.sim.air import AirFrame
from harness.sim.devices.ihd import DualFuelIHD, ReferenceIHD
from harness.sim.devices.ppmid import ReferencePPMID
from harness.zcl import DeviceManagement, ids
from harness.zcl.codec import ZclDecodeError, ZclFrame
from harness.zcl.device_management import TENANCY_CHANGE_CONTROL_RESERVED_MASK
from harness.zcl.header import header_or_none, leading_fields

DEVICE_MANAGEMENT, PREPAYMENT = ids.DEVICE_MANAGEMENT, ids.PREPAYMENT
PUBLISH_COT = DeviceManagement.ClientCommandDefs.publish_change_of_tenancy.id


# -- Clearing --------------------------------------------------------------------------------
class _Keeps:
    kept: DataClass

    def clear(self, data_class: DataClass, fuel: str | None) -> None:
        if data_class is not self.kept:
            super().clear(data_class, fuel)  # type: ignore[misc]


class KeepsConsumptionHistory(_Keeps, ReferenceIHD):
    """Acknowledges the CoT but never clears the consumption history."""

    kept = DataClass.CONSUMPTION_HISTORY


class KeepsTopUpHistory(_Keeps, ReferencePPMID):
    """Clears everything but the top-up log."""

    kept = DataClass.TOP_UP_HISTORY


class KeepsDebtRecovery(_Keeps, ReferencePPMID):
    """Clears everything but the debt recovery log."""

    kept = DataClass.DEBT_RECOVERY


class KeepsSupplierMessages(_Keeps, ReferenceIHD):
    """Clears everything but the supplier messages."""

    kept = DataClass.SUPPLIER_MESSAGES


class ClearsTooSlowly(ReferenceIHD):
    """Shows the new occupier at once but removes the previous one's data only after
    twice timings.clear_within (a slow flash erase)."""

    def clear(self, data_class: DataClass, fuel: str | None) -> None:
        old = self.display.items(data_class) or frozenset()
        late = 2 * self.world.profile.timings.clear_within.total_seconds()
        self.world.clock.call_later(late, lambda: self.display.remove(data_class, lambda item: item in old))


class ShowsNothingAfterCot(ReferenceIHD):
    """Clears, then leaves the display blank for a while: the new occupier's data is
    fetched only 3 x clear_within later (its next refresh), not when the CoT is actioned."""

    def fetch_new_occupier(self, fuel: str | None) -> None:
        later = 3 * self.world.profile.timings.clear_within.total_seconds()
        self.world.clock.call_later(later, lambda: super(ShowsNothingAfterCot, self).fetch_new_occupier(fuel))


class ReappearsAfterPowerCycle(ReferenceIHD):
    """Clears the display but not its flash copy: after a power cycle the previous
    occupier's data is restored."""

    def __init__(self, world) -> None:  # noqa: ANN001
        super().__init__(world)
        self.flash: dict[DataClass, frozenset] = {}

    def clear(self, data_class: DataClass, fuel: str | None) -> None:
        self.flash[data_class] = self.display.items(data_class) or frozenset()
        super().clear(data_class, fuel)

    def on_joined(self, reason: str) -> None:
        if reason == "power_on":
            for data_class, items in self.flash.items():
                self.display.add(data_class, items)
        super().on_joined(reason)


# -- Device Management client ----------------------------------------------------------------
class NoDefaultResponseToCot(ReferenceIHD):
    """Actions the CoT but never answers Publish Change of Tenancy with a Default Response."""

    def default_response(self, to: AirFrame, zcl: ZclFrame, status: foundation.Status) -> None:
        if not (zcl.cluster_id == DEVICE_MANAGEMENT and zcl.command_name == "publish_change_of_tenancy"):
            super().default_response(to, zcl, status)


class AnswersCotWithFailure(ReferenceIHD):
    """Actions the CoT but answers Publish Change of Tenancy with Default Response FAILURE."""

    def default_response(self, to: AirFrame, zcl: ZclFrame, status: foundation.Status) -> None:
        if zcl.cluster_id == DEVICE_MANAGEMENT and zcl.command_name == "publish_change_of_tenancy":
            status = foundation.Status.FAILURE
        super().default_response(to, zcl, status)


class IgnoresCotWithDdr(ReferenceIHD):
    """Drops a pushed Publish CoT whose disable-default-response bit is set."""

    def on_pushed_cot(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if not zcl.disable_default_response:
            super().on_pushed_cot(frame, zcl)


class DefaultResponseDespiteDdr(ReferenceIHD):
    """Answers Default Response SUCCESS even when disable-default-response is set."""

    def on_publish_cot(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if zcl.disable_default_response:
            self.default_response(frame, zcl, foundation.Status.SUCCESS)
        super().on_publish_cot(frame, zcl)


class ClearsOnTruncatedCot(ReferenceIHD):
    """Takes a truncated Publish CoT carrying an Issuer Event ID as a genuine CoT."""

    def on_malformed(self, frame: AirFrame, error: ZclDecodeError) -> None:
        super().on_malformed(frame, error)
        header = header_or_none(frame.payload)
        if frame.cluster_id != DEVICE_MANAGEMENT or header is None or header.command_id != PUBLISH_COT:
            return
        issuer_event_id = leading_fields(frame.cluster_id, frame.payload).get("issuer_event_id")
        if issuer_event_id is not None:
            meter = self.meter_of(frame)
            if meter is not None:
                self.action_cot(int(issuer_event_id), self.scope_of(meter))


class DeafAfterMalformed(ReferenceIHD):
    """Its stack resets on a malformed frame: the next four frames it receives are lost
    (more than a case's bounded retries, 2 in the reference profiles, can mask)."""

    deaf_for = 0

    def on_malformed(self, frame: AirFrame, error: ZclDecodeError) -> None:
        super().on_malformed(frame, error)
        self.deaf_for = 4

    def receive(self, frame: AirFrame) -> None:
        if self.deaf_for and frame.dst_ep != 0:
            self.deaf_for -= 1
            return
        super().receive(frame)


class RejectsReservedBits(ReferenceIHD):
    """Rejects a Publish CoT whose reserved change-control bits are set (INVALID_FIELD)."""

    def on_publish_cot(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if int(zcl.fields["proposed_tenancy_change_control"]) & TENANCY_CHANGE_CONTROL_RESERVED_MASK:
            self.default_response(frame, zcl, foundation.Status.INVALID_FIELD)
            return
        super().on_publish_cot(frame, zcl)


class AcceptsUnknownDmCommand(ReferenceIHD):
    """Answers an unknown Device Management command with SUCCESS."""

    def on_device_management(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if zcl.command_name.startswith("unknown_"):
            self.default_response(frame, zcl, foundation.Status.SUCCESS)
            return
        super().on_device_management(frame, zcl)


# -- No spurious clearing ------------------------------------------------------------------------
class ClearsOnNotFound(ReferenceIHD):
    """Takes a NOT_FOUND answer to Get Change of Tenancy as a change of tenancy."""

    def _on_get_cot_answer(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if zcl.command_name == "default_response" and zcl.fields["status"] == foundation.Status.NOT_FOUND:
            for data_class in self.stores:
                self.clear(data_class, None)
            return
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


class ClearsOnChangeOfSupplier(ReferenceIHD):
    """Clears its data on Publish Change of Supplier (a guess at a CoT)."""

    def on_device_management(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if zcl.command_name == "publish_change_of_supplier":
            for data_class in self.stores:
                self.clear(data_class, None)
        super().on_device_management(frame, zcl)


class ClearsOnPowerCycle(ReferenceIHD):
    """Clears its data every time it powers up."""

    def on_joined(self, reason: str) -> None:
        if reason == "power_on":
            for data_class in self.stores:
                self.clear(data_class, None)
        super().on_joined(reason)


# -- Query behaviour ----------------------------------------------------------------------------
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


class QueriesEveryMinute(ReferenceIHD):
    """Polls for the CoT every 60 s: well past any HAN traffic budget."""

    poll_interval = 60.0


class LearnsCotOnlyByPush(ReferenceIHD):
    """Queries the meters but ignores a Publish CoT that answers its own query."""

    def _on_get_cot_answer(self, frame: AirFrame, zcl: ZclFrame) -> None:
        return


class QueriesEsmeOnly(DualFuelIHD):
    """On a dual-fuel home, asks only the ESME for the CoT."""

    def query_cot(self, meter) -> None:  # noqa: ANN001
        if meter.fuel is Fuel.ELECTRICITY:
            super().query_cot(meter)


# -- Implementation Date/Time ------------------------------------------------------------------
class SchedulesAlthoughOnReceipt(ReferenceIHD):
    """Declared on_receipt, but schedules a future-dated CoT (generic SE behaviour)."""

    def consider_cot(self, issuer_event_id: int, implementation_time: int, meter) -> None:  # noqa: ANN001
        scope = self.scope_of(meter)
        if (
            self.is_new_event(issuer_event_id, scope)
            and implementation_time > self.zcl_now()
            and implementation_time != 0xFFFFFFFF
        ):
            self.schedule_cot(issuer_event_id, implementation_time, scope)
            return
        super().consider_cot(issuer_event_id, implementation_time, meter)


class IgnoresPastImplementationTime(ReferenceIHD):
    """Treats a CoT dated more than an hour in the past as stale and ignores it."""

    def consider_cot(self, issuer_event_id: int, implementation_time: int, meter) -> None:  # noqa: ANN001
        if 0 < implementation_time < self.zcl_now() - 3600:
            return
        super().consider_cot(issuer_event_id, implementation_time, meter)


class ZeroMeansNever(ReferenceIHD):
    """Ignores a CoT whose implementation time is 0 (which means now)."""

    def consider_cot(self, issuer_event_id: int, implementation_time: int, meter) -> None:  # noqa: ANN001
        if implementation_time == 0:
            return
        super().consider_cot(issuer_event_id, implementation_time, meter)


class IgnoresCancel(ReferenceIHD):
    """Scheduled policy, but an implementation time of 0xFFFFFFFF does not cancel."""

    def cancel_scheduled(self, issuer_event_id: int) -> None:
        return


# -- Bench and declaration, robustness --------------------------------------------------------
class DescriptorWithoutDmClient(ReferenceIHD):
    """Its simple descriptor omits the Device Management client cluster it uses."""

    def output_clusters(self) -> list[int]:
        return [c for c in super().output_clusters() if c != DEVICE_MANAGEMENT]


class NeverJoins(ReferenceIHD):
    """Never joins the network (e.g. a wrong install code): a bench error, not a verdict."""

    def power_on(self) -> None:
        self.powered = True


class HangsOnUnknownPrepaymentCommand(ReferencePPMID):
    """Its ZCL task hangs on an unknown Prepayment command: it answers nothing afterwards."""

    hung = False

    def on_zcl(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if self.hung:
            return
        if zcl.cluster_id == PREPAYMENT and zcl.command_name.startswith("unknown_"):
            self.hung = True
            return
        super().on_zcl(frame, zcl)


class ClearsOnUnknownPrepaymentCommand(ReferencePPMID):
    """Its prepayment store is corrupted by an unknown Prepayment command: it clears."""

    def on_zcl(self, frame: AirFrame, zcl: ZclFrame) -> None:
        if zcl.cluster_id == PREPAYMENT and zcl.command_name.startswith("unknown_"):
            for data_class in self.stores:
                self.clear(data_class, None)
        super().on_zcl(frame, zcl)
