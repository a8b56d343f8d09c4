"""`python -m benchmarks [--repeat N | --quick] [--only SECTION ...] [--selftest] [--json FILE]`."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks import commands, inprocess
from benchmarks.limits import limits
from benchmarks.report import limits_text, table, write_json
from benchmarks.run_cpu import run_cpu
from benchmarks.stats import Figure

SECTIONS = ("run", "bench", "link", "frame", "cpu", "selftest", "profiles")
DEFAULT_SECTIONS = ("run", "bench", "link", "frame", "cpu", "profiles")  # the selftest takes minutes: --selftest


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="repetitions of each figure (default 5)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: one repetition, few rounds")
    parser.add_argument("--rounds", type=int, default=100, help="Publish CoT round trips per bench (default 100)")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="only these sections")
    parser.add_argument("--selftest", action="store_true", help="also time `cot-harness selftest` (minutes)")
    parser.add_argument("--selftest-repeat", type=int, help="repetitions of the selftest (default: --repeat)")
    parser.add_argument("--jobs", type=int, default=2, help="selftest --jobs (default 2)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the raw samples here")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.rounds < 1:
        parser.error("--repeat and --rounds must be at least 1")
    if args.quick:
        args.repeat, args.rounds = 1, 10
    return args


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sections = list(args.only or DEFAULT_SECTIONS)
    if args.selftest and "selftest" not in sections:
        sections.append("selftest")
    floor = limits()
    load_at_start = load_average()
    began = time.perf_counter()
    print(f"cores {os.cpu_count()}, load average at start {load_at_start}", file=sys.stderr, flush=True)

    figures: list[Figure] = []
    bench_times: dict[str, list[float]] = {}
    if "run" in sections:
        figure, times = commands.main_job(args.repeat)
        figures.append(figure)
        bench_times["sim-ihd.yaml"] = times
    if "bench" in sections:
        figures += inprocess.bench_start(args.repeat)
    if "link" in sections:
        figures += inprocess.publish_round_trip(args.repeat, args.rounds, floor)
    if "frame" in sections:
        figures += inprocess.frame_costs(args.repeat, floor)
    if "cpu" in sections:
        figures += run_cpu(args.repeat)
    if "selftest" in sections:
        figures.append(commands.selftest(args.selftest_repeat or args.repeat, args.jobs))
    if "profiles" in sections:
        figures += commands.bench_time_per_profile(bench_times)

    load_at_end = load_average()
    print(table(figures))
    print()
    print(limits_text(floor))
    print()
    print(
        f"{os.cpu_count()} cores; load average (1, 5, 15 min) at start {load_at_start}, at end {load_at_end}; "
        f"{time.perf_counter() - began:.0f} s in all"
    )
    if args.json:
        context = {
            "cores": os.cpu_count(),
            "load_at_start": load_at_start,
            "load_at_end": load_at_end,
            "repeat": args.repeat,
            "rounds": args.rounds,
        }
        write_json(args.json, figures, floor, context)
    return 0


if __name__ == "__main__":
    sys.exit(main())
