"""`cot-harness`: run the conformance suite, validate profiles.

cot-harness run [--profile FILE] [--alluredir DIR] [-- extra pytest args]
cot-harness profile validate FILE
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import harness.report.cli
from harness.profile import ProfileError, load_profile

DEFAULT_PROFILE = "device_profiles/sim-ihd.yaml"
DEFAULT_ALLUREDIR = "reports/allure-results"


def _suite_dir() -> Path:
    import testcases

    return Path(testcases.__file__).resolve().parent


def run(args: argparse.Namespace) -> int:
    import pytest

    try:
        profile = load_profile(args.profile)
    except ProfileError as error:
        print(f"profile error: {error}", file=sys.stderr)
        return 4
    print(f"cot-harness: {profile.identity_line()} -> {args.alluredir}")
    started = time.monotonic()
    code = pytest.main(
        [
            str(_suite_dir()),
            "--profile",
            str(args.profile),
            "--alluredir",
            args.alluredir,
            "--clean-alluredir",
            "-p",
            "no:cacheprovider",
            "-rs",
            *args.pytest_args,
        ]
    )
    print(f"cot-harness: suite finished in {time.monotonic() - started:.2f} s, exit {int(code)}")
    if code == pytest.ExitCode.INTERRUPTED:
        # Ctrl-C or SIGTERM: the evidence is complete for what ran, and says what did not.
        print("cot-harness: the run was interrupted: the case it was in (if any) is broken, the rest not run")
    return int(code)


def validate(args: argparse.Namespace) -> int:
    from harness.profile.preflight import preflight

    try:
        profile = load_profile(args.file)
        problems = preflight(profile)
        if problems:
            raise ProfileError(profile.source_path, problems)
    except ProfileError as error:
        for line in error.lines():
            print(line)
        return 1
    print(f"{args.file}: valid ({profile.identity_line()})")
    return 0


def selftest(args: argparse.Namespace) -> int:
    if args.mutants:
        from harness import mutation

        return mutation.main(args.only, args.jobs)
    from harness import selftest as matrix

    return matrix.main(args.only, args.air, args.air_seed, args.jobs, args.repeat)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cot-harness", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_p = commands.add_parser("run", help="run the conformance suite against a profile")
    run_p.add_argument("--profile", default=DEFAULT_PROFILE)
    run_p.add_argument("--alluredir", default=DEFAULT_ALLUREDIR)
    run_p.add_argument("pytest_args", nargs=argparse.REMAINDER, help="after --: passed to pytest")
    run_p.set_defaults(func=run)
    profile_p = commands.add_parser("profile", help="device profiles")
    profile_cmds = profile_p.add_subparsers(dest="profile_command", required=True)
    validate_p = profile_cmds.add_parser("validate", help="validate a profile, each error with its field path")
    validate_p.add_argument("file")
    validate_p.set_defaults(func=validate)
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
    self_p.set_defaults(func=selftest)
    args = parser.parse_args(argv)
    if getattr(args, "pytest_args", None) and args.pytest_args[0] == "--":
        args.pytest_args = args.pytest_args[1:]
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
