"""The results folder the harness owns: one run folder per run, and a "latest" pointer.

A run folder holds exactly what one run wrote:

    <run>/.cot-harness-run            the mark: this folder is the harness's (JSON)
    <run>/allure-results/             the Allure results (the --alluredir folder)
    <run>/captures/                   one pcapng per case, and whole-run.pcapng (every frame)
    <run>/traceability/               traceability.csv and traceability.md
    <run>/evidence-manifest.json      written last, over all of the above
    <run>/evidence-manifest.sha256    `sha256sum -c` checks it without our code

`cot-harness run` makes a new one for each run, reports/runs/<UTC time>-<device>/, and points
reports/latest at it (a symlink; reports/LATEST, a one-line file, where symlinks cannot be
made). With `--alluredir DIR` (plain pytest, or `cot-harness run --alluredir DIR`) the run
folder is DIR's parent. `claim` runs before allure-pytest opens DIR (whose
`--clean-alluredir` deletes it): it refuses, deleting nothing, a folder that holds anything
the harness did not write, and only ever cleans inside a folder that carries its mark.
The one thing of someone else's a run folder may hold is the run's own input (the profile
and its answers file), as a lab keeps them with the results; the manifest does not list them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CAPTURES_DIR",
    "MANIFEST_NAME",
    "MARKER",
    "TRACEABILITY_DIR",
    "EvidenceNotWritten",
    "RunFolder",
    "RunFolderRefused",
    "claim",
    "latest_run",
    "new_run_folder",
    "point_latest",
    "resolve_results",
]

MARKER = ".cot-harness-run"
MARKER_SCHEMA = "cot-harness/run-folder/1"
ALLURE_RESULTS = "allure-results"
CAPTURES_DIR = "captures"
TRACEABILITY_DIR = "traceability"
MANIFEST_NAME = "evidence-manifest.json"
SUMS_NAME = "evidence-manifest.sha256"
DEFAULT_REPORTS = Path("reports")
RUNS_DIR = "runs"
LATEST_LINK = "latest"
LATEST_FILE = "LATEST"
_NAMED = 5  # how many foreign entries an error names before "and N more"


class RunFolderRefused(Exception):
    """The folder is not the harness's to write: nothing was written or deleted."""


class EvidenceNotWritten(Exception):
    """A path of the run's evidence could not be written; says which, and the OS error."""

    def __init__(self, path: Path, error: OSError) -> None:
        self.path = path
        self.error = error
        super().__init__(f"cannot write {path}: {error.strerror or error}")


@dataclass(frozen=True)
class RunFolder:
    root: Path
    alluredir: Path

    @property
    def marker(self) -> Path:
        return self.root / MARKER

    @property
    def captures(self) -> Path:
        return self.root / CAPTURES_DIR

    @property
    def traceability(self) -> Path:
        return self.root / TRACEABILITY_DIR

    @property
    def manifest(self) -> Path:
        return self.root / MANIFEST_NAME

    @property
    def sums(self) -> Path:
        return self.root / SUMS_NAME

    def evidence_roots(self) -> list[Path]:
        """What the manifest covers: every path the run writes in its folder."""
        return [self.marker, self.alluredir, self.captures, self.traceability]

    @classmethod
    def of(cls, alluredir: Path | str) -> RunFolder:
        results = Path(os.path.abspath(alluredir))
        return cls(results.parent, results)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")[:60] or "device"


def new_run_folder(device: str, reports: Path = DEFAULT_REPORTS) -> Path:
    """Create reports/runs/<UTC time>-<device>[-N]/ (new, empty) and return it."""
    runs = Path(reports) / RUNS_DIR
    stem = f"{_utc_now().strftime('%Y%m%dT%H%M%SZ')}-{_slug(device)}"
    try:
        runs.mkdir(parents=True, exist_ok=True)
        for n in range(1, 1000):
            folder = runs / (stem if n == 1 else f"{stem}-{n}")
            try:
                folder.mkdir()  # exist_ok=False: two runs in one second never share a folder
            except FileExistsError:
                continue
            return folder
    except OSError as error:
        raise EvidenceNotWritten(runs, error) from error
    raise EvidenceNotWritten(runs, FileExistsError(f"no free run folder name for {stem}"))


def _read_marker(root: Path) -> dict[str, str] | None:
    path = root / MARKER
    if not path.exists() and not path.is_symlink():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise RunFolderRefused(f"{path}: not a run-folder mark the harness wrote ({error})") from error
    if not isinstance(data, dict) or data.get("schema") != MARKER_SCHEMA or not isinstance(data.get("alluredir"), str):
        raise RunFolderRefused(f"{path}: not a run-folder mark the harness wrote ({MARKER_SCHEMA})")
    return data


def _is_empty_dir(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink() and not any(path.iterdir())


def _name_some(paths: list[str]) -> str:
    shown = ", ".join(paths[:_NAMED])
    return shown + (f" and {len(paths) - _NAMED} more" if len(paths) > _NAMED else "")


def _foreign(run: RunFolder, inputs: set[Path]) -> list[str]:
    """What an unmarked folder holds that the harness would not have written."""
    if not run.root.exists():
        return []
    if not run.root.is_dir():
        return [f"{run.root} (not a folder)"]
    found = []
    for entry in sorted(run.root.iterdir()):
        if entry == run.alluredir and (not entry.exists() or _is_empty_dir(entry)):
            continue
        if entry.is_file() and entry.resolve() in inputs:
            continue  # the run's own profile or answers file, kept with its results
        found.append(entry.name + ("/" if entry.is_dir() else ""))
    return found


def claim(alluredir: Path | str, *, clean: bool, inputs: Iterable[Path] = ()) -> RunFolder:
    """Make alluredir's parent this run's folder, before anything is written into it.

    Refused (RunFolderRefused, nothing touched) when the folder holds anything the harness did
    not write, or holds an earlier run of ours and `clean` (--clean-alluredir) was not given.
    With `clean`, an earlier run of ours is removed, manifest first: a half-cleaned folder
    never carries a manifest. EvidenceNotWritten when the folder cannot be written.
    """
    run = RunFolder.of(alluredir)
    if run.alluredir == Path(run.alluredir.anchor):
        raise RunFolderRefused(f"--alluredir {alluredir}: a filesystem root cannot be a results folder")
    mark = _read_marker(run.root)
    if mark is None:
        foreign = _foreign(run, {Path(p).resolve() for p in inputs})
        if foreign:
            raise RunFolderRefused(
                f"--alluredir {alluredir}: its run folder {run.root} holds files the harness did not write "
                f"({_name_some(foreign)}); nothing was deleted. Give a new or empty folder, "
                f"e.g. --alluredir {run.root / 'run-1' / ALLURE_RESULTS}, or use `cot-harness run`, "
                "which makes reports/runs/<time>-<device>/"
            )
    elif mark["alluredir"] != run.alluredir.name:
        raise RunFolderRefused(
            f"--alluredir {alluredir}: {run.root} is the run folder of {run.root / mark['alluredir']}; "
            "nothing was deleted. Give each run its own folder"
        )
    else:
        earlier = [p for p in (run.manifest, run.sums, run.captures, run.traceability) if p.exists()]
        if run.alluredir.exists() and not _is_empty_dir(run.alluredir):
            earlier.append(run.alluredir)
        if earlier and not clean:
            raise RunFolderRefused(
                f"--alluredir {alluredir}: {run.root} holds an earlier run "
                f"({_name_some([p.name for p in earlier])}); nothing was deleted. Give a new folder, "
                "or add --clean-alluredir to replace that run"
            )
        _clear(run)
    _mark(run)
    return run


def _clear(run: RunFolder) -> None:
    """Remove an earlier run from a folder that carries the harness's mark."""
    try:
        for seal in (run.manifest, run.sums):
            seal.unlink(missing_ok=True)
        for folder in (run.captures, run.traceability):
            if folder.is_symlink() or folder.is_file():
                folder.unlink()
            elif folder.exists():
                shutil.rmtree(folder)
        if run.alluredir.is_dir() and not run.alluredir.is_symlink():
            for entry in run.alluredir.iterdir():
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
    except OSError as error:
        raise EvidenceNotWritten(Path(error.filename or run.root), error) from error


def _mark(run: RunFolder) -> None:
    """Write the mark and check, with a file of its own, that the results folder takes files."""
    mark = {"schema": MARKER_SCHEMA, "alluredir": run.alluredir.name, "created": _utc_now().isoformat()}
    target = run.root
    try:
        run.root.mkdir(parents=True, exist_ok=True)
        target = run.marker
        run.marker.write_text(json.dumps(mark) + "\n", encoding="utf-8")
        target = run.alluredir
        run.alluredir.mkdir(exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=run.alluredir, prefix=".cot-harness-probe-")
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        raise EvidenceNotWritten(target, error) from error


def point_latest(run: Path, reports: Path = DEFAULT_REPORTS) -> Path | None:
    """Point reports/latest at run (relative symlink), else write reports/LATEST; returns the
    pointer, or None when something not ours sits at reports/latest (left as it is)."""
    reports = Path(reports)
    link = reports / LATEST_LINK
    target = Path(os.path.relpath(Path(run).absolute(), reports.absolute()))
    if link.exists() and not link.is_symlink():
        return None
    try:
        staging = reports / f".{LATEST_LINK}.{os.getpid()}"
        staging.unlink(missing_ok=True)
        staging.symlink_to(target, target_is_directory=True)
        os.replace(staging, link)  # atomic: a reader never sees no pointer
        return link
    except (OSError, NotImplementedError):
        file = reports / LATEST_FILE
        file.write_text(target.as_posix() + "\n", encoding="utf-8")
        return file


def latest_run(reports: Path = DEFAULT_REPORTS) -> Path | None:
    """The run folder reports/latest (or reports/LATEST) points at, if any."""
    reports = Path(reports)
    link = reports / LATEST_LINK
    if link.is_symlink() or link.is_dir():
        return link
    file = reports / LATEST_FILE
    if file.is_file():
        return reports / file.read_text(encoding="utf-8").strip()
    return None


def resolve_results(path: Path | None, reports: Path = DEFAULT_REPORTS) -> Path:
    """The allure-results folder of a run folder, of an allure-results folder itself, or of
    the latest run when path is None. Raises FileNotFoundError saying what was looked for."""
    if path is None:
        latest = latest_run(reports)
        if latest is None:
            raise FileNotFoundError(f"no run yet: {reports / LATEST_LINK} does not exist; give a run folder")
        path = latest
    path = Path(path)
    for candidate in (path / ALLURE_RESULTS, path):
        if candidate.is_dir() and any(candidate.glob("*-result.json")):
            return candidate
    raise FileNotFoundError(f"{path}: no Allure results in it or in {path / ALLURE_RESULTS}")
