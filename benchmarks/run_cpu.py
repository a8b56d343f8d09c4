"""The CPU one simulated run of the whole suite costs, as a `cot-harness selftest` run
costs it: after the imports its template makes once (harness.selftest.preload), the run's
pytest.main() alone, in CPU seconds of the process (every thread: the cases', the bench
loop's with zigpy-znp, the emulated stick and the simulated unit).

CPU, not wall: the machine is shared, and a loaded machine stretches wall time, not the
work. Per frame: the run's CPU over the frames of its trace, for the reference IHD and for
a chatty unit (a query every 10 minutes over the 24 h soak, about three times the frames):
the cost of a frame must not grow with how many came before it.

`python -m benchmarks.run_cpu PROFILE MODEL|- ALLUREDIR` prints one JSON line (cpu, frames,
exit); `run_cpu(repeat)` runs it in a fresh process per sample and gives the figures.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.stats import Figure

REPO = Path(__file__).resolve().parent.parent
SELFTEST_GOAL_S = 30
CORES = 2
CHATTY = ("sim-ihd.yaml", "QueriesEveryTenMinutes")
REFERENCE = ("sim-ihd.yaml", None)
RUN_TIMEOUT_S = 900  # a bound on a hang, never a measure


def _trace_frames(alluredir: Path) -> int:
    """Frames in the run's per-case frame traces (one numbered line each)."""
    count = 0
    for attachment in alluredir.glob("*-attachment.txt"):
        for line in attachment.read_text(encoding="utf-8", errors="replace").splitlines():
            first = line.split(" +", 1)[0].strip()
            if first.isdigit() and " +" in line and ("-> 0x" in line or "<- 0x" in line):
                count += 1
    return count


def measure(profile: str, model: str | None, workdir: Path) -> dict[str, float]:
    """In this process: the selftest template's imports, then one run; its CPU and frames."""
    import _pytest.config

    hooks = list(sys.meta_path)
    import testcases

    _pytest.config._prepareconfig([str(Path(testcases.__file__).parent), "-s", "-p", "no:cacheprovider"])
    from harness import selftest

    spec = None
    if model is not None:
        from harness.sim.matrix import MATRIX

        spec = next(s for s in MATRIX if s.model.__name__ == model)
    entry = selftest.Entry(model or f"reference {profile}", profile, spec.reference if spec else None, spec)
    args, folder = selftest.pytest_args(entry, workdir, [])
    # As the selftest's template does: the run's stick starts formed (harness.sim.world).
    selftest.preload(hooks)
    selftest.form_stick(args[args.index("--profile") + 1], set())
    import pytest

    started = time.process_time()
    code = int(pytest.main(args))
    cpu = time.process_time() - started
    return {"cpu": cpu, "frames": _trace_frames(folder / "allure-results"), "exit": code}


def _sample(profile: str, model: str | None) -> dict[str, float] | None:
    with tempfile.TemporaryDirectory(prefix="cot-bench-cpu-") as folder:
        try:
            done = subprocess.run(
                [sys.executable, "-m", "benchmarks.run_cpu", profile, model or "-", folder],
                cwd=REPO,
                capture_output=True,
                text=True,
                timeout=RUN_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return None
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        return json.loads(lines[-1]) if done.returncode == 0 and lines else None


def selftest_runs() -> int:
    """The matrix's runs today: every fault variant and every reference (harness.sim.matrix)."""
    from harness.sim.matrix import MATRIX, REFERENCES

    return len(MATRIX) + len(REFERENCES)


def run_cpu(repeat: int) -> list[Figure]:
    runs = selftest_runs()
    per_run_goal = SELFTEST_GOAL_S * CORES / runs
    figures = []
    for label, (profile, model) in (("reference IHD", REFERENCE), ("chatty IHD (a query every 10 min)", CHATTY)):
        run = Figure(
            "cpu",
            f"one suite run, {label} (CPU after the template's imports)",
            "s",
            goal=f"≤ {per_run_goal:.2f} s: {runs} runs in {SELFTEST_GOAL_S} s on {CORES} cores",
        )
        frame = Figure(
            "cpu",
            f"one suite run, {label}: CPU per frame of its trace",
            "ms",
            goal="flat: the chatty unit's frame costs what the reference's does",
        )
        frames = []
        for _ in range(repeat):
            sample = _sample(profile, model)
            if sample is None:
                run.note = "a run failed or hung: see python -m benchmarks.run_cpu"
                continue
            run.samples.append(sample["cpu"])
            frames.append(int(sample["frames"]))
            if sample["frames"]:
                frame.samples.append(1000 * sample["cpu"] / sample["frames"])
        if frames:
            frame.note = (
                f"{min(frames)}–{max(frames)} frames per run" if min(frames) != max(frames) else f"{frames[0]} frames"
            )
        figures += [run, frame]
    return figures


def main(argv: list[str]) -> int:
    profile, model, workdir = argv
    print(json.dumps(measure(profile, None if model == "-" else model, Path(workdir))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
