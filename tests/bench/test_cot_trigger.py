"""bench.cot_trigger the profile's way: a lab's command (told `cot`), an operator told exactly
what to send, or nothing (a bench error, never a silent no-op)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.bench.controls import BenchControls, cot_instruction
from harness.errors import BenchError
from harness.profile import load_profile

ESME = Path(__file__).resolve().parents[2] / "device_profiles" / "sim-esme.yaml"


class Operator:
    def __init__(self) -> None:
        self.told: list[str] = []

    def instruct(self, text: str) -> None:
        self.told.append(text)


def _controls(tmp_path: Path, trigger: dict[str, Any], operator: Operator | None = None) -> BenchControls:
    data = yaml.safe_load(ESME.read_text(encoding="utf-8"))
    data["bench"]["cot_trigger"] = trigger
    path = tmp_path / "meter.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return BenchControls(load_profile(path), han=None, loop=None, operator=lambda: operator, trace_mark=lambda: 0)  # type: ignore[arg-type]


def test_a_command_trigger_is_run_with_cot_as_its_last_argument(tmp_path: Path) -> None:
    seen = tmp_path / "argv"
    script = f"import sys; open({str(seen)!r}, 'w').write(' '.join(sys.argv[1:]))"
    controls = _controls(tmp_path, {"by": "command", "command": [sys.executable, "-c", script, "--meter", "A"]})
    controls.change_of_tenancy("unused for a command")
    assert seen.read_text() == "--meter A cot"


def test_a_failing_command_trigger_is_a_bench_error(tmp_path: Path) -> None:
    controls = _controls(tmp_path, {"by": "command", "command": [sys.executable, "-c", "raise SystemExit(3)"]})
    with pytest.raises(BenchError, match=r"bench.cot_trigger command .* cot exited 3"):
        controls.change_of_tenancy("unused")


def test_an_operator_is_told_exactly_what_to_send(tmp_path: Path) -> None:
    operator = Operator()
    controls = _controls(tmp_path, {"by": "operator", "prompt": "the DCC test portal"}, operator)
    controls.change_of_tenancy(cot_instruction(controls._profile))  # noqa: SLF001
    (told,) = operator.told
    assert told.startswith(
        "Please send DCC SR 3.2 Restrict Access for Change of Tenancy to the ESME 00:0d:6f:00:0e:5e:00:01 (GBCS ECS12)"
    )
    assert "(the DCC test portal)" in told and told.endswith("then answer done.")


def test_no_trigger_is_a_bench_error(tmp_path: Path) -> None:
    with pytest.raises(BenchError, match="bench.cot_trigger is none"):
        _controls(tmp_path, {"by": "none"}).change_of_tenancy("unused")
