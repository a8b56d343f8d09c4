"""The traceability matrix: every case of the plan, its requirement, its verdict and the files
that are its evidence, as CSV (for tools and spreadsheets) and Markdown (for the report).

Every catalogue case appears, run or not: a case missing from the results is listed as
"not run", because an assessor must see a gap rather than infer one from an absent row. When
the run was interrupted, the cases it never reached say so, and so does the Markdown's head.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from harness.catalogue import CASES
from harness.report.interruption import NOT_REACHED, Interruption
from harness.report.results import CaseResult, read_cases

__all__ = ["CSV_NAME", "MD_NAME", "NOT_RUN", "Row", "traceability_rows", "write_traceability"]

CSV_NAME = "traceability.csv"
MD_NAME = "traceability.md"
NOT_RUN = "not run"
HEADER = ("case ID", "title", "requirement", "verdict", "detail", "evidence files")


@dataclass(frozen=True)
class Row:
    case_id: str
    title: str
    requirement: str
    verdict: str
    detail: str  # why a case failed, was blocked or does not apply (first line)
    evidence: tuple[tuple[str, str], ...]  # (attachment name, file name in the results folder)


def _row(case_id: str, result: CaseResult | None, interruption: Interruption | None) -> Row:
    spec = CASES.get(case_id)
    title = spec.title if spec else (result.name if result else "")
    requirement = (result.labels.get("requirement") if result else None) or (spec.requirement if spec else "")
    if result is None:
        detail = ""
        if interruption is not None and case_id == interruption.case_id:
            # Its result file was never completed: still the case the run stopped in.
            detail = f"interrupted {interruption.cause()}: this case did not finish"
        elif interruption is not None and case_id in interruption.not_reached:
            detail = f"{NOT_REACHED} ({interruption.cause()})"
        return Row(case_id, title, requirement, NOT_RUN, detail, ())
    detail = result.message.strip().splitlines()[0] if result.message.strip() else ""
    evidence = tuple(dict.fromkeys((a.name, a.source) for a in result.attachments))
    return Row(case_id, title, requirement, result.verdict, detail, evidence)


def traceability_rows(alluredir: Path, interruption: Interruption | None = None) -> list[Row]:
    """Catalogue order first, then any case ID the results hold that the catalogue does not."""
    results = read_cases(alluredir)
    ids = list(CASES) + sorted(set(results) - set(CASES))
    return [_row(case_id, results.get(case_id), interruption) for case_id in ids]


def _csv(rows: list[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for r in rows:
        files = ";".join(source for _, source in r.evidence)
        writer.writerow((r.case_id, r.title, r.requirement, r.verdict, r.detail, files))
    return out.getvalue()


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _markdown(rows: list[Row], alluredir: Path, interruption: Interruption | None) -> str:
    lines = [
        "# Traceability",
        "",
        f"Results: `{alluredir}`. Evidence files are in that folder.",
        "",
    ]
    if interruption is not None:
        lines += [f"**This run was {interruption.summary()}.** It is not a complete run of its selection.", ""]
    lines += [
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
    ]
    for r in rows:
        files = "<br>".join(f"{_cell(name)}: `{source}`" for name, source in r.evidence)
        cells = [r.case_id, r.title, r.requirement, r.verdict, r.detail]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + f" | {files} |")
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.verdict] = counts.get(r.verdict, 0) + 1
    lines += ["", "Verdicts: " + ", ".join(f"{v} {n}" for v, n in sorted(counts.items())), ""]
    return "\n".join(lines)


def write_traceability(
    alluredir: Path, out_dir: Path, interruption: Interruption | None = None, rows: list[Row] | None = None
) -> tuple[Path, Path]:
    """Write traceability.csv and traceability.md into out_dir; returns (csv, md). `rows`:
    traceability_rows() of the same results when the caller has them (a run's end counts its
    verdicts from them too, and reading every result once is enough)."""
    alluredir, out_dir = Path(alluredir), Path(out_dir)
    if rows is None:
        rows = traceability_rows(alluredir, interruption)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, md_path = out_dir / CSV_NAME, out_dir / MD_NAME
    csv_path.write_text(_csv(rows), encoding="utf-8")
    md_path.write_text(_markdown(rows, alluredir, interruption), encoding="utf-8")
    return csv_path, md_path
