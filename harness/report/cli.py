"""`cot-harness report` and `cot-harness diff`, and the end-of-run evidence step.

harness.cli adds the subcommands with `register(commands)`; the plugin calls `finish_run`
once the session is over, when every result and capture is on disk.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from harness.profile import Profile
from harness.report.diff import run_diff
from harness.report.html import ReportError, ReportToolMissing, render_report
from harness.report.interruption import Interruption
from harness.report.manifest import write_manifest
from harness.report.redact import named_secrets, scan_for_secrets
from harness.report.run_attachments import attach_run_evidence, run_summary
from harness.report.run_info import environment, write_run_info
from harness.report.runs import (
    CAPTURES_DIR,
    MANIFEST_NAME,
    TRACEABILITY_DIR,
    EvidenceNotWritten,
    RunFolder,
    resolve_results,
)
from harness.report.traceability import Row, traceability_rows, write_traceability

__all__ = ["CAPTURES_DIR", "MANIFEST_NAME", "TRACEABILITY_DIR", "finish_run", "register"]

EXIT_TOOL_MISSING = 2
EXIT_BAD_RUN = 2  # `diff`: a folder that is not a run (its documented "bad input")


def run_report(args: argparse.Namespace) -> int:
    try:
        alluredir = resolve_results(args.alluredir or args.run)
    except FileNotFoundError as error:
        print(f"cot-harness report: {error}", file=sys.stderr)
        return 1
    # Beside the results, in the run folder (derived from the evidence, so not in its manifest).
    out: Path = args.out or alluredir.parent / "report.html"

    def notify(line: str) -> None:
        print(f"cot-harness report: {line}", file=sys.stderr)

    try:
        path = render_report(alluredir, out, notify=notify)
    except ReportToolMissing as error:
        print(f"cot-harness report: {error}", file=sys.stderr)
        return EXIT_TOOL_MISSING
    except ReportError as error:
        print(f"cot-harness report: {error}", file=sys.stderr)
        return 1
    print(f"cot-harness report: wrote {path}")
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `report` and `diff` to the `cot-harness` subcommands (each sets func=)."""
    report = commands.add_parser("report", help="render the Allure 3 HTML report as one file")
    report.add_argument(
        "run", type=Path, nargs="?", default=None, metavar="RUN", help="run folder (default: reports/latest)"
    )
    report.add_argument("--alluredir", type=Path, default=None, help="an allure-results folder, instead of RUN")
    report.add_argument("--out", type=Path, default=None, help="HTML file (default: <run folder>/report.html)")
    report.set_defaults(func=run_report)
    diff = commands.add_parser(
        "diff", help="compare two runs: verdicts, measurements, environment; exit 1 when a case got worse"
    )
    diff.add_argument("run_a", type=Path, metavar="RUN_A", help="run folder (or allure-results) of the first run")
    diff.add_argument(
        "run_b",
        type=Path,
        nargs="?",
        default=None,
        metavar="RUN_B",
        help="run folder (or allure-results) of the second run (default: reports/latest)",
    )
    diff.set_defaults(func=run_diff_of_runs)


def run_diff_of_runs(args: argparse.Namespace) -> int:
    """`diff` on run folders (or allure-results folders; RUN_B defaults to the latest run)."""
    resolved = []
    for run in (args.run_a, args.run_b):
        try:
            resolved.append(resolve_results(run))
        except FileNotFoundError as error:
            print(f"cot-harness diff: {error}", file=sys.stderr)
            return EXIT_BAD_RUN
    return run_diff(argparse.Namespace(run_a=resolved[0], run_b=resolved[1]))


def finish_run(
    alluredir: Path,
    profile: Profile,
    coordinator_info: dict[str, str] | None,
    interruption: Interruption | None = None,
    *,
    bench_seconds: float | None = None,
    derived_secrets: list[bytes] | None = None,
) -> dict[str, Any]:
    """Run info, traceability, the manifest over the run folder, then the secret scan
    (the profile's secrets and `derived_secrets`, the keys the run derived).

    The run folder is alluredir's parent (harness.report.runs): its mark, alluredir, captures/
    and the traceability/ written here. The manifest comes after everything else it lists,
    and the scan last, over the manifest too. Returns a summary (JSON-ready) for the terminal.
    An interrupted run gets all of it too, saying where it stopped and what it never ran.
    EvidenceNotWritten (naming the path and the OS error) when any of it cannot be written;
    then no manifest is left behind, since one that is not the whole story must not verify.
    """
    run = RunFolder.of(alluredir)
    alluredir = run.alluredir
    try:
        env = environment(profile, coordinator_info, interruption, bench_seconds)
        write_run_info(
            alluredir,
            profile=profile,
            coordinator=coordinator_info,
            interruption=interruption,
            bench_seconds=bench_seconds,
            env=env,
        )
        rows = traceability_rows(alluredir, interruption)
        csv_path, md_path = write_traceability(alluredir, run.traceability, interruption, rows)
        verdicts = _verdict_counts(rows)
        # In the report itself, not only beside it: an assessor may be handed the HTML alone.
        summary = run_summary(env, verdicts, run.root, interruption)
        attach_run_evidence(alluredir, summary, (csv_path, md_path))
        roots = run.evidence_roots()
        manifest = write_manifest(roots, run.manifest)
    except OSError as error:
        for seal in (run.manifest, run.sums):
            try:
                seal.unlink(missing_ok=True)
            except OSError:
                pass  # cannot remove it either: the error below names the folder
        raise EvidenceNotWritten(Path(error.filename or run.root), error) from error
    sums = manifest.with_suffix(".sha256")
    secrets = named_secrets(profile, derived_secrets or ())
    findings = scan_for_secrets([*roots, manifest, sums], secrets)
    return {
        "alluredir": str(alluredir),
        "traceability": [str(csv_path), str(md_path)],
        "manifest": str(manifest),
        "manifest_sha256": str(sums),
        "files": len(_listed(manifest)),
        "verdicts": verdicts,
        "interrupted": interruption.summary() if interruption is not None else None,
        "secret_forms_checked": sum(len(forms) for forms in secrets.values()),
        # Which form, never the secret itself.
        "secret_findings": [f"{path}: {label}" for path, label in findings],
        "clean": not findings,
    }


def _verdict_counts(rows: list[Row]) -> dict[str, int]:
    verdicts: dict[str, int] = {}
    for row in rows:
        verdicts[row.verdict] = verdicts.get(row.verdict, 0) + 1
    return verdicts


def _listed(manifest: Path) -> list[Any]:
    return list(json.loads(manifest.read_text(encoding="utf-8"))["files"])
