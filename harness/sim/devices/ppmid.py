"""The reference simulated PPMID: top-up history, debt recovery and supplier messages.

A Prepayment Meter Interface Device stores what a prepayment customer needs at hand: the
top-up log, the debt being recovered and supplier messages. It shows no consumption
history, so CLR-01 does not apply to it (SECMP0056: clear "if stored on the PPMID").

It reads each meter's PaymentControlConfiguration and takes bit 1 (Prepayment Enabled) as
the payment mode: from a meter in credit mode it fetches no top-up or debt log.
"""

from __future__ import annotations

from harness.domain import DATA_CLASSES, DataClass
from harness.sim.air import AirFrame
from harness.sim.devices.reference import Meter, ReferenceDevice
from harness.zcl.attributes import read_values
from harness.zcl.codec import ZclFrame
from harness.zcl.ids import PREPAYMENT
from harness.zcl.prepayment import is_prepayment

PAYMENT_CONTROL_CONFIGURATION = 0x0000


class ReferencePPMID(ReferenceDevice):
    device_type = 0x0509  # SE Prepayment Terminal (the PPMID's HAN role)
    stores = (DataClass.TOP_UP_HISTORY, DataClass.DEBT_RECOVERY, DataClass.SUPPLIER_MESSAGES)

    def on_meter_found(self, meter: Meter) -> None:
        super().on_meter_found(meter)
        # Asked after the first fetch, not before it: until the answer the mode is unknown and
        # the PPMID fetches as a prepayment device would.
        self.request(
            meter, PREPAYMENT, "read_attributes", self._on_payment_mode, attribute_ids=[PAYMENT_CONTROL_CONFIGURATION]
        )

    def _on_payment_mode(self, frame: AirFrame, zcl: ZclFrame) -> None:
        meter = self.meter_of(frame)
        value = read_values(zcl).get(PAYMENT_CONTROL_CONFIGURATION)
        if meter is not None and value is not None:
            meter.prepayment = is_prepayment(int(value))  # type: ignore[call-overload]

    def fetch(self, meter: Meter, data_class: DataClass) -> None:
        if meter.prepayment is False and DATA_CLASSES[data_class].server_cluster == PREPAYMENT:
            return  # a meter in credit mode keeps no top-up or debt log
        super().fetch(meter, data_class)
