"""Device profiles: a bad profile must fail before any radio is touched, naming the field."""

from __future__ import annotations

import copy
import json
import typing
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from harness.domain import DataClass
from harness.durations import format_duration, parse_duration
from harness.profile import (
    SCHEMA_PATH,
    BenchControl,
    ControlBy,
    ObserveBy,
    Observer,
    Profile,
    ProfileError,
    Role,
    load_profile,
    main,
    parse_profile,
    profile_json_schema,
)

PROFILES = SCHEMA_PATH.parent
REFERENCE = PROFILES / "sim-ihd.yaml"
# The worked example of a Zigbee install code (16 bytes of code, then CRC-16/X-25 C3B5), and
# the link key the coordinator derives from it (AES-MMO hash).
INSTALL_CODE = "83FED3407A939723A5C639B26916D505C3B5"
DERIVED_LINK_KEY = "66:b6:90:09:81:e1:ee:3c:a4:20:6b:6b:86:1c:02:bb"
NETWORK_KEY = "01:03:05:07:09:0b:0d:0f:00:02:04:06:08:0a:0c:0d"


def reference() -> dict[str, Any]:
    return yaml.safe_load(REFERENCE.read_text())


def on_hardware(data: dict[str, Any]) -> dict[str, Any]:
    """The reference profile moved to a real stick: no simulation anywhere."""
    data = copy.deepcopy(data)
    data["radio"]["path"] = "/dev/ttyACM0"
    del data["simulation"]
    data["bench"] = {
        "power_control": {"by": "operator"},
        "rejoin_control": {"by": "none"},
    }
    data["observe"] = {dc: {"by": "operator", "prompt": f"{dc} screen"} for dc in data["stores"]}
    return data


def errors_of(data: object) -> dict[str, str]:
    with pytest.raises(ProfileError) as caught:
        parse_profile(data, source=Path("device.yaml"))
    return dict(caught.value.errors)


def with_(data: dict[str, Any], dotted: str, value: object) -> dict[str, Any]:
    """A copy of data with one field set; value `...` deletes it."""
    data = copy.deepcopy(data)
    *parents, leaf = dotted.split(".")
    node = data
    for key in parents:
        node = node.setdefault(key, {})
    if value is ...:
        del node[leaf]
    else:
        node[leaf] = value
    return data


# --- the profiles shipped in device_profiles ---------------------------------------------------


def test_reference_profile_loads() -> None:
    profile = load_profile(REFERENCE)
    assert profile.is_simulated
    assert profile.source_path == REFERENCE
    assert profile.identity.role is Role.IHD
    assert profile.stores == [DataClass.CONSUMPTION_HISTORY, DataClass.SUPPLIER_MESSAGES]
    assert profile.radio.pan_id == 0x1A62
    assert profile.timings.response_timeout == timedelta(seconds=2)
    assert profile.timings.poll.max_interval == timedelta(hours=24)
    assert profile.bench.power_control.by == ControlBy.SIMULATION
    assert profile.bench.cot_trigger.by == ControlBy.NONE  # not declared: not applicable
    assert profile.simulation is not None
    assert profile.simulation.model == "harness.sim.devices.ihd:ReferenceIHD"
    assert profile.identity_line() == (
        "Reference IHD by Harness reference, firmware 1.0.0 (ihd, 00:0d:6f:00:0a:bc:de:f0)"
    )
    assert profile.secrets() == []


@pytest.mark.parametrize("path", sorted(PROFILES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_profile_validates(path: Path) -> None:
    load_profile(path)


@pytest.mark.parametrize("path", sorted(PROFILES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_profile_passes_the_json_schema(path: Path) -> None:
    # What an engineer's editor checks must agree with what the loader accepts.
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(profile_json_schema())
    data = yaml.safe_load(path.read_text())
    assert [e.message for e in validator.iter_errors(data)] == []
    assert not validator.is_valid(with_(data, "timings.poll.min_intervall", "1h"))


def test_schema_file_is_current() -> None:
    assert json.loads(SCHEMA_PATH.read_text()) == profile_json_schema(), (
        f"{SCHEMA_PATH} is stale: regenerate it with `python -m harness.profile schema`"
    )


def test_schema_command_writes_the_schema(tmp_path: Path) -> None:
    target = tmp_path / "schema.json"
    assert main(["schema", str(target)]) == 0
    assert json.loads(target.read_text()) == profile_json_schema()


def test_schema_describes_every_field_and_marks_secrets() -> None:
    schema = profile_json_schema()
    sections = [schema, *schema["$defs"].values()]

    def described(field: dict[str, Any]) -> bool:
        # A section's description sits on its definition, which pydantic does not repeat.
        ref = field.get("$ref", "").removeprefix("#/$defs/")
        return "description" in field or "description" in schema["$defs"].get(ref, {})

    undescribed = [
        f"{section['title']}.{name}"
        for section in sections
        for name, field in section.get("properties", {}).items()
        if name != "by" and not described(field)
    ]
    assert undescribed == []
    for section, name in (("Identity", "install_code"), ("Radio", "network_key")):
        field = schema["$defs"][section]["properties"][name]
        assert {"type": "string", "format": "password", "writeOnly": True} in field["anyOf"]
        assert "redacted" in field["description"]


def test_bench_and_observe_tags_match_their_enums() -> None:
    def tags(union: Any) -> set[str]:
        members = typing.get_args(typing.get_args(union)[0])
        return {typing.get_args(m.model_fields["by"].annotation)[0] for m in members}

    assert tags(BenchControl) == set(ControlBy)
    assert tags(Observer) == set(ObserveBy)


# --- strictness: every mistake named at its field ---------------------------------------------


@pytest.mark.parametrize(
    ("dotted", "value", "path"),
    [
        ("timing", {}, "timing"),
        ("timings.poll.min_intervall", "1h", "timings.poll.min_intervall"),
        ("identity.serial", "X", "identity.serial"),
        ("bench.power_control.shell", True, "bench.power_control.shell"),
        ("simulation.air.drop", 0.1, "simulation.air.drop"),
    ],
)
def test_unknown_field_is_rejected_with_its_path(dotted: str, value: object, path: str) -> None:
    errors = errors_of(with_(reference(), dotted, value))
    assert list(errors) == [path]
    assert "unknown field" in errors[path]


@pytest.mark.parametrize(
    ("dotted", "value", "path", "says"),
    [
        ("schema_version", 2, "schema_version", "1"),
        ("identity.role", "meter", "identity.role", "ihd"),
        ("identity.endpoint", 241, "identity.endpoint", "240"),
        ("identity.firmware_version", 1.1, "identity.firmware_version", "quote it"),
        ("radio.channel", 10, "radio.channel", "11"),
        ("radio.pan_id", "0xFFFF", "radio.pan_id", "65534"),
        ("radio.pan_id", "1A62", "radio.pan_id", "0x1A62"),
        ("radio.path", "rfc2217://lab:2000", "radio.path", "socket://"),
        ("radio.path", "COM3", "radio.path", "/dev/ttyACM0"),
        ("radio.path", "socket://lab:99999", "radio.path", "socket://host:port"),
        ("radio.flow_control", "rts", "radio.flow_control", "hardware"),
        ("radio.network_key", "0011", "radio.network_key", "16 bytes"),
        ("esi.sources", ["esme", "esme"], "esi.sources", "more than once: esme"),
        ("esi.sources", ["water"], "esi.sources[0]", "gpf"),
        ("esi.endpoints", {"esme": 9, "gpf": 9}, "esi.endpoints", "different"),
        ("esi.endpoints", {"esme": 1}, "esi.endpoints.esme", "2"),
        ("stores", ["consumption_history"] * 2, "stores", "more than once"),
        ("behaviour.query_method", "poll", "behaviour.query_method", "read_attributes"),
        ("behaviour.clear_scope", ..., "behaviour.clear_scope", "required"),
        ("timings.retries", 6, "timings.retries", "5"),
        ("timings.clear_within", "10 sec", "timings.clear_within", "'5s'"),
        (
            "timings.observation_window",
            0,
            "timings.observation_window",
            "longer than zero",
        ),
        ("bench.power_control", "operator", "bench.power_control", "{by: operator}"),
        (
            "bench.power_control",
            {"by": "robot"},
            "bench.power_control.by",
            "'operator'",
        ),
        ("bench.power_control", {"prompt": "x"}, "bench.power_control.by", "required"),
        (
            "bench.power_control",
            {"by": "command"},
            "bench.power_control.command",
            "required",
        ),
        (
            "bench.power_control",
            {"by": "command", "command": []},
            "bench.power_control.command",
            "at least 1",
        ),
        (
            "bench.rejoin_control",
            {"by": "command", "command": ["relay", ""]},
            "bench.rejoin_control.command[1]",
            "at least 1",
        ),
        (
            "bench.power_control",
            {"by": "command", "command": ["relay"], "timeout": "-1s"},
            "bench.power_control.timeout",
            "duration",
        ),
        (
            "observe.consumption_history",
            {"by": "zcl", "cluster": "0x0702"},
            "observe.consumption_history.attribute",
            "required",
        ),
        (
            "observe",
            {"consumption_histroy": {"by": "simulation"}},
            "observe.consumption_histroy",
            "unknown key",
        ),
        (
            "simulation.model",
            "harness.sim.devices.ihd.ReferenceIHD",
            "simulation.model",
            "module:Class",
        ),
        ("simulation.air.loss", 1.5, "simulation.air.loss", "1"),
        ("simulation.air.delay", "-5ms", "simulation.air.delay", "duration"),
    ],
)
def test_bad_value_is_rejected_with_its_path(dotted: str, value: object, path: str, says: str) -> None:
    errors = errors_of(with_(reference(), dotted, value))
    assert path in errors, errors
    assert says in errors[path]


# --- cross-field rules --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["ihd", "ppmid"])
def test_an_ihd_or_ppmid_needs_an_esi_source(role: str) -> None:
    data = with_(with_(reference(), "identity.role", role), "esi.sources", [])
    assert "at least one ESI source" in errors_of(data)["esi.sources"]


@pytest.mark.parametrize("role", ["esme", "gpf"])
def test_a_meter_under_test_may_have_no_esi_source_and_any_stores(role: str) -> None:
    data = with_(with_(reference(), "identity.role", role), "esi", ...)
    data["stores"] = ["top_up_history"]
    data["observe"] = {"top_up_history": {"by": "zcl", "cluster": "0x0705", "attribute": 0x0400}}
    data["behaviour"]["implementation_time"] = "scheduled"
    profile = parse_profile(data)
    assert profile.esi.sources == []
    assert profile.observe[DataClass.TOP_UP_HISTORY].cluster == 0x0705


def test_a_stored_class_needs_an_observe_entry() -> None:
    data = with_(reference(), "stores", ["consumption_history", "top_up_history"])
    assert "say how to observe it" in errors_of(data)["observe.top_up_history"]


def test_an_observe_entry_needs_its_class_in_stores() -> None:
    data = with_(reference(), "observe.debt_recovery", {"by": "simulation"})
    assert "not in stores" in errors_of(data)["observe.debt_recovery"]


@pytest.mark.parametrize(
    "dotted",
    [
        "bench.power_control",
        "bench.rejoin_control",
        "bench.cot_trigger",
        "observe.consumption_history",
    ],
)
def test_by_simulation_needs_the_simulated_radio(dotted: str) -> None:
    data = with_(on_hardware(reference()), dotted, {"by": "simulation"})
    assert "sim://" in errors_of(data)[f"{dotted}.by"]


def test_the_simulated_radio_needs_a_simulation_section() -> None:
    assert "required" in errors_of(with_(reference(), "simulation", ...))["simulation"]


def test_a_simulation_section_needs_the_simulated_radio_or_a_control_endpoint() -> None:
    # A simulation section off sim:// names a standalone emulator; without its control
    # endpoint the section says nothing the harness could use (tests/lab_path has the rest).
    data = on_hardware(reference())
    data["simulation"] = reference()["simulation"]
    assert "required when radio.path is not 'sim://'" in errors_of(data)["simulation.control"]


@pytest.mark.parametrize("min_interval", ["24h", "2d"])
def test_min_interval_must_be_shorter_than_max_interval(min_interval: str) -> None:
    errors = errors_of(with_(reference(), "timings.poll.min_interval", min_interval))
    assert "timings.poll.max_interval (1d)" in errors["timings.poll.min_interval"]


def test_install_code_security_needs_an_install_code() -> None:
    data = with_(on_hardware(reference()), "radio.security", "install_code")
    assert "install_code" in errors_of(data)["identity.install_code"]


def test_all_rule_violations_are_reported_together() -> None:
    data = with_(reference(), "esi.sources", [])
    data = with_(data, "timings.poll.min_interval", "2d")
    data = with_(data, "simulation", ...)
    assert set(errors_of(data)) == {
        "esi.sources",
        "timings.poll.min_interval",
        "simulation",
    }


def test_answers_file_resolves_against_the_profile_folder(tmp_path: Path) -> None:
    (tmp_path / "answers.yaml").write_text("{}\n")
    profile_file = tmp_path / "ihd.yaml"
    profile_file.write_text(yaml.safe_dump(with_(reference(), "answers_file", "answers.yaml")))
    assert load_profile(profile_file).answers_file == tmp_path / "answers.yaml"
    profile_file.write_text(yaml.safe_dump(with_(reference(), "answers_file", "missing.yaml")))
    with pytest.raises(ProfileError) as caught:
        load_profile(profile_file)
    assert dict(caught.value.errors)["answers_file"].startswith("no such file")


# --- scalar formats ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("500ms", timedelta(milliseconds=500)),
        ("5s", timedelta(seconds=5)),
        (" 5 s ", timedelta(seconds=5)),
        ("1.5s", timedelta(seconds=1.5)),
        ("2m", timedelta(minutes=2)),
        ("3h", timedelta(hours=3)),
        ("24h", timedelta(days=1)),
        ("1d", timedelta(days=1)),
        (30, timedelta(seconds=30)),
        (0.25, timedelta(milliseconds=250)),
    ],
)
def test_durations_parse(text: object, expected: timedelta) -> None:
    assert parse_duration(text) == expected
    assert parse_duration(format_duration(expected)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "5",
        "5x",
        "-5s",
        "",
        "1e3s",
        "5 sec",
        True,
        None,
        [5],
        float("inf"),
        float("nan"),
        1e30,
    ],
)
def test_bad_durations_are_rejected(text: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(days=1), "1d"),
        (timedelta(hours=3), "3h"),
        (timedelta(seconds=90), "90s"),
        (timedelta(milliseconds=1500), "1500ms"),
        (timedelta(0), "0s"),
    ],
)
def test_durations_format_as_profiles_spell_them(value: timedelta, text: str) -> None:
    assert format_duration(value) == text


@pytest.mark.parametrize(
    "ieee",
    [
        "00:0d:6f:00:0a:bc:de:f0",
        "00:0D:6F:00:0A:BC:DE:F0",
        "000D6F000ABCDEF0",
        "00-0d-6f-00-0a-bc-de-f0",
    ],
)
def test_eui64_is_normalised(ieee: str) -> None:
    data = with_(with_(reference(), "identity.ieee", ieee), "radio.extended_pan_id", ieee)
    profile = parse_profile(data)
    assert profile.identity.ieee == profile.radio.extended_pan_id == "00:0d:6f:00:0a:bc:de:f0"


@pytest.mark.parametrize("ieee", ["00:0d:6f:00:0a:bc:de", "00:0d:6f:00:0a:bc:de:fg", "000d:6f00:0abc:def0"])
def test_bad_eui64_is_rejected(ieee: str) -> None:
    assert "EUI-64" in errors_of(with_(reference(), "identity.ieee", ieee))["identity.ieee"]


def test_eui64_read_as_a_number_by_yaml_asks_for_quotes() -> None:
    # Unquoted, YAML 1.1 reads 10:20:30:40:50:11:22:33 as a base-60 integer.
    data = yaml.safe_load(REFERENCE.read_text().replace('"00:0d:6f:00:0a:bc:de:f0"', "10:20:30:40:50:11:22:33"))
    assert isinstance(data["identity"]["ieee"], int)
    assert "quote it" in errors_of(data)["identity.ieee"]


def test_pan_id_accepts_hex_text() -> None:
    assert parse_profile(with_(reference(), "radio.pan_id", "0x1a62")).radio.pan_id == 0x1A62


# --- install code and secrets --------------------------------------------------------------------


def with_secrets(install_code: str = INSTALL_CODE) -> dict[str, Any]:
    data = with_(on_hardware(reference()), "identity.install_code", install_code)
    data = with_(data, "radio.network_key", NETWORK_KEY.upper())
    return with_(data, "radio.security", "install_code")


@pytest.mark.parametrize(
    "code",
    [
        INSTALL_CODE,
        INSTALL_CODE.lower(),
        " ".join(INSTALL_CODE[i : i + 4] for i in range(0, 36, 4)),
    ],
)
def test_known_good_install_code_is_accepted(code: str) -> None:
    profile = parse_profile(with_secrets(code))
    assert profile.identity.install_code is not None
    assert profile.identity.install_code.get_secret_value() == INSTALL_CODE


@pytest.mark.parametrize(
    ("code", "says"),
    [
        (INSTALL_CODE[:-1] + "6", "CRC"),  # last CRC digit mistyped
        ("93" + INSTALL_CODE[2:], "CRC"),  # first code digit mistyped
        (INSTALL_CODE[:-4], "got 16 bytes"),  # CRC left off
        ("83FED3407A939723A5C639B26916D505C3BZ", "hex digits"),
    ],
)
def test_bad_install_code_is_rejected_without_quoting_it(code: str, says: str) -> None:
    with pytest.raises(ProfileError) as caught:
        parse_profile(with_secrets(code), source=Path("device.yaml"))
    assert says in dict(caught.value.errors)["identity.install_code"]
    for text in (str(caught.value), *caught.value.lines()):
        assert code[:12].upper() not in text.upper()


def test_secrets_cover_every_form_a_run_might_write() -> None:
    secrets = parse_profile(with_secrets()).secrets()
    for expected in (
        INSTALL_CODE,
        INSTALL_CODE.lower(),
        INSTALL_CODE[:-4],  # printed without its CRC
        "83:fe:d3:40:7a:93:97:23:a5:c6:39:b2:69:16:d5:05:c3:b5",
        "83 FE D3 40 7A 93 97 23 A5 C6 39 B2 69 16 D5 05 C3 B5",
        DERIVED_LINK_KEY,
        DERIVED_LINK_KEY.replace(":", "").upper(),
        NETWORK_KEY,
        NETWORK_KEY.replace(":", "-").upper(),
        repr(bytes.fromhex(NETWORK_KEY.replace(":", "")))[2:-1],
    ):
        assert expected in secrets
    assert [len(s) for s in secrets] == sorted((len(s) for s in secrets), reverse=True)


def test_secrets_are_never_written() -> None:
    profile = parse_profile(with_secrets())
    written = [
        repr(profile),
        str(profile),
        repr(profile.identity),
        profile.model_dump_json(),
        str(profile.model_dump()),
        str(profile.model_dump(mode="json")),
    ]
    for text in written:
        for secret in profile.secrets():
            assert secret not in text
    assert json.loads(profile.model_dump_json())["identity"]["install_code"] == "**********"


def test_validation_errors_do_not_echo_secrets() -> None:
    # A mistyped code, and a missing field whose section (holding the code) is the input.
    mistyped = INSTALL_CODE[:-1] + "6"
    data = with_(with_secrets(mistyped), "identity.model", ...)
    with pytest.raises(ValidationError) as raw:
        Profile.model_validate(data)
    with pytest.raises(ProfileError) as caught:
        parse_profile(data)
    for text in (str(raw.value), str(caught.value), *caught.value.lines()):
        assert mistyped not in text
        assert NETWORK_KEY.upper() not in text


# --- ProfileError and the loader ----------------------------------------------------------------


def test_profile_error_is_one_line_naming_the_file() -> None:
    data = with_(with_(reference(), "esi.sources", []), "timings.poll.min_interval", "2d")
    with pytest.raises(ProfileError) as caught:
        parse_profile(data, source=Path("lab/ihd.yaml"))
    text = str(caught.value)
    assert "\n" not in text
    assert text.startswith("lab/ihd.yaml: 2 errors: ")
    assert "esi.sources: " in text and "timings.poll.min_interval: " in text
    assert caught.value.lines()[0].startswith("lab/ihd.yaml: esi.sources: ")
    assert caught.value.file == Path("lab/ihd.yaml")


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "ihd.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty file"),
        ("- ihd\n- esme\n", "got a list"),
        ("identity: {role: ihd\nradio: x\n", "line 2, column 6"),
        ("schema_version: 1\nidentity: {}\nschema_version: 1\n", "line 3, column 1"),
        (b"role: \xff\n", "not UTF-8"),
    ],
)
def test_unreadable_file_is_named(tmp_path: Path, text: str | bytes, says: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert str(caught.value).startswith(f"{path}: 1 error: ")
    assert says in str(caught.value)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="no such file") as caught:
        load_profile(tmp_path / "absent.yaml")
    assert caught.value.file == tmp_path / "absent.yaml"


def test_yaml_syntax_error_does_not_quote_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, f"identity:\n  install_code: {INSTALL_CODE}: x\n")
    with pytest.raises(ProfileError, match="line 2") as caught:
        load_profile(path)
    assert INSTALL_CODE not in str(caught.value)


def test_a_key_given_twice_is_an_error_naming_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "schema_version: 1\nradio: {}\nradio: {}\n")
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert str(caught.value).startswith(f"{path}: 1 error: YAML syntax error at line 3, column 1: ")
    assert "found the key 'radio' twice" in str(caught.value)
