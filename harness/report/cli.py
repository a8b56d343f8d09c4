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
from harness.report.diff import add_arguments as add_diff_arguments
from harness.report.diff import run_diff
from harness.report.html import ReportError, ReportToolMissing, render_report
from harness.report.interruption import Interruption
from harness.report.manifest import write_manifest
from harness.report.redact import named_secrets, scan_for_secrets
from harness.report.run_info import write_run_info
from harness.report.traceability import traceability_rows, write_traceability

__all__ = ["CAPTURES_DIR", "MANIFEST_NAME", "TRACEABILITY_DIR", "finish_run", "register"]

DEFAULT_ALLUREDIR = Path("reports/allure-results")
CAPTURES_DIR = "captures"  # beside the results, where the plugin writes the pcapng files
TRACEABILITY_DIR = "traceability"
MANIFEST_NAME = "evidence-manifest.json"
EXIT_TOOL_MISSING = 2


def run_report(args: argparse.Namespace) -> int:
    alluredir: Path = args.alluredir
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
    report.add_argument("--alluredir", type=Path, default=DEFAULT_ALLUREDIR, help="results to render")
    report.add_argument("--out", type=Path, default=None, help="HTML file (default: <alluredir>/../report.html)")
    report.set_defaults(func=run_report)
    diff = commands.add_parser(
        "diff", help="compare two runs: verdicts, measurements, environment; exit 1 when a case got worse"
    )
    add_diff_arguments(diff)
    diff.set_defaults(func=run_diff)


def finish_run(
    alluredir: Path,
    profile: Profile,
    coordinator_info: dict[str, str] | None,
    interruption: Interruption | None = None,
) -> dict[str, Any]:
    """Run info, traceability, the manifest over the reports folder, then the secret scan.

    The reports folder is alluredir's parent: alluredir, its sibling captures/ and the
    traceability/ written here. The manifest comes after everything else it lists, and the
    scan last, over the manifest too. Returns a summary (JSON-ready) for the terminal.
    An interrupted run gets all of it too, saying where it stopped and what it never ran.
    """
    alluredir = Path(alluredir)
    reports = alluredir.parent
    write_run_info(alluredir, profile=profile, coordinator=coordinator_info, interruption=interruption)
    csv_path, md_path = write_traceability(alluredir, reports / TRACEABILITY_DIR, interruption)
    roots = [alluredir, reports / CAPTURES_DIR, reports / TRACEABILITY_DIR]
    manifest = write_manifest(roots, reports / MANIFEST_NAME)
    sums = manifest.with_suffix(".sha256")
    secrets = named_secrets(profile)
    findings = scan_for_secrets([*roots, manifest, sums], secrets)
    verdicts: dict[str, int] = {}
    for row in traceability_rows(alluredir, interruption):
        verdicts[row.verdict] = verdicts.get(row.verdict, 0) + 1
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


def _listed(manifest: Path) -> list[Any]:
    return list(json.loads(manifest.read_text(encoding="utf-8"))["files"])
