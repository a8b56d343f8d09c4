"""The reference simulated In-Home Display: consumption history and supplier messages.

Single- or dual-fuel is not a property of the model: it shows what every meter it finds
serves, so the dual-fuel reference is this model with a profile declaring ESME and GPF.
"""

from __future__ import annotations

from harness.domain import DataClass
from harness.sim.devices.reference import ReferenceDevice


class ReferenceIHD(ReferenceDevice):
    device_type = 0x0507  # SE In-Home Display
    stores = (DataClass.CONSUMPTION_HISTORY, DataClass.SUPPLIER_MESSAGES)


class DualFuelIHD(ReferenceIHD):
    """The reference IHD on a dual-fuel home (ESME and GPF): the same behaviour."""
