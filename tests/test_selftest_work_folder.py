"""The selftest's own results folder: removed when every run went as declared, kept (and
named) when one did not, when asked, or when the selftest was interrupted."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from harness import scratch, selftest


def _made(tmp_path: Path) -> Path:
    root = Path(tempfile.mkdtemp(prefix="cot-selftest-", dir=tmp_path))
    (root / "run" / "allure-results").mkdir(parents=True)
    (root / "run" / "allure-results" / "x-result.json").write_text("{}")
    return root


def test_every_run_as_declared_removes_only_the_folder_it_made(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    beside = tmp_path / "a lab's notes.txt"
    beside.write_text("kept")
    root = _made(tmp_path)
    selftest.end_work_folder(root, keep=False)
    assert not root.exists() and beside.read_text() == "kept"
    assert "kept in" not in capsys.readouterr().out


def test_kept_and_named_when_asked_or_when_a_run_went_wrong(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _made(tmp_path)
    selftest.end_work_folder(root, keep=True)  # main passes keep or a non-zero exit status
    assert (root / "run" / "allure-results" / "x-result.json").is_file()
    assert f"kept in {root}" in capsys.readouterr().out


def test_a_failing_or_interrupted_matrix_keeps_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the user's own choice: never the memory-backed scratch
    monkeypatch.setattr(selftest, "_main", lambda *_args: 1)
    assert selftest.main(None, None, None, 1, 1) == 1
    assert len(list(tmp_path.glob("cot-selftest-*"))) == 1

    def interrupted(*_args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(selftest, "_main", interrupted)
    with pytest.raises(KeyboardInterrupt):
        selftest.main(None, None, None, 1, 1)
    assert len(list(tmp_path.glob("cot-selftest-*"))) == 2
    monkeypatch.setattr(selftest, "_main", lambda *_args: 0)
    assert selftest.main(None, None, None, 1, 1) == 0
    assert len(list(tmp_path.glob("cot-selftest-*"))) == 2  # the clean one is gone


@pytest.fixture
def fake_shm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A stand-in for /dev/shm (memory) and the ordinary temporary directory (disk)."""
    shm, disk = tmp_path / "shm", tmp_path / "disk"
    shm.mkdir()
    disk.mkdir()
    for name in ("TMPDIR", "TEMP", "TMP"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(scratch, "SHM", shm)
    monkeypatch.setattr(scratch, "MIN_FREE_BYTES", 1)
    monkeypatch.setattr(tempfile, "tempdir", str(disk))
    return shm, disk


def test_the_work_goes_to_memory_and_a_kept_folder_comes_back_to_disk_whole(
    fake_shm: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    shm, disk = fake_shm
    root = scratch.make_work_folder("cot-selftest-")
    assert root.parent == shm
    (root / "run" / "allure-results").mkdir(parents=True)
    (root / "run" / "allure-results" / "x-result.json").write_text("{}")
    (root / "run.output.txt").write_text("what the run printed")
    (root / "link").symlink_to("run.output.txt")
    kept = selftest.end_work_folder(root, keep=True)
    assert kept is not None and kept.parent == disk and not root.exists()
    assert (kept / "run" / "allure-results" / "x-result.json").read_text() == "{}"
    assert (kept / "link").is_symlink() and (kept / "link").read_text() == "what the run printed"
    assert f"kept in {kept}" in capsys.readouterr().out


def test_a_kept_folder_that_cannot_be_moved_stays_whole_where_it_is(
    fake_shm: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = scratch.make_work_folder("cot-selftest-")
    (root / "x.txt").write_text("x")

    def full(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(scratch.shutil, "copytree", full)
    assert scratch.keep_work_folder(root) == root
    assert (root / "x.txt").read_text() == "x"
    assert list(fake_shm[1].iterdir()) == []  # no half copy left behind


def test_the_users_tmpdir_or_a_small_tmpfs_is_never_the_scratch(
    fake_shm: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert scratch.scratch_base() == fake_shm[0]
    monkeypatch.setattr(scratch, "MIN_FREE_BYTES", 1 << 60)
    assert scratch.scratch_base() is None
    monkeypatch.setattr(scratch, "MIN_FREE_BYTES", 1)
    monkeypatch.setenv("TMPDIR", str(fake_shm[1]))
    assert scratch.scratch_base() is None
