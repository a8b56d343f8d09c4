"""The selftest starts its runs longest first, from the seconds the last matrix took."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness import selftest
from harness.selftest import entries, longest_first


def test_the_longest_run_last_time_starts_first_and_an_untimed_one_before_it() -> None:
    chosen = entries()[:4]
    known = {chosen[0].name: 1.0, chosen[1].name: 9.0, chosen[2].name: 3.0}  # chosen[3] never timed
    order = [e.name for e in longest_first(chosen, known)]
    assert order == [chosen[3].name, chosen[1].name, chosen[2].name, chosen[0].name]


def test_without_timings_the_matrix_order_is_kept() -> None:
    chosen = entries()
    assert longest_first(chosen, {}) == chosen


def test_the_seconds_are_remembered_in_the_cache_and_a_broken_file_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert selftest._known_seconds() == {}
    selftest._remember_seconds({"a": 1.234, "b": 2.0})
    selftest._remember_seconds({"b": 5.0})
    path = tmp_path / "cot-harness" / "selftest-seconds.json"
    assert json.loads(path.read_text()) == {"a": 1.23, "b": 5.0}
    path.write_text("not json")
    assert selftest._known_seconds() == {}
