"""Pre-flight: what a valid profile still gets wrong about the bench it names.

Loading a profile checks its shape and its rules; these checks look outside it, at what
the run would trip over later: the answers file it points to, the device model it names,
the commands it would run, and the template's placeholders left unchanged. They run before
any radio is opened (`cot-harness profile validate`, and the plugin at collection), and
report in the same form as a ProfileError: the file, the field, what was expected.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

from harness.profile.document import Profile
from harness.profile.sections import CommandHook, OperatorStep

TEMPLATE_IEEE = "00:00:00:00:00:00:00:00"
TEMPLATE_MANUFACTURER = "Example Ltd"
_CONTROLS = ("power_control", "rejoin_control", "cot_trigger")


def preflight(profile: Profile) -> list[tuple[str, str]]:
    """(field path, what is wrong) for each problem; empty when the bench can be tried."""
    return [*_template(profile), *_answers(profile), *_model(profile), *_commands(profile)]


def checked_profile(path: str | Path) -> Profile:
    """The profile at `path`, valid and with nothing the run would trip over (else ProfileError)."""
    from harness.profile.errors import ProfileError
    from harness.profile.load import load_profile

    profile = load_profile(path)
    problems = preflight(profile)
    if problems:
        raise ProfileError(profile.source_path, problems)
    return profile


def _template(profile: Profile) -> Iterator[tuple[str, str]]:
    if profile.is_simulated:
        return
    if profile.identity.ieee == TEMPLATE_IEEE:
        yield (
            "identity.ieee",
            f"is the template's placeholder {TEMPLATE_IEEE}: copy the unit's IEEE address from its label",
        )
    if profile.identity.manufacturer == TEMPLATE_MANUFACTURER:
        yield (
            "identity.manufacturer",
            f"is the template's placeholder {TEMPLATE_MANUFACTURER!r}: name the device's maker",
        )


def _answers(profile: Profile) -> Iterator[tuple[str, str]]:
    if profile.answers_file is None:
        return
    from harness.catalogue import CASES
    from harness.errors import ObserverError
    from harness.observe.operator import Answers  # the same reader the run uses

    try:
        answers = Answers.load(profile.answers_file)
    except ObserverError as error:
        yield "answers_file", str(error)
        return
    where = f"operator answers file {profile.answers_file}"
    for case_id in sorted(answers.cases - set(CASES)):
        yield "answers_file", f"{where}, case {case_id}: no such case in the catalogue (see docs/catalogue.md)"
    by_operator = {str(dc) for dc, spec in profile.observe.items() if isinstance(spec, OperatorStep)}
    instructed = any(isinstance(getattr(profile.bench, c), OperatorStep) for c in _CONTROLS)
    for case_id, key in answers.keys():
        scope = "" if case_id is None else f", case {case_id}"
        data_class, dot, _ = key.partition(".")
        # An answer the run never asks for would sit unused, and the script drift unseen.
        if dot and data_class not in by_operator:
            yield (
                "answers_file",
                f"{where}{scope}, entry {key}: observe.{data_class} is not by operator in this profile, "
                "so this answer would never be used",
            )
        elif not dot and not instructed:
            yield (
                "answers_file",
                f"{where}{scope}, entry {key}: no bench control is by operator in this profile, "
                "so no instruction is ever given",
            )


def _model(profile: Profile) -> Iterator[tuple[str, str]]:
    if profile.simulation is None:
        return
    module_name, _, class_name = profile.simulation.model.partition(":")
    # A run imports the model with the folder it starts in on sys.path (pytest's rootdir).
    added = str(Path.cwd()) not in sys.path
    if added:
        sys.path.insert(0, str(Path.cwd()))
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # noqa: BLE001 (any import failure is the same finding)
        yield "simulation.model", f"module {module_name!r} cannot be imported: {type(error).__name__}: {error}"
        return
    finally:
        if added:
            sys.path.remove(str(Path.cwd()))
    if not hasattr(module, class_name):
        yield "simulation.model", f"module {module_name!r} has no class {class_name!r}"


def _commands(profile: Profile) -> Iterator[tuple[str, str]]:
    folder = profile.source_path.parent if profile.source_path is not None else Path.cwd()
    hooks: list[tuple[str, CommandHook]] = [
        (f"observe.{data_class}", spec) for data_class, spec in profile.observe.items() if isinstance(spec, CommandHook)
    ]
    for capability in _CONTROLS:
        spec = getattr(profile.bench, capability)
        if isinstance(spec, CommandHook):
            hooks.append((f"bench.{capability}", spec))
    for where, spec in hooks:
        program = str(spec.command[0])
        if os.sep in program:
            path = Path(program) if Path(program).is_absolute() else folder / program
            if not path.is_file():
                yield f"{where}.command", f"{program!r} does not exist (relative paths start at {folder})"
            elif not os.access(path, os.X_OK):
                yield f"{where}.command", f"{program!r} is not executable"
        elif shutil.which(program) is None:
            yield f"{where}.command", f"{program!r} is not on PATH"
