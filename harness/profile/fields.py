"""Scalar field types of a profile and their validators: addresses, IDs, keys, paths.

Separate from the section models so each parsing rule (what an EUI-64, a PAN ID, an install
code or a radio path may look like) sits next to the JSON Schema it publishes, and the
sections read as a declaration of fields.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, SecretStr, WithJsonSchema
from zigpy.util import convert_install_code

SIM_PATH = "sim://"
QUOTE_HINT = "quote it (unquoted, YAML may read it as a number or a boolean)"
_EUI64_RE = re.compile(
    r"[0-9a-f]{16}|[0-9a-f]{2}(?::[0-9a-f]{2}){7}|[0-9a-f]{2}(?:-[0-9a-f]{2}){7}",
    re.IGNORECASE,
)


def _eui64(value: object) -> str:
    if not isinstance(value, str) or not _EUI64_RE.fullmatch(value.strip()):
        raise ValueError(f"expected an EUI-64: 16 hex digits, optionally in pairs; {QUOTE_HINT}")
    digits = re.sub("[:-]", "", value.strip()).lower()
    return ":".join(digits[i : i + 2] for i in range(0, 16, 2))


EUI64 = Annotated[
    str,
    BeforeValidator(_eui64),
    WithJsonSchema({"type": "string", "pattern": f"^({_EUI64_RE.pattern})$"}),
]


def _hex_int(value: object) -> object:
    # YAML reads an unquoted 0x1A62 as an int already; a quoted one arrives as text.
    if isinstance(value, bool) or (isinstance(value, str) and not re.fullmatch(r"0[xX][0-9a-fA-F]+", value)):
        raise ValueError("expected an integer or a hex string like '0x1A62'")
    return int(value, 16) if isinstance(value, str) else value


def _hex_int_schema(maximum: int) -> WithJsonSchema:
    return WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0, "maximum": maximum},
                {"type": "string", "pattern": "^0[xX][0-9a-fA-F]+$"},
            ]
        }
    )


# 0xFFFF is excluded: it means "no PAN" in IEEE 802.15.4.
PanId = Annotated[int, BeforeValidator(_hex_int), Field(ge=0, le=0xFFFE), _hex_int_schema(0xFFFE)]
ClusterOrAttributeId = Annotated[int, BeforeValidator(_hex_int), Field(ge=0, le=0xFFFF), _hex_int_schema(0xFFFF)]


def _hex_bytes(text: str) -> bytes | None:
    """Hex as printed on labels and in tools: any case, with ':', '-' or spaces between bytes."""
    try:
        return bytes.fromhex(re.sub(r"[\s:-]", "", text))
    except ValueError:
        return None


def _install_code(value: SecretStr) -> SecretStr:
    # Messages never quote the value: it is a secret.
    code = _hex_bytes(value.get_secret_value())
    if code is None:
        raise ValueError("expected hex digits (':', '-' or spaces between bytes are fine)")
    if len(code) not in (8, 10, 14, 18):
        raise ValueError(
            f"expected 6, 8, 12 or 16 bytes of code plus its 2-byte CRC (8, 10, 14 or 18 bytes), got {len(code)} bytes"
        )
    try:
        convert_install_code(code)  # the same check the coordinator's join path makes
    except ValueError:
        raise ValueError(
            "the CRC-16/X-25 in the last 2 bytes does not match the code: check for a mistyped digit"
        ) from None
    return SecretStr(code.hex().upper())


def _network_key(value: SecretStr) -> SecretStr:
    key = _hex_bytes(value.get_secret_value())
    if key is None or len(key) != 16:
        raise ValueError("expected 16 bytes of hex (':', '-' or spaces between bytes are fine)")
    return SecretStr(key.hex(":"))


REDACTED = "Secret: redacted ('**********') wherever the harness writes the profile."
InstallCode = Annotated[SecretStr, AfterValidator(_install_code)]
NetworkKey = Annotated[SecretStr, AfterValidator(_network_key)]


def _octets(lengths: tuple[int, ...], what: str):  # noqa: ANN202 (a validator factory)
    def check(value: str) -> str:
        data = _hex_bytes(value)
        if data is None or len(data) not in lengths:
            raise ValueError(f"expected {what}: {' or '.join(map(str, lengths))} bytes of hex")
        return data.hex()

    return check


def _cbke_private_key(value: SecretStr) -> SecretStr:
    key = _hex_bytes(value.get_secret_value())
    if key is None or len(key) not in (21, 36):
        raise ValueError("expected a CBKE private key: 21 (suite 1) or 36 (suite 2) bytes of hex")
    return SecretStr(key.hex())


CbkeCertificate = Annotated[str, AfterValidator(_octets((48, 74), "an implicit certificate"))]
CbkePublicKey = Annotated[str, AfterValidator(_octets((22, 37), "a compressed public key"))]
CbkePrivateKey = Annotated[SecretStr, AfterValidator(_cbke_private_key)]


def unique_items(items: list[Any]) -> list[Any]:
    repeated = sorted({str(item) for item in items if items.count(item) > 1})
    if repeated:
        raise ValueError(f"listed more than once: {', '.join(repeated)}")
    return items


UNIQUE_SCHEMA = {"uniqueItems": True}
ArgvItem = Annotated[str, Field(min_length=1)]
MODEL_REF_PATTERN = r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*$"


def _radio_path(value: str) -> str:
    if value == SIM_PATH or value.startswith("/"):
        return value
    tcp = re.fullmatch(r"(?:socket|tcp)://(?:\[[0-9A-Fa-f:.]+\]|[^:/\s\[\]]+):(\d{1,5})", value)
    if tcp and 0 < int(tcp[1]) < 65536:
        return value
    if value.startswith("rfc2217://"):
        # Measured with ser2net 4.3.11's telnet(rfc2217) accepter and serialx 1.15 (docs/real-bench.md):
        # serialx waits for the acknowledgement of its SET-MODEMSTATE-MASK, ser2net answers only
        # with NOTIFY-MODEMSTATE, and the connect gives up after serialx's 5 s connect timeout.
        raise ValueError(
            "rfc2217:// fails against ser2net: the RFC 2217 negotiation never completes (ser2net never "
            "acknowledges the modem-state mask) and the stick is given up on with a TimeoutError after 5 s; "
            "use ser2net's raw accepter as socket://host:port"
        )
    raise ValueError(
        f"expected '{SIM_PATH}', a serial device path (/dev/ttyACM0, /dev/serial/by-id/...), "
        "socket://host:port or tcp://host:port"
    )


def _model_ref(value: str) -> str:
    if not re.fullmatch(MODEL_REF_PATTERN, value):
        raise ValueError("expected 'package.module:ClassName'")
    return value


RadioPath = Annotated[str, AfterValidator(_radio_path)]
ModelRef = Annotated[str, AfterValidator(_model_ref)]
