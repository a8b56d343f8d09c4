"""The selftest's own results folder: removed when every run went as declared, kept (and
named) when one did not, when asked, or when the selftest was interrupted."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from harness import selftest


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
