"""The manifest lists, from directory entries and one read a file, exactly what an independent
walk (os.walk and Path.is_file, below) finds, with each file's size and SHA-256 as stat and a streamed digest give them:
over nested folders, a symlink to a file (listed), a symlinked folder and a broken link (not
followed, not listed), overlapping roots, a root that is a file, the manifest beside its files."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.report.manifest import _relative, sha256_of, verify_manifest, write_manifest


def _files(roots: list[Path], skip: set[Path]) -> Iterator[Path]:
    """The oracle: every file under the roots by os.walk (symlinked folders not followed)."""
    for root in roots:
        candidates = [root] if root.is_file() else []
        for folder, dirs, names in os.walk(root):
            dirs.sort()
            candidates += [Path(folder) / name for name in sorted(names)]
        yield from (path for path in candidates if path.is_file() and path.absolute() not in skip)


def _tree(tmp_path: Path) -> tuple[list[Path], Path]:
    run = tmp_path / "run"
    (run / "results" / "deep" / "deeper").mkdir(parents=True)
    (run / "captures").mkdir()
    (run / "results" / "a.json").write_text('{"a": 1}\n')
    (run / "results" / "deep" / "b.txt").write_bytes(b"\x00\xff" * 700)
    (run / "results" / "deep" / "deeper" / "c.svg").write_text("<svg/>\n")
    (run / "results" / "empty.txt").write_bytes(b"")
    (run / "captures" / "DM-01.pcapng").write_bytes(os.urandom(3000))
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.txt").write_text("not in the run\n")
    (run / "results" / "link-to-file").symlink_to(run / "results" / "a.json")
    (run / "results" / "link-to-folder").symlink_to(outside, target_is_directory=True)
    (run / "results" / "broken").symlink_to(tmp_path / "nowhere")
    (run / ".mark").write_text("run\n")
    roots = [run / ".mark", run / "results", run / "results" / "deep", run / "captures", run / "absent"]
    return roots, run / "evidence-manifest.json"


def test_the_manifest_lists_what_the_verifiers_walk_finds(tmp_path: Path) -> None:
    roots, out = _tree(tmp_path)
    write_manifest(roots, out)
    listed = json.loads(out.read_text())["files"]
    skip = {out.absolute(), out.with_suffix(".sha256").absolute()}
    expected: dict[str, dict[str, object]] = {}
    for path in _files([r for r in roots if r.exists()], skip):
        rel = _relative(path, out.parent)
        expected.setdefault(rel, {"path": rel, "size": path.stat().st_size, "sha256": sha256_of(path)})
    assert listed == sorted(expected.values(), key=lambda e: e["path"])
    paths = [entry["path"] for entry in listed]
    assert "results/link-to-file" in paths and "results/deep/deeper/c.svg" in paths
    assert not any("link-to-folder" in p or "broken" in p for p in paths)
    assert len(paths) == len(set(paths))  # the overlapping root listed once
    assert verify_manifest(out) == []


def test_a_manifest_written_again_over_itself_does_not_list_itself(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "a.txt").write_text("a\n")
    out = run / "evidence-manifest.json"
    write_manifest([run], out)
    write_manifest([run], out)  # the first manifest and its sums are in the folder now
    assert [entry["path"] for entry in json.loads(out.read_text())["files"]] == ["a.txt"]
    (run / "planted.txt").write_text("not written by the harness\n")
    assert verify_manifest(out) == ["not in the manifest: planted.txt"]


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("files", {"a.txt": 1}, "field 'files' is not a list"),
        ("files", [{"path": "a.txt"}], "files[0] is not an entry with path, size and sha256"),
        ("files", ["a.txt"], "files[0] is not an entry"),
        ("roots", "run", "field 'roots' is not a list of folder names"),
    ],
)
def test_a_malformed_manifest_is_named_not_a_crash(tmp_path: Path, field: str, value: object, named: str) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "a.txt").write_text("a\n")
    out = run / "evidence-manifest.json"
    write_manifest([run], out)
    document = json.loads(out.read_text())
    document[field] = value
    out.write_text(json.dumps(document))
    problems = verify_manifest(out)
    assert any(named in problem and str(out) in problem for problem in problems), problems
