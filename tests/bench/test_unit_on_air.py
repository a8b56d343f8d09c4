"""A unit that dies while a case waits for it: the wait ends as an unmet precondition, and
the harness's probe (UutLink.check_on_air) turns that into UnitSilent, the fatal bench error,
instead of each later case waiting out its own deadline (the lab drill in
tests/lab_path/test_bench_faults.py does it through a real emulator process; this is the
same path, in process and deterministic)."""

from __future__ import annotations

import pytest

from harness.bench import Bench
from harness.domain import DataClass
from harness.errors import PreconditionNotMet
from harness.profile import load_profile
from harness.radio.coordinator import UnitSilent
from harness.sim.standalone import go_silent
from tests.suite.conftest import REPO


def test_a_live_unit_passes_the_probe_and_a_dead_one_is_unit_silent() -> None:
    bench = Bench(load_profile(REPO / "device_profiles" / "sim-ihd.yaml"))
    bench.start()
    try:
        bench.link.check_on_air()  # alive: one acknowledged frame is enough, nothing raised
        go_silent(bench.han)  # type: ignore[arg-type]  (the in-process facade)
        resident, upcoming = bench.occupancy.resident, bench.occupancy.upcoming
        with pytest.raises(PreconditionNotMet):  # what the case alone can tell
            bench.observing.require_shown(DataClass.SUPPLIER_MESSAGES, upcoming, resident)
        with pytest.raises(UnitSilent, match="went silent"):
            bench.link.check_on_air()
    finally:
        bench.stop()
