"""A device that leaves for good is gone from the trust centre's NV too, so a stick reset
(or a backup taken afterwards) does not bring it back; a leave to rejoin keeps it."""

from __future__ import annotations

import pytest
import zigpy.types as zt

from harness.sim.zstack.tables import known_devices
from tests.stick.conftest import EmulatedStick, join_one, start_host

UNIT_IEEE = "00:0d:6f:00:0b:12:34:56"


@pytest.mark.parametrize("rejoin", [False, True], ids=["leave for good", "leave to rejoin"])
def test_a_leave_for_good_removes_the_device_from_nv(stick: EmulatedStick, rejoin: bool) -> None:
    nwk = join_one(stick, UNIT_IEEE)
    ieee = zt.EUI64.convert(UNIT_IEEE)
    assert known_devices(stick.emulator.nvram) == {ieee: nwk}
    stick.call(lambda: stick.emulator.announce_leave(nwk, ieee, rejoin=rejoin))
    remembered = known_devices(stick.emulator.nvram)
    assert remembered == ({ieee: nwk} if rejoin else {})

    async def restart() -> None:  # zigpy-znp's start-up resets the stick, which reloads its tables from NV
        app = await start_host(stick)
        await app.shutdown()

    stick.run(restart())
    # permit-join is closed now: a device gone for good must join again, a known one rejoins
    assert stick.call(lambda: stick.emulator.admit(ieee)) == (nwk if rejoin else None)
