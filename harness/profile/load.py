"""Reading a profile: the YAML file, then validation, every problem as one ``ProfileError``.

Separate from the models so that everything touching files and YAML, and the error
reporting around them, sits in one place; the models stay pure declarations.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml
from pydantic import ValidationError

from harness.profile.document import Profile
from harness.profile.errors import ProfileError, describe_error
from harness.yamlload import StrictLoader


def load_profile(path: str | Path) -> Profile:
    """Read and validate one profile file; any problem raises ProfileError naming the file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(file, [("", "no such file")]) from None
    except UnicodeDecodeError:
        raise ProfileError(file, [("", "not UTF-8 text")]) from None
    except OSError as exc:
        raise ProfileError(file, [("", f"cannot read it: {exc.strerror or exc}")]) from None
    try:
        data = yaml.load(text, Loader=StrictLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        # Built from the parts: PyYAML's own text quotes the offending line, which may hold a secret.
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ProfileError(file, [("", f"YAML syntax error at {where}{exc.problem}")]) from None
    except yaml.YAMLError as exc:
        raise ProfileError(file, [("", f"not YAML: {exc}")]) from None
    return parse_profile(data, source=file)


def parse_profile(data: object, *, source: Path | None = None) -> Profile:
    """Validate already-parsed profile data; relative paths resolve against source's folder."""
    if not isinstance(data, Mapping):
        got = "an empty file" if data is None else f"a {type(data).__name__}"
        raise ProfileError(source, [("", f"expected a mapping of profile sections, got {got}")])
    base_dir = source.parent.absolute() if source is not None else None
    try:
        profile = Profile.model_validate(data, context={"base_dir": base_dir})
    except ValidationError as exc:
        raise ProfileError(source, [describe_error(error, data) for error in exc.errors()]) from None
    profile._source_path = source
    return profile
