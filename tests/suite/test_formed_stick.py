"""A simulated run starts from a formed stick, and that changes nothing a case shows.

The first world of a process starts its emulated stick blank and zigpy-znp forms it (the
blank-stick path, which every `cot-harness run` takes); the stick's state right after
formation is kept (harness.sim.world.FORMED), and later worlds of the process with the same
radio settings start from a copy, as a lab's stick formed by the previous run. The selftest
template forms each profile's network once before it forks its runs (harness.selftest
form_sticks). Proven here: the formed state is what the blank path produced and holds no
joined device; a world started from it is kept by zigpy-znp (no formation) and admits the
unit at the same address on the same network; and the reference suite gives the same
verdicts and per-case bench times blank (`cot-harness run`) and formed (the selftest's runs).
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest
import zigpy_znp.types as t

from harness import selftest
from harness.bench import Bench
from harness.profile.load import load_profile
from harness.report.results import measurements_of, read_cases
from harness.selftest import Outcome
from harness.sim import world
from harness.sim.nvram import Nvram
from harness.sim.zstack.core import FormedStick
from harness.sim.zstack.tables import known_devices
from tests.suite.allure_results import result_of
from tests.suite.conftest import REPO, SuiteRun

PROFILES = REPO / "device_profiles"
# Bench time is virtual time: the jumps the cases make, plus the real time the frames take in
# between (the clock also runs with real time). The real time a run has spent moves the
# phase of the unit's timers, so even two blank runs differ: a case's bench time may differ
# between two runs by at most the real time both had spent when it ended (from the process's
# start: at most the run's wall time before its first case plus Allure's start of the first
# case to this one's stop). A bound any load keeps; a start that changed what the cases do
# would show as whole timer periods or a different verdict.
TIMER_PHASE_SHARE = 0.01  # of the run's whole bench time: one unit timer period, never a window
ROUNDING_S = 0.002  # bench time is recorded to the millisecond, Allure's times in milliseconds


def _started(profile_name: str) -> tuple[bool, int, dict[str, str], dict[object, int]]:
    """One in-process bench: (started formed, MT frames, network summary, joined devices)."""
    bench = Bench(load_profile(PROFILES / profile_name))
    bench.start()
    try:
        sim = bench.han.world  # type: ignore[attr-defined]
        frames = sim.server.frames_in + sim.server.frames_out
        return sim.started_formed, frames, bench.coordinator.network_summary(), dict(sim.coordinator.joined)
    finally:
        bench.stop()


def test_the_first_world_forms_and_a_later_one_starts_formed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(world, "FORMED", {})  # this process's earlier worlds do not count
    formed_first, blank_frames, network, joined = _started("sim-ihd.yaml")
    assert not formed_first, "the first world of a process must start blank"
    key = world.stick_key(load_profile(PROFILES / "sim-ihd.yaml"))
    kept = world.FORMED[key]
    assert not known_devices(_nvram_of(kept)), "the formed state was taken after a unit joined"

    formed_second, formed_frames, network_again, joined_again = _started("sim-ihd.yaml")
    assert formed_second, "a later world with the same radio settings must start formed"
    assert network_again == network  # the same network, kept by zigpy-znp
    assert joined_again == joined  # the unit at the same NWK address
    # zigpy-znp did not form: none of the 457 table writes and their read-back.
    assert formed_frames < blank_frames / 4, (formed_frames, blank_frames)
    assert world.FORMED[key] is kept  # a run's joins never reach the kept state


def test_a_world_told_so_starts_blank_even_with_a_formed_stick_at_hand(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(world, "FORMED", {})
    profile = load_profile(PROFILES / "sim-ihd.yaml")
    selftest.form_sticks([str(PROFILES / "sim-ihd.yaml")])
    assert world.stick_key(profile) in world.FORMED

    async def power_up(formed: bool) -> tuple[bool, bool]:
        sim = world.SimWorld(profile, formed=formed)
        await sim.start()
        try:
            return sim.started_formed, sim.coordinator.nvram.on_a_network
        finally:
            await sim.stop()

    assert asyncio.run(power_up(formed=False)) == (False, False)
    assert asyncio.run(power_up(formed=True)) == (True, True)


def test_the_selftest_template_forms_each_network_once_without_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(world, "FORMED", {})
    # The threads forming started and left running, not a count: a thread an earlier test on
    # this worker left behind may end meanwhile (under `-n 2` the neighbours vary).
    before = set(threading.enumerate())
    paths = [str(PROFILES / name) for name in ("sim-ihd.yaml", "sim-ppmid.yaml", "sim-ihd.yaml")]
    selftest.form_sticks(paths)
    left = [thread.name for thread in set(threading.enumerate()) - before]
    assert not left, f"the template forks: forming must leave no thread behind, left {left}"
    for path in paths:
        profile = load_profile(path)
        kept = world.FORMED[world.stick_key(profile)]
        assert not known_devices(_nvram_of(kept))
    assert len(world.FORMED) == len({world.stick_key(load_profile(p)) for p in paths})


def _nvram_of(kept: FormedStick) -> Nvram:
    nv = Nvram(t.EUI64.convert(world.COORDINATOR_IEEE))
    nv.restore(kept.nv)
    return nv


def _cases(results: Path, run_wall_s: float) -> dict[str, tuple[str, float | None, float]]:
    """case ID -> (verdict, bench time or None, the real seconds the run had spent when the
    case ended, an upper bound), from the run's Allure results and its whole wall time."""
    cases = read_cases(results)
    raw = {case_id: result_of(results, case_id) for case_id in cases}
    first_start = min(int(r["start"]) for r in raw.values() if r.get("start"))
    last_stop = max(int(r["stop"]) for r in raw.values() if r.get("stop"))
    before_first = max(0.0, run_wall_s - (last_stop - first_start) / 1000)
    found: dict[str, tuple[str, float | None, float]] = {}
    for case_id, case in cases.items():
        bench = [m.value for m in measurements_of(results, case) if m.name == "bench time"]
        spent = before_first + (int(raw[case_id].get("stop") or last_stop) - first_start) / 1000
        found[case_id] = (case.status, float(bench[0]) if bench else None, spent)
    return found


@pytest.mark.parametrize("profile_name", ["sim-ihd.yaml", "sim-dual-fuel-ihd-fuel-scope.yaml"])
def test_the_reference_suite_gives_the_same_verdicts_and_bench_times_blank_and_formed(
    run_suite: SuiteRun, tmp_path: Path, reference_outcomes: list[Outcome], profile_name: str
) -> None:
    formed_run = next(o for o in reference_outcomes if o.entry.profile == profile_name)
    assert formed_run.results is not None and not formed_run.problems, formed_run.problems
    started = time.monotonic()
    done = run_suite(PROFILES / profile_name)  # a process of its own: its only world starts blank
    blank_wall = time.monotonic() - started  # a bound on the real time in its bench times, never a limit
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    blank = _cases(tmp_path / "allure-results", blank_wall)
    formed = _cases(formed_run.results, formed_run.seconds)
    assert {c: v for c, (v, _t, _w) in blank.items()} == {c: v for c, (v, _t, _w) in formed.items()}
    # A busy world's virtual clock runs with real time, so the phase of the unit's own timers
    # at a case's start moves with the real time spent before it: a case that waits for one of
    # them may differ by one of its periods (IMPL-01 on a loaded CI machine: 10 s blank, 30 s
    # formed). Whole observation windows or soak periods (hours) would still fail this.
    total = sum(t for _v, t, _w in formed.values() if t is not None)
    for case_id, (_verdict, blank_time, blank_spent) in blank.items():
        _verdict, formed_time, formed_spent = formed[case_id]
        if blank_time is None or formed_time is None:
            assert blank_time == formed_time, case_id
        else:
            bound = blank_spent + formed_spent + ROUNDING_S + TIMER_PHASE_SHARE * total
            assert abs(blank_time - formed_time) <= bound, (case_id, blank_time, formed_time, bound)
