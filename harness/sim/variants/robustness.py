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


ROWS: tuple[VariantSpec, ...] = (
    _v(ClearsOnUnknownPrepaymentCommand, PPMID, "ROB-01"),
    _v(
        HangsOnUnknownPrepaymentCommand,
        PPMID,
        "ROB-01",
        may_fail=("ROB-02",),
        why="a hung unit cannot action ROB-02's CoT either",
    ),
)
