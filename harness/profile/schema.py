"""The published JSON Schema of device profiles (device_profiles/profile.schema.json).

Separate so editors and CI can regenerate the schema (``python -m harness.profile schema``)
from the models without the loading code; a test checks the committed file is current.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic.json_schema import GenerateJsonSchema

from harness.durations import format_duration
from harness.profile.document import Profile
from harness.reference_profiles import profiles_dir

# harness/profile/schema.py -> the repository root, two packages up.
SCHEMA_PATH = profiles_dir() / "profile.schema.json"  # the checkout's, or the installed copy


class _ProfileSchema(GenerateJsonSchema):
    def encode_default(self, dft: Any) -> Any:
        # Show defaults the way a profile spells them ("30s"), not as ISO 8601 ("PT30S").
        if isinstance(dft, timedelta):
            return format_duration(dft)
        return super().encode_default(dft)


def profile_json_schema() -> dict[str, Any]:
    schema = Profile.model_json_schema(schema_generator=_ProfileSchema)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def write_json_schema(path: str | Path = SCHEMA_PATH) -> Path:
    path = Path(path)
    path.write_text(json.dumps(profile_json_schema(), indent=2) + "\n", encoding="utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.profile")
    commands = parser.add_subparsers(dest="command", required=True)
    schema = commands.add_parser("schema", help="regenerate the profile JSON Schema")
    schema.add_argument("path", nargs="?", type=Path, default=SCHEMA_PATH)
    args = parser.parse_args(argv)
    print(f"wrote {write_json_schema(args.path)}")
    return 0
