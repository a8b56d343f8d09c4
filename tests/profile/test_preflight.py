"""`cot-harness profile validate` refuses what the run would trip over, before any radio."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.cli import main
from harness.profile import parse_profile
from harness.profile.preflight import preflight

REPO = Path(__file__).resolve().parents[2]
PROFILES = REPO / "device_profiles"


def _profile(tmp_path: Path, base: str = "sim-ihd.yaml", **changes: object) -> Path:
    data = yaml.safe_load((PROFILES / base).read_text())
    for dotted, value in changes.items():
        node = data
        *parents, leaf = dotted.split("__")
        for part in parents:
            node = node[part]
        node[leaf] = value
    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize("name", sorted(p.name for p in PROFILES.glob("*.yaml") if p.name != "template-real-ihd.yaml"))
def test_every_shipped_profile_passes_preflight(name: str) -> None:
    data = yaml.safe_load((PROFILES / name).read_text())
    assert preflight(parse_profile(data, source=PROFILES / name)) == []


def test_the_unchanged_template_is_refused_naming_the_placeholders(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", "validate", str(PROFILES / "template-real-ihd.yaml")]) == 1
    out = capsys.readouterr().out
    assert "identity.ieee: is the template's placeholder" in out
    assert "identity.manufacturer: is the template's placeholder" in out


def test_a_model_that_does_not_exist_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _profile(tmp_path, simulation__model="harness.sim.devices.ihd:NoSuchIHD")
    assert main(["profile", "validate", str(path)]) == 1
    assert "simulation.model: module 'harness.sim.devices.ihd' has no class 'NoSuchIHD'" in capsys.readouterr().out
    path = _profile(tmp_path, simulation__model="no_such_package.models:IHD")
    assert main(["profile", "validate", str(path)]) == 1
    assert "cannot be imported" in capsys.readouterr().out


def test_an_observe_command_that_does_not_exist_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _profile(tmp_path, observe__consumption_history={"by": "command", "command": ["./read-screen.sh"]})
    assert main(["profile", "validate", str(path)]) == 1
    assert "observe.consumption_history.command: './read-screen.sh' does not exist" in capsys.readouterr().out
    path = _profile(tmp_path, observe__consumption_history={"by": "command", "command": ["no-such-tool-anywhere"]})
    assert main(["profile", "validate", str(path)]) == 1
    assert "is not on PATH" in capsys.readouterr().out


def test_a_bad_answers_file_is_refused_with_the_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text("consumption_history.previus: [yes]\n")
    path = _profile(tmp_path, answers_file=str(answers))
    assert main(["profile", "validate", str(path)]) == 1
    assert "answers_file: operator answers file" in capsys.readouterr().out
    answers.write_text("consumption_history.previous: [maybe]\n")
    assert main(["profile", "validate", str(path)]) == 1
    assert "expected y, yes, n or no, got 'maybe'" in capsys.readouterr().out
