"""``Profile``, the root of one device profile: its sections, and what a run derives from it.

Separate from the sections because it is the one model with behaviour: it resolves the
answers file against the profile's folder, runs the cross-field rules (``rules.py``) and
lists the text forms of its secrets for the report redactor.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError
from zigpy.util import convert_install_code

from harness.domain import DataClass
from harness.profile.fields import SIM_PATH, UNIQUE_SCHEMA, unique_items
from harness.profile.rules import rule_violations
from harness.profile.sections import (
    Behaviour,
    Bench,
    Esi,
    Identity,
    Observer,
    Radio,
    Section,
    Simulation,
    Timings,
)


class Profile(Section):
    """A device profile for the Change of Tenancy conformance harness."""

    schema_version: Literal[1] = Field(description="Profile format version; this schema is 1.")
    identity: Identity
    radio: Radio
    esi: Esi = Field(default_factory=Esi)
    stores: Annotated[list[DataClass], AfterValidator(unique_items)] = Field(
        json_schema_extra=UNIQUE_SCHEMA,
        description="Data classes the UUT stores and must clear on a CoT; a CLR case is not "
        "applicable to a class not listed. May be empty (e.g. a PPMID storing none).",
    )
    behaviour: Behaviour
    timings: Timings
    bench: Bench = Field(default_factory=Bench)
    observe: dict[DataClass, Observer] = Field(
        default_factory=dict,
        description="For each class in stores, how the harness reads whether the UUT still "
        "shows it: by simulation, command, operator or zcl.",
    )
    answers_file: Path | None = Field(
        None,
        description="Operator answers for unattended runs; relative to the profile's folder.",
    )
    simulation: Simulation | None = Field(None, description=Simulation.__doc__)

    _source_path: Path | None = PrivateAttr(None)

    @field_validator("answers_file")
    @classmethod
    def _resolve_answers_file(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        base = (info.context or {}).get("base_dir")
        if value is None:
            return None
        path = value if value.is_absolute() or base is None else base / value
        if not path.is_file():
            raise ValueError(f"no such file: {path}")
        return path

    @model_validator(mode="after")
    def _cross_field_rules(self) -> Profile:
        broken = [
            # The message goes in as context: a template would read any brace in it.
            InitErrorDetails(
                type=PydanticCustomError("profile_rule", "{rule}", {"rule": msg}),
                loc=loc,
                input=None,
            )
            for loc, msg in rule_violations(self)
        ]
        if broken:
            # One ValidationError for all rules, each at its own field path.
            raise ValidationError.from_exception_data(type(self).__name__, broken)
        return self

    @property
    def is_simulated(self) -> bool:
        return self.radio.path == SIM_PATH

    @property
    def source_path(self) -> Path | None:
        """The YAML file this profile was loaded from (None when built in code)."""
        return self._source_path

    def identity_line(self) -> str:
        i = self.identity
        return f"{i.model} by {i.manufacturer}, firmware {i.firmware_version} ({i.role}, {i.ieee})"

    def secrets(self) -> list[str]:
        """Every text form in which a run might write a secret, longest first.

        Longest first so that a redactor replacing in order never leaves the tail of a longer
        form (the install code's CRC) behind after replacing a shorter one inside it.
        """
        raw: list[bytes] = []
        if self.identity.install_code is not None:
            code = bytes.fromhex(self.identity.install_code.get_secret_value())
            # Without its CRC as some tools print it, and the link key the coordinator derives
            # from it and hands to the stick (visible in zigpy-znp debug logs).
            raw += [code, code[:-2], bytes(convert_install_code(code))]
        if self.radio.network_key is not None:
            key = self.radio.network_key.get_secret_value()
            raw.append(bytes.fromhex(key.replace(":", "")))
        if self.radio.cbke is not None:
            for credential in (self.radio.cbke.suite_1, self.radio.cbke.suite_2):
                if credential is not None:  # the trust centre's certificate private keys
                    raw.append(bytes.fromhex(credential.private_key.get_secret_value()))
        forms = {text for secret in raw for text in text_forms(secret)}
        return sorted(forms, key=lambda text: (-len(text), text))


def text_forms(secret: bytes) -> Iterator[str]:
    for text in (secret.hex(), secret.hex().upper()):
        yield text
        for sep in ":- ":
            yield sep.join(text[i : i + 2] for i in range(0, len(text), 2))
    yield repr(secret)[2:-1]  # Python's bytes repr, as frame logs print payloads
