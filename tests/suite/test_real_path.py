"""The real path: the unmodified zigpy-znp drives the emulated Z-Stack over a serial path.

The emulator counts every MT frame it parsed and answered; the harness counts every
packet zigpy-znp handed up. If frames bypassed zigpy-znp's serial layer these would not
agree with the trace.
"""

from __future__ import annotations

import pytest

from harness.bench import Bench
from harness.esi.tenant import DataClass
from harness.profile import load_profile
from tests.suite.conftest import REPO

PROFILE = REPO / "device_profiles" / "sim-ihd.yaml"


@pytest.mark.parametrize("transport", ["tcp", "pty"])
def test_frames_cross_zigpy_znp_serial_layer(transport: str) -> None:
    bench = Bench(load_profile(PROFILE), sim_transport=transport)
    bench.start()
    try:
        world, app = bench.world, bench.coordinator.app
        server = world.server
        path = server.path
        assert path.startswith("socket://127.0.0.1:") if transport == "tcp" else path.startswith("/dev/pts/")
        # zigpy-znp's application is the stock class underneath ours
        from zigpy_znp.zigbee.application import ControllerApplication

        assert isinstance(app, ControllerApplication)
        served = sum(world.coordinator.served.values())
        assert server.frames_in == served + len(world.coordinator.unknown)
        assert served > 100, "start-up alone is a few hundred MT round trips"
        assert world.coordinator.unknown == [] and world.coordinator.faults == []
        assert server.frames_out >= server.frames_in  # every request answered, plus callbacks
        # every AF/ZDO frame the emulator sent up reached zigpy-znp's callbacks
        bench.wait_until(lambda: world.coordinator.data_to_host == app.data_in or None, 2, "host caught up")
        rx = [r for r in bench.frames_since(0) if r.direction == "rx"]
        assert rx and all(r.src_nwk == bench.uut_nwk for r in rx)
        # the harness never answers the unit's Default Responses (zigpy would, unguarded)
        for record in bench.frames_since(0):
            if record.direction == "tx" and len(record.payload) >= 4 and record.payload[0] & 0x03 == 0:
                assert not (record.payload[2] == 0x0B and record.payload[3] == 0x0B), record
        # the unit took the previous occupier's history through that path
        seen = bench.observe(DataClass.CONSUMPTION_HISTORY, bench.tenancy.resident, bench.tenancy.upcoming)
        assert seen.shows_previous
    finally:
        bench.stop()
