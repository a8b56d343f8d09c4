"""The reference simulated PPMID: top-up history, debt recovery and supplier messages.

A Prepayment Meter Interface Device stores what a prepayment customer needs at hand: the
top-up log, the debt being recovered and supplier messages. It shows no consumption
history, so CLR-01 does not apply to it (SECMP0056: clear "if stored on the PPMID").
"""

from __future__ import annotations

from harness.domain import DataClass
from harness.sim.devices.reference import ReferenceDevice


class ReferencePPMID(ReferenceDevice):
    device_type = 0x0509  # SE Prepayment Terminal (the PPMID's HAN role)
    stores = (DataClass.TOP_UP_HISTORY, DataClass.DEBT_RECOVERY, DataClass.SUPPLIER_MESSAGES)
