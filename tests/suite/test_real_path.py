"""The real path: the unmodified zigpy-znp drives the emulated Z-Stack over a serial path.

The emulator counts every MT frame it parsed and answered; the harness counts every
packet zigpy-znp handed up. If frames bypassed zigpy-znp's serial layer these would not
agree with the trace.
"""

from __future__ import annotations

import pytest

from harness.bench import Bench
from harness.domain import DataClass
from harness.profile import load_profile
from tests.suite.conftest import REPO

PROFILE = REPO / "device_profiles" / "sim-ihd.yaml"


@pytest.mark.parametrize("transport", ["tcp", "pty"])
def test_frames_cross_zigpy_znp_serial_layer(transport: str) -> None:
    bench = Bench(load_profile(PROFILE), sim_transport=transport)
    bench.start()
    try:
        world, app = bench.han.world, bench.coordinator.app  # the simulation behind its facade
        server = world.server
        path = server.path
        assert path.startswith("socket://127.0.0.1:") if transport == "tcp" else path.startswith("/dev/pts/")
        # zigpy-znp's application is the stock class underneath ours
        from zigpy_znp.zigbee.application import ControllerApplication

        assert isinstance(app, ControllerApplication)
        served = sum(world.coordinator.served.values())
        assert server.frames_in == served + len(world.coordinator.unknown)
        # a process's later worlds start formed (harness.sim.world.FORMED): zigpy-znp then keeps
        # the network, about 90 round trips instead of the few hundred of forming a blank stick
        assert served > (60 if world.started_formed else 100), "start-up alone is many MT round trips"
        assert world.coordinator.unknown == [] and world.coordinator.faults == []
        assert server.frames_out >= server.frames_in  # every request answered, plus callbacks
        # every AF/ZDO frame the emulator sent up reached zigpy-znp's callbacks
        bench.loop.wait_for(lambda: world.coordinator.data_to_host == app.data_in or None, 2, "host caught up")
        rx = [r for r in bench.link.frames_since(0) if r.direction == "rx"]
        assert rx and all(r.src_nwk == bench.uut_nwk for r in rx)
        # the harness never answers the unit's Default Responses (zigpy would, unguarded)
        for record in bench.link.frames_since(0):
            if record.direction == "tx" and len(record.payload) >= 4 and record.payload[0] & 0x03 == 0:
                assert not (record.payload[2] == 0x0B and record.payload[3] == 0x0B), record
        # the unit took the previous occupier's history through that path
        seen = bench.observing.observe(
            DataClass.CONSUMPTION_HISTORY, bench.occupancy.resident, bench.occupancy.upcoming
        )
        assert seen.shows_previous
    finally:
        bench.stop()


def _install_code_profile(model: str) -> object:
    import yaml

    from harness.profile import parse_profile

    data = yaml.safe_load(PROFILE.read_text())
    data["radio"]["security"] = "install_code"
    data["identity"]["install_code"] = "83FED3407A939723A5C639B26916D505C3B5"
    data["simulation"]["model"] = model
    return parse_profile(data, source=PROFILE)


def test_install_code_join_is_enforced_by_the_emulated_trust_centre() -> None:
    bench = Bench(_install_code_profile("harness.sim.devices.ihd:ReferenceIHD"))
    bench.start()
    try:
        coordinator = bench.han.world.coordinator
        assert bench.uut_nwk is not None
        assert coordinator.served["AppConfig.BDBAddInstallCode.Req"] == 1
        assert coordinator.install_code_keys  # the derived key, never the code itself
        assert not coordinator.joins_need_install_code  # switched off again after the join
    finally:
        bench.stop()


def test_a_unit_with_another_install_code_never_joins() -> None:
    from harness.errors import CoordinatorError

    bench = Bench(_install_code_profile("tests.suite.wrong_install_code:WrongInstallCode"))
    try:
        with pytest.raises(CoordinatorError, match="did not join"):
            bench.start()
    finally:
        bench.stop()
