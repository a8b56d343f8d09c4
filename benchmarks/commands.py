"""Figures measured by running the harness's own commands as subprocesses: the main job
(`cot-harness run`), the selftest, and the bench time per reference profile beside the
estimate of `cot-harness plan`.

Every run writes into a temporary folder (--alluredir), never into the repository's reports/.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.stats import Figure

REPO = Path(__file__).resolve().parent.parent
PROFILES = sorted((REPO / "device_profiles").glob("sim-*.yaml"))
BENCH_TIME_LINE = re.compile(r"^bench time (\d+(?:\.\d+)?) s", re.MULTILINE)
ENV_BENCH_TIME = re.compile(r"^run\.bench_time=(\d+(?:\.\d+)?) s", re.MULTILINE)
SOAK_GOAL_S = 25 * 3600  # issue 11: the whole catalogue with the soak cases
NO_SOAK_GOAL_S = 30 * 60  # and without them
SELFTEST_GOAL_S = 30
RUN_TIMEOUT_S = 900  # a stuck run is reported as such, not waited for for ever
SELFTEST_TIMEOUT_S = 3600


def cot_harness() -> list[str]:
    """The installed console script next to this interpreter (the venv's), else the module."""
    script = Path(sys.executable).with_name("cot-harness")
    return [str(script)] if script.exists() else [sys.executable, "-m", "harness.cli"]


def _bench_time(output: str, run_folder: Path) -> float | None:
    """The virtual bench time the run held: its summary line, else its Allure environment."""
    found = BENCH_TIME_LINE.search(output)
    if found:
        return float(found.group(1))
    env = run_folder / "allure-results" / "environment.properties"
    if env.exists():
        found = ENV_BENCH_TIME.search(env.read_text(encoding="utf-8"))
        if found:
            return float(found.group(1))
    return None


def run_once(profile: Path) -> tuple[float, int, float | None]:
    """One `cot-harness run` into a fresh temporary run folder: wall s, exit status, bench time s."""
    with tempfile.TemporaryDirectory(prefix="cot-bench-run-") as folder:
        run_folder = Path(folder) / "run"
        command = [*cot_harness(), "run", "--profile", str(profile), "--alluredir", str(run_folder / "allure-results")]
        began = time.perf_counter()
        try:
            done = subprocess.run(
                command, cwd=folder, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False
            )
        except subprocess.TimeoutExpired:
            return time.perf_counter() - began, -1, None
        wall = time.perf_counter() - began
        return wall, done.returncode, _bench_time(done.stdout + done.stderr, run_folder)


def _status_note(statuses: list[int]) -> str:
    bad = [s for s in statuses if s != 0]
    return f"exit status {sorted(set(bad))} in {len(bad)} of {len(statuses)} runs" if bad else ""


def main_job(repeat: int) -> tuple[Figure, list[float]]:
    """`cot-harness run` against the simulated reference IHD; also its bench times."""
    figure = Figure(
        "run",
        "cot-harness run, sim-ihd (wall)",
        "s",
        goal="as fast as it goes",
        limit="— (bench time is virtual; the floor is the import and the start-up)",
    )
    statuses, bench_times = [], []
    for _ in range(repeat):
        wall, status, bench_time = run_once(REPO / "device_profiles" / "sim-ihd.yaml")
        figure.samples.append(wall)
        statuses.append(status)
        if bench_time is not None:
            bench_times.append(bench_time)
    figure.note = _status_note(statuses)
    return figure, bench_times


def selftest(repeat: int, jobs: int) -> Figure:
    figure = Figure(
        "selftest",
        f"cot-harness selftest --jobs {jobs} (wall)",
        "s",
        goal=f"≤ {SELFTEST_GOAL_S} s for the whole matrix",
    )
    statuses = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="cot-bench-selftest-") as folder:
            began = time.perf_counter()
            try:
                done = subprocess.run(
                    [*cot_harness(), "selftest", "--jobs", str(jobs)],
                    cwd=folder,
                    capture_output=True,
                    text=True,
                    timeout=SELFTEST_TIMEOUT_S,
                    check=False,
                )
                statuses.append(done.returncode)
            except subprocess.TimeoutExpired:
                statuses.append(-1)
            figure.samples.append(time.perf_counter() - began)
    figure.note = _status_note(statuses)
    return figure


def plan(profile: Path) -> dict[str, object] | None:
    """`cot-harness plan --profile P --json`, or None when the command is not there or fails."""
    try:
        done = subprocess.run(
            [*cot_harness(), "plan", "--profile", str(profile), "--json"],
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
            check=False,
        )
        if done.returncode != 0:
            return None
        return json.loads(done.stdout)
    except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError):
        return None


def _hours(seconds: float) -> str:
    return f"{seconds:.0f} s ({seconds / 3600:.2f} h)"


def bench_time_per_profile(known: dict[str, list[float]]) -> list[Figure]:
    """Per reference profile: the virtual bench time of one run (deterministic for a
    profile, model and seed, so one run is enough; the main job's runs count for sim-ihd)
    beside the plan's estimate, with and without the soak cases."""
    figures = []
    for profile in PROFILES:
        samples = known.get(profile.name) or []
        note = ""
        if not samples:
            _, status, bench_time = run_once(profile)
            samples = [bench_time] if bench_time is not None else []
            note = f"exit status {status}" if status != 0 else ""
        estimate = plan(profile)
        if estimate is None:
            plan_text, no_soak = "plan: not available", "plan: not available"
        else:
            total = float(estimate["total_seconds"])  # type: ignore[arg-type]
            cases = estimate.get("cases", [])
            quick = sum(
                float(c["seconds"])
                for c in cases  # type: ignore[union-attr]
                if c.get("runs", True) and not c.get("soak", False)
            )
            measured = samples[0] if samples else None
            off = f", run {100 * (measured - total) / total:+.1f} % off it" if measured and total else ""
            plan_text = f"plan {_hours(total)}{off}"
            no_soak = f"plan without soak {_hours(quick)} (goal ≤ {NO_SOAK_GOAL_S // 60} min)"
        figures.append(
            Figure(
                "bench time",
                f"{profile.name}: bench time of the run (virtual)",
                "s",
                samples,
                goal=f"≤ {SOAK_GOAL_S // 3600} h with the soak cases; {no_soak}",
                limit=f"one query interval (24 h) for the soak phase; {plan_text}",
                note=note,
            )
        )
    return figures
