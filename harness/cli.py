"""`cot-harness`: run the conformance suite, validate profiles.

cot-harness run [--profile FILE] [--alluredir DIR] [--air FAULTS] [--sim-transport tcp|pty] [--soak]
                [-- extra pytest args]
cot-harness profile validate FILE
cot-harness emulate --profile FILE (--listen tcp:HOST:PORT | --pty PATH) [--control tcp:HOST:PORT]
                    [--write-profile FILE]
"""

from __future__ import annotations

import argparse
import enum
import os
import sys
import time
from importlib import metadata
from pathlib import Path

import harness.report.cli
from harness.profile import ProfileError, load_profile
from harness.reference_profiles import default_profile

# Not a folder: it stands for a new run folder per run (harness.report.runs), made by `run`.
DEFAULT_ALLUREDIR = "reports/runs/<UTC time>-<device>/allure-results"


class Exit(enum.IntEnum):
    """The exit status of `cot-harness run` (and of `pytest testcases` with the plugin): one
    table, so a lab's script can tell a device's fault from the bench's. 2, 4 and 5 are
    pytest's own; the harness's usage errors use pytest's 4 too."""

    OK = 0  # every case passed or was not applicable
    DEVICE_FAILED = 1  # a case failed: the device does not conform
    INTERRUPTED = 2  # Ctrl-C or SIGTERM: the evidence says where it stopped
    INTERNAL_ERROR = 3  # a bug in the harness (or a plugin)
    USAGE = 4  # a bad option or argument: nothing was started
    NO_CASE_SELECTED = 5  # -k / -m / a path selected no case
    SECRET_IN_EVIDENCE = 6  # the evidence holds a secret: do not hand the folder out
    BENCH_ERROR = 7  # a case was broken (stick, network, observer) and none failed
    PROFILE_ERROR = 8  # the profile is invalid: nothing was started
    EVIDENCE_NOT_WRITTEN = 9  # the run's evidence (captures, manifest, scan) could not be written


EXIT_MEANINGS = {
    Exit.OK: "every case passed or was not applicable",
    Exit.DEVICE_FAILED: "a case failed: the device does not conform",
    Exit.INTERRUPTED: "interrupted (Ctrl-C, SIGTERM): the evidence says where it stopped",
    Exit.INTERNAL_ERROR: "internal error of the harness",
    Exit.USAGE: "usage error (bad option or value): nothing started",
    Exit.NO_CASE_SELECTED: "no case selected (-k, -m or a path matched nothing)",
    Exit.SECRET_IN_EVIDENCE: "a secret was found in the evidence: do not hand the folder out",
    Exit.BENCH_ERROR: "bench error: a case was broken (stick, network, observer) and none failed",
    Exit.PROFILE_ERROR: "profile error: nothing started",
    Exit.EVIDENCE_NOT_WRITTEN: "the run's evidence could not be written",
}


def exit_table() -> str:
    return "exit status:\n" + "\n".join(f"  {int(code)}  {text}" for code, text in EXIT_MEANINGS.items())


def version_line() -> str:
    """cot-harness's installed version and the radio stack's, as a bug report needs them."""

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"

    return f"cot-harness {version('cot-harness')} (zigpy {version('zigpy')}, zigpy-znp {version('zigpy-znp')})"


# Options of `run` that pytest owns: after `--` they would bypass what `run` checks and prints.
_RUN_OWNS = ("--profile", "--alluredir")


def _suite_dir() -> Path:
    import testcases

    return Path(testcases.__file__).resolve().parent


def _usage(message: str) -> int:
    print(f"cot-harness: usage error: {message}", file=sys.stderr)
    return int(Exit.USAGE)


def run(args: argparse.Namespace) -> int:
    import pytest

    for extra in args.pytest_args:
        if extra.split("=", 1)[0] in _RUN_OWNS:
            # Passed through, it would silently replace the run's own while the header names that one.
            name = extra.split("=", 1)[0]
            return _usage(f"{name} after --: give it to run itself (cot-harness run {name} ...)")
    if args.air is not None:
        from harness.sim.air import parse_air

        try:
            parse_air(args.air)  # a bad value is a usage error now, not every case broken later
        except ValueError as error:
            return _usage(str(error))
    if args.profile is None:
        try:
            args.profile = default_profile()
        except FileNotFoundError as error:
            print(f"profile error: {error}", file=sys.stderr)
            return int(Exit.PROFILE_ERROR)
    try:
        profile = load_profile(args.profile)
    except ProfileError as error:
        print(f"profile error: {error}", file=sys.stderr)
        return int(Exit.PROFILE_ERROR)
    except OSError as error:
        print(f"profile error: {args.profile}: {error.strerror or error}", file=sys.stderr)
        return int(Exit.PROFILE_ERROR)
    passed = ["--sim-transport", args.sim_transport]
    if args.air is not None:
        passed += ["--air", args.air]
    if args.air_seed is not None:
        passed += ["--air-seed", str(args.air_seed)]
    if args.soak:
        passed.append("--soak")
    from harness.report import runs

    new_run = args.alluredir == DEFAULT_ALLUREDIR
    if new_run:
        try:
            args.alluredir = str(
                runs.new_run_folder(f"{profile.identity.model}-fw{profile.identity.firmware_version}")
                / runs.ALLURE_RESULTS
            )
        except runs.EvidenceNotWritten as error:
            print(f"cot-harness: run evidence not written: {error}", file=sys.stderr)
            return int(Exit.EVIDENCE_NOT_WRITTEN)
    print(f"cot-harness: {profile.identity_line()} -> {args.alluredir}")
    started = time.monotonic()
    code = pytest.main(
        [
            str(_suite_dir()),
            "--profile",
            str(args.profile),
            "--alluredir",
            args.alluredir,  # never --clean-alluredir here: only `-- --clean-alluredir`, on a run folder of ours
            "-rs",
            *passed,
            *args.pytest_args,
        ]
    )
    print(f"cot-harness: suite finished in {time.monotonic() - started:.2f} s, exit {int(code)}")
    run_folder = Path(args.alluredir).parent
    if new_run and (run_folder / runs.MARKER).is_file():
        try:
            pointer = runs.point_latest(run_folder)
        except OSError as error:
            print(f"cot-harness: {runs.DEFAULT_REPORTS / runs.LATEST_LINK} not updated: {error}", file=sys.stderr)
        else:
            note = f"-> {run_folder}" if pointer else "left as it is: it is not the harness's pointer"
            print(f"cot-harness: latest run: {pointer or runs.DEFAULT_REPORTS / runs.LATEST_LINK} {note}")
    if code == pytest.ExitCode.INTERRUPTED:
        # Ctrl-C or SIGTERM: the evidence is complete for what ran, and says what did not.
        print("cot-harness: the run was interrupted: the case it was in (if any) is broken, the rest not run")
    return int(code)


def validate(args: argparse.Namespace) -> int:
    from harness.profile.errors import EXIT_PROFILE_ERROR
    from harness.profile.preflight import checked_profile

    try:
        profile = checked_profile(args.file)
    except ProfileError as error:
        # Errors on stderr, one line each, and the same exit status as `run` refusing a profile.
        for line in error.lines():
            print(line, file=sys.stderr)
        return EXIT_PROFILE_ERROR
    print(f"{args.file}: valid ({profile.identity_line()})")
    return 0


def plan(args: argparse.Namespace) -> int:
    from harness.plan import plan_command

    return plan_command(args.profile, soak=args.soak, as_json=args.json)


def selftest(args: argparse.Namespace) -> int:
    from harness import selftest as matrix

    if args.only is not None and not args.mutants:
        if not args.only:
            return _usage("selftest --only: give one or more words of a variant's or reference's name")
        if not matrix.entries(args.only):
            names = ", ".join(e.name for e in matrix.entries())
            return _usage(f"selftest --only {' '.join(args.only)}: no variant or reference matches; they are: {names}")
    if args.mutants:
        from harness import mutation

        return mutation.main(args.only, args.jobs, keep=args.keep)
    return matrix.main(args.only, args.air, args.air_seed, args.jobs, args.repeat, keep=args.keep, full=args.full)


def emulate(args: argparse.Namespace) -> int:
    import asyncio

    from harness.errors import BenchError
    from harness.sim import standalone

    try:
        listen = standalone.parse_listen(args.listen) if args.listen is not None else None
        control = standalone.parse_control(args.control) if args.control is not None else None
    except ValueError as error:
        return _usage(str(error))
    if args.write_profile is not None and control is None:
        return _usage("emulate --write-profile: needs --control (the profile names the control endpoint)")
    options = standalone.EmulatorOptions(
        profile=Path(args.profile) if args.profile is not None else default_profile(),
        listen=listen,
        pty=args.pty,
        control=control,
        write_profile=Path(args.write_profile) if args.write_profile is not None else None,
        air=args.air,
        air_seed=args.air_seed,
    )
    try:
        return asyncio.run(standalone.serve(options))
    except ProfileError as error:
        for line in error.lines():
            print(line, file=sys.stderr)
        return int(Exit.PROFILE_ERROR)
    except (BenchError, OSError) as error:
        print(f"cot-harness emulate: {error}", file=sys.stderr)
        return int(Exit.BENCH_ERROR)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cot-harness", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=version_line())
    commands = parser.add_subparsers(dest="command", required=True)
    run_p = commands.add_parser(
        "run",
        help="run the conformance suite against a profile",
        description="Run the conformance suite against a device profile and write its evidence.",
        epilog=exit_table(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run_p.add_argument(
        "--profile",
        default=None,
        metavar="FILE",
        help="device profile YAML (default: the installed reference profile device_profiles/sim-ihd.yaml)",
    )
    run_p.add_argument(
        "--alluredir", default=DEFAULT_ALLUREDIR, metavar="DIR", help=f"results folder (default: {DEFAULT_ALLUREDIR})"
    )
    run_p.add_argument(
        "--air",
        metavar="FAULTS",
        help="simulation only: air faults, e.g. loss=0.1,jitter=200ms,duplicate=0.05 (default: the profile's simulation.air)",
    )
    run_p.add_argument("--air-seed", type=int, metavar="N", help="simulation only: seed of the air's faults")
    run_p.add_argument(
        "--sim-transport",
        choices=("tcp", "pty"),
        default="tcp",
        help="simulation only: how zigpy-znp reaches the emulated coordinator (default: tcp)",
    )
    run_p.add_argument(
        "--soak", action="store_true", help="on hardware, also run the soak cases (days; always run in simulation)"
    )
    run_p.add_argument(
        "pytest_args", nargs=argparse.REMAINDER, help="after --: passed to pytest (e.g. -- -k CLR-01 or -- --lf)"
    )
    run_p.set_defaults(func=run)
    profile_p = commands.add_parser("profile", help="device profiles")
    profile_cmds = profile_p.add_subparsers(dest="profile_command", required=True)
    validate_p = profile_cmds.add_parser("validate", help="validate a profile, each error with its field path")
    validate_p.add_argument("file")
    validate_p.set_defaults(func=validate)
    plan_p = commands.add_parser(
        "plan", help="before anything is opened: the cases that will run, their bench time, the operator's steps"
    )
    plan_p.add_argument("--profile", default=None, help="device profile YAML (default: the simulated reference IHD)")
    plan_p.add_argument("--soak", action="store_true", help="on hardware, include the soak cases (as run --soak)")
    plan_p.add_argument("--json", action="store_true", help="one JSON object: total_seconds, cases (id, seconds, ...)")
    plan_p.set_defaults(func=plan)
    harness.report.cli.register(commands)
    self_p = commands.add_parser("selftest", help="prove every case catches its fault variants (simulation)")
    self_p.add_argument("--only", nargs="*", help="run only variants/references whose name contains these words")
    self_p.add_argument("--air", help="air faults for every run, e.g. loss=0.1,jitter=200ms,duplicate=0.05")
    self_p.add_argument("--air-seed", type=int, default=None, help="seed of the first round's air faults")
    self_p.add_argument("--repeat", type=int, default=1, help="rounds (each with the next air seed)")
    self_p.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="suite runs at a time")
    self_p.add_argument(
        "--mutants",
        action="store_true",
        help="run the mutants derived from the reference devices' hooks instead and print the mutation score",
    )
    self_p.add_argument(
        "--full",
        action="store_true",
        help="run every variant through the whole suite as well as through its own cases, so that no other "
        "case failing on it, and no earlier case hiding its fault, is judged too (by default a variant runs only "
        "the cases that must catch it; a reference always runs them all, once)",
    )
    self_p.add_argument(
        "--keep",
        action="store_true",
        help="keep the runs' results folder even when every run went as declared (it is kept when one did not)",
    )
    self_p.set_defaults(func=selftest)
    emulate_p = commands.add_parser(
        "emulate",
        help="the emulated coordinator and the simulated unit as a process of their own (for ser2net, labgrid)",
        description="Serve the emulated Z-Stack coordinator with the profile's simulated unit on a TCP port or a "
        "pty, and its control endpoint (clock, power, display) for a harness elsewhere. Prints one line "
        "'cot-harness emulate: ready: serial PATH control URL' once listening; ends with its one harness "
        "session, or on SIGINT / SIGTERM.",
    )
    emulate_p.add_argument("--profile", default=None, metavar="FILE", help="a sim:// profile (default: sim-ihd.yaml)")
    where = emulate_p.add_mutually_exclusive_group(required=True)
    where.add_argument("--listen", metavar="tcp:HOST:PORT", help="serve the serial port on TCP (PORT 0: any free)")
    where.add_argument("--pty", metavar="PATH", help="serve the serial port on a pty, linked at PATH")
    emulate_p.add_argument("--control", metavar="tcp:HOST:PORT", help="the control endpoint (PORT 0: any free)")
    emulate_p.add_argument(
        "--write-profile", metavar="FILE", help="write the profile a harness reaches this emulator with"
    )
    emulate_p.add_argument("--air", metavar="FAULTS", help="air faults (default: the profile's simulation.air)")
    emulate_p.add_argument("--air-seed", type=int, metavar="N", help="seed of the air's faults")
    emulate_p.set_defaults(func=emulate)
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        # argparse's usage error is 2, pytest's "interrupted": use the table's usage code.
        if stop.code not in (0, None):
            return int(Exit.USAGE)
        raise
    if getattr(args, "pytest_args", None) and args.pytest_args[0] == "--":
        args.pytest_args = args.pytest_args[1:]
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
