"""Run-level evidence in the report itself: Allure global attachments.

An assessor handed the HTML report alone must still see what the run was: which device on
which bench (emulated or hardware), every case's verdict against its requirement (the
traceability matrix), and how to check the files they were handed (the manifest). These are
written into the results folder as Allure "global attachments" (allure-commons' own model and
file writer; Allure 3 lists them under "Global Attachments"), after the traceability matrix and
before the manifest, so the manifest covers them too.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from uuid import uuid4

from allure_commons.logger import AllureFileLogger
from allure_commons.model2 import GlobalAttachment, Globals
from allure_commons.utils import now

from harness.report.interruption import Interruption
from harness.report.runs import MANIFEST_NAME

__all__ = ["RUN_SUMMARY", "TRACEABILITY_MATRIX", "attach_run_evidence", "run_summary"]

RUN_SUMMARY = "Run summary: bench, device, verdicts, how to verify the evidence"
TRACEABILITY_MATRIX = "Traceability matrix (every case, its requirement and verdict)"
TRACEABILITY_CSV = "Traceability matrix (CSV)"


def run_summary(
    environment: Mapping[str, str],
    verdicts: Mapping[str, int],
    run_root: Path,
    interruption: Interruption | None,
) -> str:
    """Plain text, read first: the run in a dozen lines."""
    lines = [
        "Change of Tenancy conformance run (cot-harness)",
        "",
        f"Bench:    {environment.get('bench', 'unknown')}",
        f"Device:   {environment.get('device', 'unknown')}",
        f"Firmware: {environment.get('device.firmware_version', 'unknown')}",
        f"Coordinator firmware: {environment.get('coordinator.firmware', 'unknown')}",
        f"Profile:  {environment.get('profile.path', 'unknown')} (SHA-256 {environment.get('profile.sha256', '?')})",
        f"Harness:  {environment.get('harness.version', '?')} at {environment.get('harness.git_commit', '?')}",
        f"Bench time: {environment.get('run.bench_time', 'not measured')} (each case's is its 'bench time' measurement)",
        "",
        "Verdicts: " + (", ".join(f"{count} {verdict}" for verdict, count in sorted(verdicts.items())) or "none"),
    ]
    if interruption is not None:
        lines.append(f"INTERRUPTED: {interruption.summary()}")
    lines += [
        "",
        f"Run folder: {run_root}",
        f"Every evidence file is listed with its SHA-256 in {MANIFEST_NAME} and",
        f"{Path(MANIFEST_NAME).with_suffix('.sha256').name} in that folder. To check what you were handed:",
        f"    cd <run folder> && sha256sum -c {Path(MANIFEST_NAME).with_suffix('.sha256').name}",
        "Each case's frames are attached to the case: a pcapng capture (Wireshark), a sequence",
        "chart and a text trace; the same captures are in captures/<case ID>.pcapng, and every",
        "frame of the run (between cases too) in captures/whole-run.pcapng.",
    ]
    return "\n".join(lines) + "\n"


def attach_run_evidence(alluredir: Path, summary: str, traceability: tuple[Path, Path]) -> None:
    """The run summary and the traceability matrix (Markdown and CSV) as global attachments."""
    writer = AllureFileLogger(str(alluredir))  # writes into the folder; clean=False deletes nothing
    csv_path, md_path = traceability
    items = [
        (RUN_SUMMARY, summary.encode("utf-8"), "text/plain", "txt"),
        (TRACEABILITY_MATRIX, md_path.read_bytes(), "text/markdown", "md"),
        (TRACEABILITY_CSV, csv_path.read_bytes(), "text/csv", "csv"),
    ]
    attachments = []
    for name, body, mime, extension in items:
        file_name = f"{uuid4()}-attachment.{extension}"
        writer.report_attached_data(body=body, file_name=file_name)
        attachments.append(GlobalAttachment(name=name, source=file_name, type=mime, timestamp=now()))
    writer.report_globals(Globals(attachments=attachments))
