"""`cot-harness selftest`: prove every check can fail, and that none fails wrongly.

For each reference device and each fault variant of harness.sim.matrix.MATRIX, the whole
suite runs (in its own process, as a lab's run would) and its Allure verdicts are judged:
- a variant must be caught as *failed* by each case it declares, never passed (an escape,
  the false PASS this product exists to prevent) and never only broken;
- no other case may fail on it, nor be broken unless the matrix says why;
- a reference device must pass every applicable case.
Optional air faults (--air) run the same matrix over a lossy, jittery HAN.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from harness.reference_profiles import profiles_dir
from harness.report.results import read_cases
from harness.sim.matrix import MATRIX, REFERENCES, VariantSpec

PROFILES = profiles_dir()  # the repository's, or the installed package's (a wheel)
RUN_TIMEOUT_S = 300


@dataclasses.dataclass(frozen=True)
class Entry:
    name: str
    profile: str
    model: str | None  # None: the profile's own (reference) model
    spec: VariantSpec | None


@dataclasses.dataclass
class Outcome:
    entry: Entry
    verdicts: dict[str, str]  # case ID -> passed / failed / broken / skipped
    problems: list[str]
    seconds: float
    output: str = ""


def entries(only: list[str] | None = None) -> list[Entry]:
    found = [Entry(f"reference {p.removesuffix('.yaml')}", p, None, None) for p in REFERENCES]
    found += [Entry(spec.model.__name__, spec.profile, spec.reference, spec) for spec in MATRIX]
    if only:
        found = [e for e in found if any(word.lower() in e.name.lower() for word in only)]
    return found


def _profile_for(entry: Entry, folder: Path) -> Path:
    """The reference profile with the variant's model (the profile stays the one source)."""
    data = yaml.safe_load((PROFILES / entry.profile).read_text())
    if entry.model is not None:
        data["simulation"]["model"] = entry.model
        data["identity"]["model"] = f"{data['identity']['model']} (variant {entry.name})"
    path = folder / f"{entry.name.replace(' ', '_')}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def run_entry(entry: Entry, workdir: Path, extra: list[str]) -> Outcome:
    folder = workdir / entry.name.replace(" ", "_")
    folder.mkdir(parents=True, exist_ok=True)
    profile = _profile_for(entry, folder)
    results = folder / "allure-results"
    started = time.monotonic()
    import testcases

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(Path(testcases.__file__).parent),
            "--profile",
            str(profile),
            "--alluredir",
            str(results),
            "-p",
            "no:cacheprovider",  # a selftest run is throwaway: its cases must not become the lab's --lf
            "-q",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        cwd=PROFILES.parent,  # the repository in a checkout (its conftest and pytest settings)
    )
    verdicts = {case_id: case.status for case_id, case in read_cases(results).items()}
    outcome = Outcome(entry, verdicts, [], time.monotonic() - started, done.stdout[-4000:] + done.stderr[-2000:])
    outcome.problems = judge(entry, verdicts)
    return outcome


def judge(entry: Entry, verdicts: dict[str, str]) -> list[str]:
    from harness.catalogue import CASES

    problems = []
    missing = set(CASES) - set(verdicts)
    if missing:
        problems.append(f"no verdict for {sorted(missing)}")
    spec = entry.spec
    expected_failed = spec.failed if spec else frozenset()
    allowed_broken = spec.broken if spec else frozenset()
    may_fail = spec.may_fail if spec else frozenset()
    for case_id, verdict in verdicts.items():
        if case_id in expected_failed:
            if verdict == "passed":
                problems.append(f"ESCAPED: {case_id} passed on a device that breaks its rule")
            elif verdict == "broken":
                problems.append(f"{case_id} caught it only as broken, not failed")
            elif verdict != "failed":
                problems.append(f"{case_id} did not run against it ({verdict})")
        elif verdict == "failed" and case_id not in may_fail:
            problems.append(f"unrelated failure: {case_id}")
        elif verdict == "broken" and case_id not in allowed_broken | may_fail:
            problems.append(f"unrelated broken: {case_id}")
    return problems


def run_matrix(
    only: list[str] | None, extra: list[str], jobs: int, workdir: Path | None = None, progress=print
) -> list[Outcome]:  # noqa: ANN001
    chosen = entries(only)
    root = workdir or Path(tempfile.mkdtemp(prefix="cot-selftest-"))
    outcomes: list[Outcome] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(run_entry, e, root, extra): e for e in chosen}
        for future in concurrent.futures.as_completed(futures):
            outcome = future.result()
            outcomes.append(outcome)
            progress(f"  {'ok ' if not outcome.problems else 'BAD'} {outcome.entry.name} ({outcome.seconds:.1f} s)")
    order = {e.name: i for i, e in enumerate(chosen)}
    return sorted(outcomes, key=lambda o: order[o.entry.name])


def format_matrix(outcomes: list[Outcome]) -> str:
    lines = [f"{'variant / reference':34} {'profile':24} {'must be caught by':22} verdicts", "-" * 110]
    for o in outcomes:
        spec = o.entry.spec
        if spec is None:
            counts = {v: list(o.verdicts.values()).count(v) for v in sorted(set(o.verdicts.values()))}
            shown = ", ".join(f"{n} {v}" for v, n in counts.items())
            expected = "(passes all applicable)"
        else:
            wanted = sorted(spec.failed | spec.broken)
            shown = ", ".join(f"{c} {o.verdicts.get(c, '-')}" for c in wanted)
            expected = " ".join(sorted(spec.failed)) or f"{' '.join(sorted(spec.broken))} (broken)"
        lines.append(f"{o.entry.name:34} {o.entry.profile:24} {expected:22} {shown}")
        for problem in o.problems:
            lines.append(f"{'':34} !! {problem}")
    caught = sum(1 for o in outcomes if o.entry.spec and not o.problems)
    variants = sum(1 for o in outcomes if o.entry.spec)
    clean_refs = sum(1 for o in outcomes if o.entry.spec is None and not o.problems)
    refs = sum(1 for o in outcomes if o.entry.spec is None)
    lines += [
        "-" * 110,
        f"variants caught as declared: {caught}/{variants}; reference devices clean: {clean_refs}/{refs}",
    ]
    return "\n".join(lines)


def main(only: list[str] | None, air: str | None, air_seed: int | None, jobs: int, repeat: int) -> int:
    extra = []
    if air:
        extra += ["--air", air]
    total_problems = 0
    for round_no in range(1, repeat + 1):
        seed = (air_seed if air_seed is not None else 0) + round_no - 1
        args = extra + (["--air-seed", str(seed)] if air else [])
        label = f" (round {round_no}/{repeat}, air {air}, seed {seed})" if air or repeat > 1 else ""
        print(f"cot-harness selftest{label}: {len(entries(only))} runs, {jobs} at a time", flush=True)
        started = time.monotonic()
        outcomes = run_matrix(only, args, jobs, progress=lambda line: print(line, flush=True))
        print(format_matrix(outcomes))
        print(f"matrix time {time.monotonic() - started:.1f} s")
        total_problems += sum(len(o.problems) for o in outcomes)
        for o in outcomes:
            if o.problems and os.environ.get("COT_SELFTEST_VERBOSE"):
                print(f"--- {o.entry.name} output ---\n{o.output}")
    return 1 if total_problems else 0
