"""`cot-harness selftest`: prove every check can fail, and that none fails wrongly.

For each reference device and each fault variant of harness.sim.matrix.MATRIX, the suite
runs (in its own process, as a lab's run would) and its Allure verdicts are judged:
- a variant must be caught as *failed* by each case it declares, never passed (an escape,
  the false PASS this product exists to prevent) and never only broken;
- no other case may fail on it, nor be broken unless the matrix says why;
- a reference device must pass every applicable case.
Optional air faults (--air) run the same matrix over a lossy, jittery HAN.

What a run covers (`Entry.cases`): a reference device always runs the whole suite, since
"no case fails wrongly" is a claim about every case. A variant, by default, runs only the
cases the matrix says must catch it (`VariantSpec.judged_by`), selected as a lab selects
them (`-k CLR-01`): whether those cases catch it is the proof that each check can fail, and
the other cases' verdicts on a one-fault unit only repeat, at about three times the cost,
what its reference's run already shows. `--full` runs every variant through the whole
suite as well, so that "no other case may fail on it" is judged too, and that nothing the
earlier cases do to a unit hides its fault: both proofs in one matrix, the references run
once (run before landing a change to the cases, the variants or the simulation; CI runs
the selected proof). Each proof catches what the other cannot: QueriesAgainAfterBoot was
caught by its selected run and escaped a whole one, until POLL-04 was widened; a case that
catches a fault only because of what an earlier case did to the unit catches it in a whole
run and lets it escape in a selected one.

How the runs are made (harness/selftest.py's template): a fresh `python -m pytest` per run
spent most of its time importing (zigpy, zigpy-znp, pydantic, the harness: about 1.3 s, all
compiled from source when bytecode is not written) before its first case. One template
process imports all of that once, the way pytest itself does (under pytest's assertion
rewriting, so a case's assertion messages are those of a lab's run), and forks a child per
run: the child calls pytest.main() with the run's own profile and results folder and exits.
A fork of a template that never ran a session is the isolation: every run starts from
freshly imported modules (no soak cache of testcases/query_soak.py, no allure listener, no
signal handlers of harness/interrupts.py, no bench-loop thread, no virtual clock), exactly
as a new process would, and nothing a run leaves behind reaches the next one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from harness.reference_profiles import profiles_dir
from harness.report.results import read_cases
from harness.scratch import keep_work_folder, make_work_folder
from harness.sim.matrix import MATRIX, REFERENCES, VariantSpec

PROFILES = profiles_dir()  # the repository's, or the installed package's (a wheel)
# A run that has not ended by then is hung (a deadlock, a wait without a deadline), not slow:
# a run of the whole suite costs 1-5 s of CPU on this 2-core machine whatever the unit does
# (the cost per frame is constant), and 20 s when the machine is shared and loaded. Thirty
# minutes is two orders of magnitude above that, so no load can reach it by accident, and it
# still ends a hung matrix instead of leaving it to run for ever.
RUN_TIMEOUT_S = 1800.0
# What the template imports once for every run: the heavy third-party stacks and the
# harness modules a run reaches outside the plugin's own imports (the simulation, the
# variants and mutants a profile's model names, the results reader); and the suite's case
# modules themselves (_suite_modules).
PRELOAD = (
    "harness.plugin",
    "harness.sim.facade",
    "harness.sim.matrix",
    "harness.sim.mutants",
    "harness.report.results",
    "allure_pytest.plugin",
    "zigpy_znp.zigbee.application",
)


UNUSED_PLUGINS = (
    "xdist",
    "doctest",
    "pastebin",
    "junitxml",
    "stepwise",
    "setuponly",
    "setupplan",
    "legacypath",
    "unittest",
    "unraisableexception",
    "threadexception",
)


@dataclasses.dataclass(frozen=True)
class Entry:
    name: str
    profile: str
    model: str | None  # None: the profile's own (reference) model
    spec: VariantSpec | None
    cases: frozenset[str] | None = None  # the cases the run selects (None: the whole suite)

    @property
    def cache_key(self) -> str:
        """Its name in the remembered seconds: a selected run and a whole one differ in length."""
        return self.name if self.cases is None else f"{self.name} [{' '.join(sorted(self.cases))}]"


@dataclasses.dataclass
class Outcome:
    entry: Entry
    verdicts: dict[str, str]  # case ID -> passed / failed / broken / skipped
    problems: list[str]
    seconds: float
    output: str = ""
    results: Path | None = None  # the run's allure-results (None: the run never started)
    exit: int | None = None  # the run's exit status (None: the run never started)


WHOLE_SUITE = " (whole suite)"  # the name of a variant's --full run beside its selected one


def entries(only: list[str] | None = None, full: bool = False) -> list[Entry]:
    """The references and the variants (matching `only`): a variant's run selects only the
    cases that must catch it; with `full`, each variant also runs the whole suite (a second
    entry, named WHOLE_SUITE), and the references still run once (the module's docstring says
    why both proofs are made)."""
    found = [Entry(f"reference {p.removesuffix('.yaml')}", p, None, None) for p in REFERENCES]
    for spec in MATRIX:
        name = spec.model.__name__
        found.append(Entry(name, spec.profile, spec.reference, spec, spec.judged_by))
        if full and spec.judged_by is not None:
            found.append(Entry(name + WHOLE_SUITE, spec.profile, spec.reference, spec, None))
    if only:
        found = [e for e in found if any(word.lower() in e.name.lower() for word in only)]
    return found


# libyaml's loader and emitter where PyYAML has them (harness/yamlload.py): a matrix writes
# about 200 profiles before its first run starts.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _profile_for(entry: Entry, folder: Path) -> Path:
    """The reference profile with the variant's model (the profile stays the one source)."""
    data = yaml.load((PROFILES / entry.profile).read_text(), Loader=_LOADER)
    if entry.model is not None:
        data["simulation"]["model"] = entry.model
        data["identity"]["model"] = f"{data['identity']['model']} (variant {entry.name})"
    path = folder / f"{entry.name.replace(' ', '_')}.yaml"
    path.write_text(yaml.dump(data, Dumper=_DUMPER, sort_keys=False))
    return path


def pytest_args(entry: Entry, workdir: Path, extra: list[str]) -> tuple[list[str], Path]:
    """The run's pytest arguments (its own profile and results folder) and its folder."""
    folder = workdir / entry.name.replace(" ", "_")
    folder.mkdir(parents=True, exist_ok=True)
    profile = _profile_for(entry, folder)
    import testcases

    args = [
        str(Path(testcases.__file__).parent),
        "--profile",
        str(profile),
        "--alluredir",
        str(folder / "allure-results"),
        "-p",
        "no:cacheprovider",  # a selftest run is throwaway: its cases must not become the lab's --lf
        # pytest's plugins that no conformance case uses: each is registered, scanned for
        # hooks and fixtures and configured in every run, ~11 ms of a variant's ~190 ms
        # (unraisableexception alone collects garbage five times as the run ends). They judge
        # nothing: a case's verdict is the same with them and without them.
        *(arg for plugin in UNUSED_PLUGINS for arg in ("-p", f"no:{plugin}")),
        "-q",
        # A failed case's traceback as Python prints it: pytest's own long form parses each
        # frame's whole module again to show its statement, a fifth of a variant's run (its
        # must-fail cases fail). The verdict and its message (the assertion's) are the same.
        "--tb=native",
        *(["-k", " or ".join(sorted(entry.cases))] if entry.cases is not None else []),
        *extra,
    ]
    return args, folder


def _seconds_file() -> Path:
    """Where the selftest remembers how long each run took (the user's cache, as
    harness/report/html.py keeps Allure there): only the order runs start in reads it."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cot-harness" / "selftest-seconds.json"


def template_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The template's environment: the caller's, except that where bytecode is not written
    (PYTHONDONTWRITEBYTECODE, as on this project's machines) the template keeps it in the
    user's cache instead (PYTHONPYCACHEPREFIX, never beside the sources): otherwise every
    selftest compiles the harness and rewrites its assertions again before the first run,
    0.6 s of the template's 1.8 s start. A prefix the caller chose is kept."""
    env = dict(environ)
    if env.get("PYTHONDONTWRITEBYTECODE") and not env.get("PYTHONPYCACHEPREFIX"):
        env.pop("PYTHONDONTWRITEBYTECODE")
        env["PYTHONPYCACHEPREFIX"] = str(_seconds_file().parent / "pycache")
    return env


def _known_seconds() -> dict[str, float]:
    try:
        known = json.loads(_seconds_file().read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(known, dict):
        return {}
    return {str(k): float(v) for k, v in known.items() if isinstance(v, int | float)}


def _remember_seconds(seconds: dict[str, float]) -> None:
    if not seconds:
        return
    known = {**_known_seconds(), **{name: round(s, 2) for name, s in seconds.items()}}
    path = _seconds_file()
    with contextlib.suppress(OSError):  # a read-only home costs only the order of the next matrix
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(known, indent=0, sort_keys=True))
        partial.replace(path)


def longest_first(chosen: list[Entry], known: dict[str, float]) -> list[Entry]:
    """The runs in the order they start: the longest last time first (a run never timed
    counts as the longest), so both cores stay busy to the end instead of one finishing a
    long run alone; ties keep the matrix's order. Only the order changes: every run is its
    own fork, judged alone, and the outcomes are reported in the matrix's order."""
    slowest = max(known.values(), default=0.0) + 1.0
    return sorted(chosen, key=lambda e: -known.get(e.cache_key, slowest))


def run_entries(
    chosen: list[Entry],
    workdir: Path,
    extra: list[str],
    jobs: int,
    extra_for: Mapping[str, Sequence[str]] | None = None,
) -> Iterator[Outcome]:
    """Run each entry's whole suite in a forked child of the template, `jobs` at a time,
    longest first; yield each Outcome as its run ends (in the order they end). `extra_for`:
    more pytest arguments for some entries (by name) after `extra`, so runs of different
    options share one template (the harness's own tests: one run with air faults)."""
    more = extra_for or {}
    by_name = {e.name: e for e in chosen}
    jobs_file = workdir / "template-jobs.json"
    jobs_file.write_text(
        json.dumps(
            {
                "jobs": max(1, jobs),
                "runs": [
                    {"name": e.name, "args": args, "folder": str(folder), "cases": sorted(e.cases or ())}
                    for e in longest_first(chosen, _known_seconds())
                    for args, folder in [pytest_args(e, workdir, [*extra, *more.get(e.name, ())])]
                ],
            }
        )
    )
    import testcases

    template = subprocess.Popen(
        [sys.executable, "-c", _TEMPLATE_BOOT, str(jobs_file), str(Path(testcases.__file__).parent)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=PROFILES.parent,  # the repository in a checkout (its conftest and pytest settings)
        env=template_environment(os.environ),
    )
    seen: set[str] = set()
    seconds: dict[str, float] = {}
    try:
        assert template.stdout is not None
        for line in template.stdout:
            report = json.loads(line)
            entry = by_name[report["name"]]
            seen.add(entry.name)
            if not report.get("timed_out"):
                seconds[entry.cache_key] = float(report["seconds"])
            yield _outcome(entry, Path(report["folder"]), report)
    finally:
        if template.poll() is None:
            template.terminate()
        template.wait()
        _remember_seconds(seconds)
    for entry in chosen:
        if entry.name not in seen:  # the template itself died: say so per run, never pass silently
            yield Outcome(entry, {}, [f"no run: the selftest template ended ({template.returncode})"], 0.0)


def _outcome(entry: Entry, folder: Path, report: dict[str, object]) -> Outcome:
    results = folder / "allure-results"
    verdicts = {case_id: case.status for case_id, case in read_cases(results).items()} if results.is_dir() else {}
    output_file = _output_file(folder)
    output = output_file.read_text(errors="replace")[-6000:] if output_file.exists() else ""
    outcome = Outcome(entry, verdicts, [], float(report["seconds"]), output, results, int(report["exit"]))  # type: ignore[arg-type]
    outcome.problems = judge(entry, verdicts)
    if not verdicts:
        outcome.problems.insert(0, f"the run wrote no verdict (exit status {report['exit']})")
    if report.get("timed_out"):
        outcome.problems.insert(0, f"hung: the run had not ended after {RUN_TIMEOUT_S:g} s and was killed")
    return outcome


def _output_file(folder: Path) -> Path:
    """Beside the run's folder: a file in it would be foreign to the harness's run folder."""
    return folder.with_name(folder.name + ".output.txt")


def run_entry(entry: Entry, workdir: Path, extra: list[str]) -> Outcome:
    """One entry's run (the template's way, as the matrix runs it)."""
    return next(run_entries([entry], workdir, extra, jobs=1))


# -- the template: imports once, forks a child per run ----------------------------------------
# pytest's start-up comes first, before any harness module: pytest then imports the plugin
# (and with it the harness) under its assertion-rewriting hook, as in a lab's run; a harness
# module imported before the hook would be neither rewritten nor re-importable by the run.
_TEMPLATE_BOOT = (
    "import sys, _pytest.config as c; hooks = list(sys.meta_path); "
    "config = c._prepareconfig([sys.argv[2], '-s', '-p', 'no:cacheprovider']); "
    "from harness.selftest import template_main; template_main(sys.argv[1], hooks)"
)


def template_main(jobs_file: str, hooks_before: list[object]) -> None:
    """The template process: preload, then fork up to `jobs` children at a time, one per run;
    print one JSON line per run as it ends (name, folder, exit status, wall seconds)."""
    spec = json.loads(Path(jobs_file).read_text())
    preload(hooks_before)
    homes = case_modules()
    pending = [{**run, "args": only_their_modules(run["args"], run["cases"], homes)} for run in spec["runs"]]
    running: dict[int, tuple[int, dict[str, str], float]] = {}  # pidfd -> (pid, run, started)
    formed: set[object] = set()
    try:
        while pending or running:
            while pending and len(running) < spec["jobs"]:
                run = pending.pop(0)
                # Each network is formed just before its first run is forked, not all before
                # the first: the runs already forked use the other core meanwhile (twelve
                # networks took a second of the template's start, one core idle).
                form_stick(_profile_arg(run["args"]), formed)
                _no_threads()
                started = time.monotonic()
                pid = _fork_run(run)
                running[os.pidfd_open(pid)] = (pid, run, started)
            earliest = min(started for _pid, _run, started in running.values())
            wait = max(0.0, earliest + RUN_TIMEOUT_S - time.monotonic())
            ready, _, _ = select.select(list(running), [], [], wait)
            now = time.monotonic()
            for fd in list(running):
                pid, run, started = running[fd]
                timed_out = fd not in ready and now - started >= RUN_TIMEOUT_S
                if fd not in ready and not timed_out:
                    continue
                if timed_out:
                    os.kill(pid, signal.SIGKILL)
                _, status = os.waitpid(pid, 0)
                os.close(fd)
                del running[fd]
                report = {
                    "name": run["name"],
                    "folder": run["folder"],
                    "exit": os.waitstatus_to_exitcode(status),
                    "seconds": round(time.monotonic() - started, 3),
                    "timed_out": timed_out,
                }
                print(json.dumps(report), flush=True)
    finally:
        for pid, _run, _started in running.values():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def preload(hooks_before: list[object]) -> None:
    """Import the PRELOAD modules under the assertion-rewriting hook pytest's start-up (in
    _TEMPLATE_BOOT) installed, then remove the hook (each run installs its own). No session
    is ever started here: the children fork from freshly imported modules. Each simulated
    profile's network is formed later, once, before its first run (`form_stick`): every
    child's stick starts formed."""
    import gc

    for name in PRELOAD + _suite_modules():
        __import__(name)
    sys.meta_path[:] = hooks_before  # type: ignore[assignment]
    from harness.report.run_info import environment_facts

    environment_facts()  # asked once here, for every run's environment (cached facts of this process)
    _no_threads()
    # The imported modules live as long as the template: keep them out of every child's
    # collections (and their pages shared with the template, not copied on a collection).
    gc.collect()
    gc.freeze()


def _no_threads() -> None:
    """A fork copies only the forking thread: never fork a threaded template."""
    import threading

    if threading.active_count() != 1:
        raise RuntimeError(f"selftest template: {threading.active_count()} threads before a fork")


def _profile_arg(args: list[str]) -> str:
    return args[args.index("--profile") + 1]


class _StartUpClock:
    """The bench clock of a coordinator start-up outside any bench (nothing is waited on)."""

    def now(self) -> float:
        return time.time()

    def stamp(self) -> float:
        return time.time()

    async def until(self, condition: Callable[[], object], timeout: float, what: str, jump: bool = True) -> object:
        raise NotImplementedError("a stick's formation waits on nothing of the bench")


def form_sticks(profiles: Sequence[str]) -> None:
    """Form each distinct simulated network of the runs once, on a stick of its own, by the
    harness's own coordinator start-up (zigpy-znp forming the blank stick, as a run's first
    bench does), and keep the formed stick (harness.sim.world.FORMED) for the forked runs.
    A profile that cannot be formed here is left to its run (which then forms, and reports
    whatever goes wrong as a lab's run would)."""
    seen: set[object] = set()
    for path in profiles:
        form_stick(path, seen)


def form_stick(path: str, seen: set[object]) -> None:
    """form_sticks for one run's profile; `seen`: the networks already formed (or tried)."""
    import asyncio

    from harness.bench.root import radio_settings
    from harness.profile.load import load_profile
    from harness.radio.coordinator import Coordinator
    from harness.sim import world

    async def form(profile: object, path: str) -> None:
        coordinator = Coordinator(radio_settings(profile, path, skip_bootloader=False), _StartUpClock())  # type: ignore[arg-type]
        try:
            await coordinator.start()
        finally:
            await coordinator.stop()

    try:
        profile = load_profile(path)
    except Exception:  # noqa: BLE001 - the run itself reports its profile's errors
        return
    if not profile.is_simulated:
        return
    # Before the network's check: profiles with and without CBKE share a network.
    _warm_key_establishment(profile)
    key = world.stick_key(profile)
    if key in seen:
        return
    seen.add(key)
    try:
        asyncio.run(world.prepare_formed_stick(profile, lambda serial, p=profile: form(p, serial)))
    except Exception as error:  # noqa: BLE001 - its runs then form their own stick, and report
        print(f"selftest template: {path} not formed in advance ({error!r})", file=sys.stderr)


def _warm_key_establishment(profile: object) -> None:
    """A CBKE profile's curve gets its fixed-base table here, once, before the forks: every
    child's key pairs and ephemeral keys then start from it instead of each making it again."""
    from harness.profile.choices import SecurityMode
    from harness.security.curves import curve_for_suite

    radio = getattr(profile, "radio", None)
    if radio is not None and radio.security is SecurityMode.CBKE and radio.cbke is not None:
        curve_for_suite(radio.cbke.suite).base_table  # noqa: B018 - made here, before the forks


def _suite_modules() -> tuple[str, ...]:
    """The conformance suite's case modules, by the names pytest's collection imports them
    under (the package testcases, rootdir-relative): imported here, under the rewriting hook,
    each child's collection finds them in sys.modules instead of parsing, rewriting and
    compiling every module again (bytecode is not written, PYTHONDONTWRITEBYTECODE). Their
    module state is that of a fresh import, as the harness modules' is."""
    import testcases

    return tuple(f"testcases.{path.stem}" for path in sorted(Path(testcases.__file__).parent.glob("test_*.py")))


def case_modules() -> dict[str, Path]:
    """Each case ID's module file, from the `case` marks of the suite's imported modules (on
    a test function, or on its parameters, as CLR-01..04 are made): read after `preload`."""
    homes: dict[str, Path] = {}
    for name in _suite_modules():
        module = sys.modules.get(name)
        if module is None or module.__file__ is None:
            continue
        tests = [
            value for attribute, value in vars(module).items() if attribute.startswith("test_") and callable(value)
        ]
        for mark in (mark for test in tests for mark in _marks_of(test)):
            if mark.name == "case" and mark.args:
                homes[str(mark.args[0])] = Path(module.__file__)
    return homes


def _marks_of(test: object) -> Iterator[Any]:
    """A test function's marks, and the marks of its parametrize parameters (pytest.param)."""
    for mark in getattr(test, "pytestmark", ()):
        yield mark
        if mark.name == "parametrize" and len(mark.args) > 1:
            yield from (inner for param in mark.args[1] for inner in getattr(param, "marks", ()))


def only_their_modules(args: list[str], cases: Sequence[str], homes: Mapping[str, Path]) -> list[str]:
    """A selected run's arguments with the suite folder replaced by the modules its cases are
    in, in the folder's order: collection parses and builds only those (a third of a
    one-case run's fixed cost was collecting the ten modules). `-k` still selects within
    them. A case whose module is not known leaves the folder as it is: the whole suite is
    collected and `-k` selects, as before (and a case no module holds has no verdict, which
    the judge reports)."""
    if not cases or any(case not in homes for case in cases):
        return list(args)
    folder = args[0]
    modules = sorted({homes[case] for case in cases}, key=lambda path: path.name)
    if any(path.parent != Path(folder) for path in modules):
        return list(args)
    return [*(str(path) for path in modules), *args[1:]]


def _fork_run(run: dict[str, str]) -> int:
    sys.stdout.flush()
    pid = os.fork()
    if pid:
        return pid
    code = 70  # EX_SOFTWARE: the child failed before pytest could give its own status
    try:
        folder = Path(run["folder"])
        out = os.open(_output_file(folder), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(out, 1)
        os.dup2(out, 2)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)  # a run never reads the template's input
        import random

        random.seed()  # a fresh process would not share the template's random state
        import pytest

        code = int(pytest.main(list(run["args"])))
    except BaseException as error:  # noqa: BLE001 - whatever happens, the child must never return into the template
        with contextlib.suppress(Exception):
            print(f"selftest child: {error!r}", file=sys.stderr)
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def judge(entry: Entry, verdicts: dict[str, str]) -> list[str]:
    from harness.catalogue import CASES

    problems = []
    missing = set(CASES if entry.cases is None else entry.cases) - set(verdicts)
    if missing:
        problems.append(f"no verdict for {sorted(missing)}")
    if entry.cases is not None and set(verdicts) - entry.cases:
        # -k matches case IDs as words of the items' keywords: a wider match is a selection
        # that no longer says what the run covers
        problems.append(f"ran outside its selection {sorted(entry.cases)}: {sorted(set(verdicts) - entry.cases)}")
    spec = entry.spec
    expected_failed = spec.failed if spec else frozenset()
    allowed_broken = spec.broken if spec else frozenset()
    if spec is not None and spec.blocks_rest:
        allowed_broken = frozenset(CASES) - expected_failed  # every other case broken, naming the one failed
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
    only: list[str] | None,
    extra: list[str],
    jobs: int,
    workdir: Path | None = None,
    progress: Callable[[str], object] = print,
    full: bool = False,
) -> list[Outcome]:
    return run_chosen(entries(only, full), extra, jobs, workdir, progress)


def run_chosen(
    chosen: list[Entry],
    extra: list[str],
    jobs: int,
    workdir: Path | None = None,
    progress: Callable[[str], object] = print,
) -> list[Outcome]:
    """run_matrix over a chosen list of entries (the harness's own tests run the references
    and the variants as two parts, so a test of the references alone need not wait for the
    variants); the outcomes in the entries' order."""
    root = workdir or make_work_folder("cot-selftest-")
    outcomes: list[Outcome] = []
    for outcome in run_entries(chosen, root, extra, jobs):
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
    # A variant is caught as declared when every run of it is (--full: its selected run and
    # its whole-suite run); counted once, by its model.
    runs_of: dict[str, list[Outcome]] = {}
    for o in outcomes:
        if o.entry.spec is not None:
            runs_of.setdefault(o.entry.spec.model.__name__, []).append(o)
    caught = sum(1 for runs in runs_of.values() if not any(o.problems for o in runs))
    variants = len(runs_of)
    clean_refs = sum(1 for o in outcomes if o.entry.spec is None and not o.problems)
    refs = sum(1 for o in outcomes if o.entry.spec is None)
    lines += [
        "-" * 110,
        f"variants caught as declared: {caught}/{variants}; reference devices clean: {clean_refs}/{refs}",
    ]
    return "\n".join(lines)


def end_work_folder(root: Path, keep: bool) -> Path | None:
    """The folder a selftest's runs wrote into (made by it, harness.scratch.make_work_folder):
    removed when the selftest ended with every run as declared (about 100 MB a matrix of
    throwaway runs: left in /tmp, a day's matrices filled 22 GB); kept, and its path printed,
    when a run went wrong (its results and output are what the engineer reads next), when
    asked (--keep) or when the selftest was interrupted; a kept folder made in memory moves
    to the ordinary temporary directory first (harness.scratch.keep_work_folder). Only this
    folder is removed: the selftest made it and everything in it. Returns where it is kept."""
    if keep:
        kept = keep_work_folder(root)
        print(f"the runs' results and output are kept in {kept}", flush=True)
        return kept
    shutil.rmtree(root, ignore_errors=True)
    return None


def main(
    only: list[str] | None,
    air: str | None,
    air_seed: int | None,
    jobs: int,
    repeat: int,
    keep: bool = False,
    full: bool = False,
) -> int:
    root = make_work_folder("cot-selftest-")
    try:
        code = _main(only, air, air_seed, jobs, repeat, root, full)
    except BaseException:  # an interrupt: what the runs wrote so far is kept, and named
        end_work_folder(root, keep=True)
        raise
    end_work_folder(root, keep or code != 0)
    return code


def _main(
    only: list[str] | None, air: str | None, air_seed: int | None, jobs: int, repeat: int, root: Path, full: bool
) -> int:
    extra = []
    if air:
        extra += ["--air", air]
    total_problems = 0
    for round_no in range(1, repeat + 1):
        seed = (air_seed if air_seed is not None else 0) + round_no - 1
        args = extra + (["--air-seed", str(seed)] if air else [])
        label = f" (round {round_no}/{repeat}, air {air}, seed {seed})" if air or repeat > 1 else ""
        scope = (
            "each variant its own cases and then the whole suite, each reference the whole suite"
            if full
            else "each variant its own cases, each reference the whole suite"
        )
        print(f"cot-harness selftest{label}: {len(entries(only, full))} runs ({scope}), {jobs} at a time", flush=True)
        started = time.monotonic()
        workdir = root / f"round-{round_no}" if repeat > 1 else root
        outcomes = run_matrix(only, args, jobs, workdir, progress=lambda line: print(line, flush=True), full=full)
        print(format_matrix(outcomes))
        print(f"matrix time {time.monotonic() - started:.1f} s")
        total_problems += sum(len(o.problems) for o in outcomes)
        for o in outcomes:
            if o.problems and os.environ.get("COT_SELFTEST_VERBOSE"):
                print(f"--- {o.entry.name} output ---\n{o.output}")
    return 1 if total_problems else 0
