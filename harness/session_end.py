"""The end of a session: claiming the run folder at its start, writing the run's evidence at its end.

Kept apart from harness.plugin, whose hooks call these, because both are about the results
folder (harness.report.runs) rather than about cases: the folder --alluredir names is
written only when its parent is the harness's run folder, and the manifest is written last.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from harness.cli import Exit
from harness.evidence import case_evidence
from harness.interrupts import interruption_of, settle_unfinished
from harness.profile import ProfileError, load_profile
from harness.report.cli import finish_run
from harness.report.runs import EvidenceNotWritten, RunFolderRefused, claim

EXIT_SECRET_IN_EVIDENCE = int(Exit.SECRET_IN_EVIDENCE)  # 6
EXIT_EVIDENCE_NOT_WRITTEN = int(Exit.EVIDENCE_NOT_WRITTEN)  # 9


@dataclasses.dataclass(frozen=True)
class StashKeys:
    """The plugin's stash keys this module reads."""

    interruption: Any
    profile: Any
    run_folder: Any
    coordinator: Any


def run_inputs(config: pytest.Config) -> list[Path]:
    """The profile and its answers file: a run folder may hold them (a lab keeps them there)."""
    given = config.getoption("--profile")
    if not given:
        return []  # the installed reference profile: not in any results folder
    path = Path(given)
    try:
        answers = load_profile(path).answers_file
    except (ProfileError, OSError):
        return [path]  # the profile error is reported where the run loads it
    return [path, answers] if answers is not None else [path]


def claim_run_folder(config: pytest.Config) -> Path | None:
    """The folder --alluredir names is written only when its parent is the harness's run folder
    (harness.report.runs): refused with nothing deleted, or not writable, the run stops here."""
    alluredir = config.getoption("--alluredir", None)
    if not alluredir or hasattr(config, "workerinput"):  # an xdist worker: the controller claimed it
        return None
    try:
        run = claim(alluredir, clean=bool(config.getoption("--clean-alluredir", False)), inputs=run_inputs(config))
    except RunFolderRefused as error:
        pytest.exit(f"cot-harness: results folder refused: {error}", returncode=EXIT_EVIDENCE_NOT_WRITTEN)
    except EvidenceNotWritten as error:
        pytest.exit(f"cot-harness: run evidence not written: {error}", returncode=EXIT_EVIDENCE_NOT_WRITTEN)
    return run.root


def write_run_evidence(
    session: pytest.Session,
    keys: StashKeys,
    verdicts: dict[str, tuple[str, str]],
    bench_seconds: float | None = None,
    derived_secrets: list[bytes] | None = None,
    bench: Any = None,
) -> None:
    """The run-level evidence, once the last case is done: the whole run's capture (of the
    stopped `bench`), environment, traceability, the manifest (last) and the secret scan;
    sets the session's exit status when it cannot."""
    config = session.config
    _INTERRUPTION, _PROFILE, _RUN_FOLDER, _COORDINATOR = (
        keys.interruption,
        keys.profile,
        keys.run_folder,
        keys.coordinator,
    )
    interruption = config.stash.get(_INTERRUPTION, None)
    if interruption is None and session.exitstatus == pytest.ExitCode.INTERRUPTED:
        # The run loop's end was itself cut short, or the run never got there (collecting).
        interruption = interruption_of(session, "KeyboardInterrupt", verdicts)
        if interruption is not None:
            config.stash[_INTERRUPTION] = interruption
    if interruption is not None:
        # Again, just before the manifest seals the folder: evidence with a manifest never
        # holds the interrupted case as passed.
        settle_unfinished(config, interruption, verdicts)
    alluredir = config.getoption("--alluredir", None)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    write = reporter.write_line if reporter is not None else print
    if _PROFILE not in config.stash or hasattr(config, "workerinput"):
        return  # no conformance case was collected
    if not alluredir:
        write(
            "cot-harness: no --alluredir: this run wrote no evidence (no results, captures, traceability "
            "or manifest); `cot-harness run` writes a run folder under reports/runs/"
        )
        return
    if _RUN_FOLDER not in config.stash:
        return  # refused or not writable at configure: said there
    if not any(Path(alluredir).glob("*-result.json")):
        write(f"cot-harness: no case ran: {config.stash[_RUN_FOLDER]} holds no results and no manifest")
        return
    if bench is not None:
        case_evidence.write_run_capture(bench)  # before the manifest, which lists it
    not_written = case_evidence.not_written()
    try:
        if not_written:
            raise EvidenceNotWritten(Path(not_written[0].partition(": ")[0]), OSError(not_written[0]))
        summary = finish_run(
            Path(alluredir),
            config.stash[_PROFILE],
            config.stash.get(_COORDINATOR, None),
            interruption,
            bench_seconds=bench_seconds,
            derived_secrets=derived_secrets or [],
        )
    except EvidenceNotWritten as error:
        for line in not_written or [str(error)]:
            write(f"cot-harness: RUN EVIDENCE NOT WRITTEN: {line}", red=True)
        write(f"cot-harness: no evidence manifest in {config.stash[_RUN_FOLDER]}: do not hand this run out")
        session.exitstatus = EXIT_EVIDENCE_NOT_WRITTEN
        return
    write(f"cot-harness: evidence manifest {summary['manifest']} ({summary['files']} files)")
    for finding in summary["secret_findings"][:20]:
        write(f"cot-harness: SECRET IN EVIDENCE, do not hand this folder out: {finding}")
    if not summary["clean"]:
        session.exitstatus = EXIT_SECRET_IN_EVIDENCE
