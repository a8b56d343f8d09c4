"""Where the reference profiles (device_profiles/) are, wherever the harness runs from.

A source checkout (or an editable install) has them beside the package, in the repository;
a wheel ships them as package data inside it (harness/device_profiles, see pyproject.toml).
Nothing else may assume the current folder is the repository.
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_PROFILE_NAME = "sim-ihd.yaml"
_PACKAGE = Path(__file__).resolve().parent


def profiles_dir() -> Path:
    """The folder of the reference profiles, the schema and the answers example."""
    candidates = (_PACKAGE.parent / "device_profiles", _PACKAGE / "device_profiles")
    for folder in candidates:
        if (folder / DEFAULT_PROFILE_NAME).is_file():
            return folder
    raise FileNotFoundError(
        f"the reference profiles are not installed (looked in {', '.join(map(str, candidates))}): "
        "reinstall cot-harness (pip install cot-harness, or pip install -e . in a checkout)"
    )


def default_profile() -> Path:
    """The profile a run uses without --profile: the simulated reference IHD."""
    return profiles_dir() / DEFAULT_PROFILE_NAME
