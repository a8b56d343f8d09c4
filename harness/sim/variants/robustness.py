"""Fault variants for the ROB cases, and their rows of the matrix.

Each class breaks one rule (its docstring says which) by overriding one hook of a
reference device; ROWS says which case must catch it (harness.sim.matrix gathers them).
"""

from __future__ import annotations

from harness.sim.air import AirFrame
from harness.sim.devices.ppmid import ReferencePPMID
from harness.sim.variants.spec import PPMID, VariantSpec, _v
from harness.zcl import ids
from harness.zcl.codec import ZclFrame

PREPAYMENT = ids.PREPAYMENT


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


class ClearsLateOnResentPush(ReferencePPMID):
    """Queues a pushed CoT it has already actioned and actions it again 5 s later (after
    response_timeout, within clear_within)."""

    action_delay = 5.0

    def on_pushed_cot(self, frame: AirFrame, zcl: ZclFrame) -> None:
        meter = self.cot_source(frame)
        issuer_event_id = int(zcl.fields["issuer_event_id"])
        if meter is not None and self.last_actioned.get(self.scope_of(meter)) == issuer_event_id:
            scope = self.scope_of(meter)

            def again() -> None:
                if self.last_actioned.get(scope) == issuer_event_id:
                    del self.last_actioned[scope]  # the queue never checked it was done
                self.action_cot(issuer_event_id, scope)

            self.world.clock.call_later(self.action_delay, again)
        super().on_pushed_cot(frame, zcl)


ROWS: tuple[VariantSpec, ...] = (
    _v(ClearsOnUnknownPrepaymentCommand, PPMID, "ROB-01"),
    _v(
        HangsOnUnknownPrepaymentCommand,
        PPMID,
        "ROB-01",
        may_fail=("ROB-02",),
        broken=("NEG-06",),
        why="a hung unit cannot action ROB-02's CoT either, nor take the occupier's data that NEG-06 "
        "(which runs after the robustness cases) starts from",
    ),
    # NEG-02 re-sends an actioned CoT too, and watches longer.
    _v(ClearsLateOnResentPush, PPMID, "ROB-02", "NEG-02"),
)
