"""The selftest's own results folder: removed when every run went as declared, kept (and
named) when one did not, when asked, or when the selftest was interrupted."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from harness.selftest import work_folder


@pytest.fixture(autouse=True)
def _own_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


def _made(tmp_path: Path) -> list[Path]:
    return sorted(tmp_path.glob("cot-selftest-*"))


def test_every_run_as_declared_removes_only_the_folder_it_made(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    beside = tmp_path / "a lab's notes.txt"
    beside.write_text("kept")
    with work_folder("cot-selftest-", keep=False) as (root, problems):
        (root / "run" / "allure-results").mkdir(parents=True)
        (root / "run" / "allure-results" / "x-result.json").write_text("{}")
        problems.append(0)
    assert not root.exists() and _made(tmp_path) == []
    assert beside.read_text() == "kept"
    assert "kept in" not in capsys.readouterr().out


def test_a_problem_keeps_it_and_says_where(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with work_folder("cot-selftest-", keep=False) as (root, problems):
        (root / "evidence.txt").write_text("the failing run's output")
        problems.append(1)
    assert (root / "evidence.txt").read_text() == "the failing run's output"
    assert f"kept in {root}" in capsys.readouterr().out


def test_keep_keeps_it(tmp_path: Path) -> None:
    with work_folder("cot-selftest-", keep=True) as (root, problems):
        problems.append(0)
    assert root.is_dir()


def test_an_interrupted_selftest_keeps_it(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt), work_folder("cot-selftest-", keep=False) as (root, _problems):
        raise KeyboardInterrupt
    assert root.is_dir()
