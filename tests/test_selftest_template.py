"""The selftest template: its environment (bytecode kept in the user's cache, never beside the
sources) and what it makes once for every run it forks."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.profile import load_profile
from harness.reference_profiles import profiles_dir
from harness.security.curves import curve_for_suite
from harness.selftest import form_stick, template_environment
from harness.sim import world


def test_bytecode_not_written_becomes_bytecode_kept_in_the_users_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    env = template_environment({"PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin"})
    assert "PYTHONDONTWRITEBYTECODE" not in env
    assert env["PYTHONPYCACHEPREFIX"] == str(tmp_path / "cot-harness" / "pycache")
    assert env["PATH"] == "/usr/bin"  # the rest as the caller had it


def test_a_prefix_the_caller_chose_or_bytecode_already_written_is_left_alone() -> None:
    chosen = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": "/elsewhere"}
    assert template_environment(chosen) == chosen
    assert template_environment({"PATH": "/usr/bin"}) == {"PATH": "/usr/bin"}


def test_a_cbke_profile_sharing_a_network_still_gets_its_curve_table_before_the_forks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Profiles with and without CBKE form the same network: the second is not formed again,
    but its curve's fixed-base table must still be made in the template (made in each forked
    run instead, it cost ~85 ms in each of 31 CBKE runs of a matrix)."""
    plain, cbke = (str(profiles_dir() / name) for name in ("sim-ihd.yaml", "sim-ihd-cbke.yaml"))
    assert world.stick_key(load_profile(plain)) == world.stick_key(load_profile(cbke)), "the case this test is for"
    curve = curve_for_suite(load_profile(cbke).radio.cbke.suite)  # type: ignore[union-attr]
    monkeypatch.delitem(curve.__dict__, "base_table", raising=False)
    monkeypatch.setattr(world, "FORMED", {})
    seen: set[object] = set()
    form_stick(plain, seen)
    form_stick(cbke, seen)
    assert "base_table" in curve.__dict__
    assert len(seen) == 1 and world.stick_key(load_profile(plain)) in world.FORMED
