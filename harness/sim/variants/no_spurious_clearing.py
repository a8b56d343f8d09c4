"""Fault variants for the NEG cases, and their rows of the matrix.

Each class breaks one rule (its docstring says which) by overriding one hook of a
reference device; ROWS says which case must catch it (harness.sim.matrix gathers them).
"""

from __future__ import annotations

from zigpy.zcl import foundation

from harness.sim.air import AirFrame
from harness.sim.devices.ihd import ReferenceIHD
from harness.sim.variants.spec import IHD, VariantSpec, _v
from harness.zcl.codec import ZclFrame


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


ROWS: tuple[VariantSpec, ...] = (
    _v(ClearsOnNotFound, IHD, "NEG-01"),
    _v(ClearsOnResentPush, IHD, "NEG-02", "ROB-02"),
    _v(ClearsOnOlderEvent, IHD, "NEG-03"),
    _v(ClearsOnChangeOfSupplier, IHD, "NEG-04"),
    _v(ClearsOnPowerCycle, IHD, "NEG-05"),
)
