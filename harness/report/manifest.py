"""The evidence manifest: every evidence file with its size and SHA-256, so that an assessor can
show that what they were handed is what the run wrote.

Two files side by side: evidence-manifest.json (for tools; it also names the folders it
covers, so a file added later is caught too) and evidence-manifest.sha256, which GNU coreutils
checks without any of our code: `cd <folder of the manifest> && sha256sum -c evidence-manifest.sha256`.
Paths are relative to the manifest's folder and use "/", whatever the OS.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["SCHEMA", "sha256_of", "verify_manifest", "write_manifest"]

SCHEMA = "cot-harness/evidence-manifest/1"
SHA256_SUFFIX = ".sha256"


def sha256_of(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def _sums_path(manifest: Path) -> Path:
    return manifest.with_suffix(SHA256_SUFFIX)


def _relative(path: Path, base: Path) -> str:
    return Path(os.path.relpath(path.absolute(), base.absolute())).as_posix()


def _sums_line(digest: str, path: str) -> str:
    # sha256sum's own escaping: a name with a backslash or a newline gets a leading backslash.
    if "\\" in path or "\n" in path:
        return "\\" + f"{digest}  " + path.replace("\\", "\\\\").replace("\n", "\\n") + "\n"
    return f"{digest}  {path}\n"


def _walk(folder: str, rel: str) -> Iterator[tuple[str, str]]:
    """(path, path relative to the manifest's folder) of every file under folder, from the
    directory entries alone (the run's ~550 files cost no stat or Path object each).
    Symlinked folders are not followed, so a link loop cannot hang the run; a symlink to a
    file is listed."""
    with os.scandir(folder) as listing:
        entries = sorted(listing, key=lambda entry: entry.name)
    for entry in entries:
        child = entry.name if rel == "." else f"{rel}/{entry.name}"
        if entry.is_dir():
            if not entry.is_symlink():
                yield from _walk(entry.path, child)
        elif entry.is_file():
            yield entry.path, child


def _listing(roots: list[Path], base: Path, skip: set[str]) -> dict[str, str]:
    """Every file under the roots (a root may be a file): path relative to base -> path. The
    writer and the verifier both list with this, so what one covers the other checks;
    overlapping roots list a file once; the manifest's own two files are skipped."""
    found: dict[str, str] = {}
    for root in roots:
        rel_root = _relative(root, base)
        if root.is_dir():
            files: Iterator[tuple[str, str]] = _walk(str(root), rel_root)
        else:
            files = iter([(str(root), rel_root)] if root.is_file() else [])
        for path, rel in files:
            if rel not in found and os.path.abspath(path) not in skip:
                found[rel] = path
    return found


def _entry(path: str, rel: str) -> dict[str, Any]:
    # One read gives both the size and the digest (the size of what was hashed).
    with open(path, "rb") as stream:
        data = stream.read()
    return {"path": rel, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def write_manifest(root_dirs: list[Path], out: Path) -> Path:
    """List every file under root_dirs (not the manifest itself); returns the JSON's path."""
    out = Path(out)
    base = out.parent
    sums = _sums_path(out)
    roots = [Path(r) for r in root_dirs if Path(r).exists()]
    skip = {os.path.abspath(out), os.path.abspath(sums)}
    entries = [_entry(path, rel) for rel, path in sorted(_listing(roots, base, skip).items())]
    document = {
        "schema": SCHEMA,
        "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "algorithm": "sha256",
        "roots": [_relative(r, base) for r in roots],
        "files": entries,
    }
    base.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    sums.write_text("".join(_sums_line(e["sha256"], e["path"]) for e in entries), encoding="utf-8")
    return out


def _valid_entry(entry: object) -> bool:
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("path"), str)
        and isinstance(entry.get("size"), int)
        and isinstance(entry.get("sha256"), str)
    )


def verify_manifest(path: Path) -> list[str]:
    """Every way the files differ from the manifest (missing, changed, added); [] when intact."""
    path = Path(path)
    base = path.parent
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return [f"{path}: cannot read the manifest: {error}"]
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        return [f"{path}: not an evidence manifest ({SCHEMA})"]
    problems: list[str] = []
    listed: set[str] = set()
    files = document.get("files", [])
    if not isinstance(files, list):
        return [f"{path}: field 'files' is not a list"]
    for index, entry in enumerate(files):
        if not _valid_entry(entry):
            problems.append(f"{path}: files[{index}] is not an entry with path, size and sha256: {entry!r:.120}")
            continue
        rel = entry["path"]
        listed.add(rel)
        file = base / rel
        if not file.is_file():
            problems.append(f"missing: {rel}")
        elif file.stat().st_size != entry["size"]:
            problems.append(f"changed: {rel} (size {file.stat().st_size}, manifest says {entry['size']})")
        elif sha256_of(file) != entry["sha256"]:
            problems.append(f"changed: {rel} (SHA-256 differs)")
    named = document.get("roots", [])
    if not isinstance(named, list) or not all(isinstance(r, str) for r in named):
        return [*problems, f"{path}: field 'roots' is not a list of folder names"]
    roots = [base / r for r in named]
    skip = {os.path.abspath(path), os.path.abspath(_sums_path(path))}
    for rel in _listing([r for r in roots if r.exists()], base, skip):
        if rel not in listed:
            problems.append(f"not in the manifest: {rel}")
    sums = _sums_path(path)
    expected = "".join(_sums_line(e["sha256"], e["path"]) for e in files if _valid_entry(e))
    if sums.is_file() and sums.read_text(encoding="utf-8") != expected:
        problems.append(f"{sums.name} does not match {path.name}")
    return problems
