"""`cot-harness profile validate` refuses what the run would trip over, before any radio."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.cli import Exit, main
from harness.profile import parse_profile
from harness.profile.errors import EXIT_PROFILE_ERROR
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
    assert main(["profile", "validate", str(PROFILES / "template-real-ihd.yaml")]) == EXIT_PROFILE_ERROR
    out = capsys.readouterr().err
    assert "identity.ieee: is the template's placeholder" in out
    assert "identity.manufacturer: is the template's placeholder" in out


def test_a_model_that_does_not_exist_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _profile(tmp_path, simulation__model="harness.sim.devices.ihd:NoSuchIHD")
    assert main(["profile", "validate", str(path)]) == EXIT_PROFILE_ERROR
    assert "simulation.model: module 'harness.sim.devices.ihd' has no class 'NoSuchIHD'" in capsys.readouterr().err
    path = _profile(tmp_path, simulation__model="no_such_package.models:IHD")
    assert main(["profile", "validate", str(path)]) == EXIT_PROFILE_ERROR
    assert "cannot be imported" in capsys.readouterr().err


def test_an_observe_command_that_does_not_exist_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _profile(tmp_path, observe__consumption_history={"by": "command", "command": ["./read-screen.sh"]})
    assert main(["profile", "validate", str(path)]) == EXIT_PROFILE_ERROR
    assert "observe.consumption_history.command: './read-screen.sh' does not exist" in capsys.readouterr().err
    path = _profile(tmp_path, observe__consumption_history={"by": "command", "command": ["no-such-tool-anywhere"]})
    assert main(["profile", "validate", str(path)]) == EXIT_PROFILE_ERROR
    assert "is not on PATH" in capsys.readouterr().err


def test_a_bad_answers_file_is_refused_with_the_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text("consumption_history.previus: [yes]\n")
    path = _profile(tmp_path, answers_file=str(answers))
    assert main(["profile", "validate", str(path)]) == EXIT_PROFILE_ERROR
    assert "answers_file: operator answers file" in capsys.readouterr().err
    answers.write_text("consumption_history.previous: [maybe]\n")
    assert main(["profile", "validate", str(path)]) == EXIT_PROFILE_ERROR
    assert "expected y, yes, n or no, got 'maybe'" in capsys.readouterr().err


def test_validate_reports_on_stderr_one_line_per_error_with_the_profile_exit_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _profile(tmp_path, simulation__model="harness.sim.devices.ihd:NoSuchIHD", radio__channel=42)
    assert main(["profile", "validate", str(path)]) == EXIT_PROFILE_ERROR == Exit.PROFILE_ERROR  # as `run`'s
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{path}: radio.channel: "), lines
    path = _profile(tmp_path, simulation__model="harness.sim.devices.ihd:NoSuchIHD")
    answers = tmp_path / "answers.yaml"
    answers.write_text("consumption_history.previus: [yes]\n")
    path = _profile(tmp_path, simulation__model="harness.sim.devices.ihd:NoSuchIHD", answers_file=str(answers))
    assert main(["profile", "validate", str(path)]) == EXIT_PROFILE_ERROR
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith(f"{path}: ") for line in lines), lines
    assert not any(";" in line.split(": ", 2)[1] for line in lines)  # one error per line, never joined


def _operator_profile(tmp_path: Path, answers: str, **changes: object) -> Path:
    (tmp_path / "answers.yaml").write_text(answers)
    observe = {"consumption_history": {"by": "operator"}, "supplier_messages": {"by": "simulation"}}
    return _profile(tmp_path, observe=observe, answers_file="answers.yaml", **changes)


def test_answers_keyed_by_case_are_validated_with_the_profile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = "CLR-01:\n  consumption_history.previous: [yes, no]\n  consumption_history.new: [no, yes]\n"
    path = _operator_profile(tmp_path, good + "consumption_history.previous: [yes]\n")
    assert main(["profile", "validate", str(path)]) == 0, capsys.readouterr().err
    capsys.readouterr()

    path = _operator_profile(tmp_path, "CLR-99:\n  consumption_history.previous: [yes]\n")
    assert main(["profile", "validate", str(path)]) == EXIT_PROFILE_ERROR
    err = capsys.readouterr().err
    assert f"answers_file: operator answers file {tmp_path / 'answers.yaml'}, case CLR-99: no such case" in err

    path = _operator_profile(tmp_path, "CLR-04:\n  supplier_messages.new: [yes]\ntop_up_history.previous: [no]\n")
    assert main(["profile", "validate", str(path)]) == EXIT_PROFILE_ERROR
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2, lines
    assert "case CLR-04, entry supplier_messages.new: observe.supplier_messages is not by operator" in lines[0]
    assert "entry top_up_history.previous: observe.top_up_history is not by operator" in lines[1]

    path = _operator_profile(tmp_path, "CLR-07:\n  instructions: [done]\n")  # the bench is by simulation
    assert main(["profile", "validate", str(path)]) == EXIT_PROFILE_ERROR
    assert "case CLR-07, entry instructions: no bench control is by operator" in capsys.readouterr().err
    path = _operator_profile(tmp_path, "CLR-07:\n  instructions: [done]\n", bench__power_control={"by": "operator"})
    assert main(["profile", "validate", str(path)]) == 0, capsys.readouterr().err

    path = _operator_profile(tmp_path, "CLR-01:\n  consumption_history.previous: [yes, perhaps]\n")
    assert main(["profile", "validate", str(path)]) == EXIT_PROFILE_ERROR
    assert "case CLR-01, entry consumption_history.previous[1]: expected y, yes, n or no, got 'perhaps'" in (
        capsys.readouterr().err
    )
