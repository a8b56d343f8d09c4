"""The wire of a standalone emulator's control endpoint, which both of its ends speak.

A leaf: the emulator (harness.sim.control) and the harness's client
(harness.bench.remote_sim) import it, and neither imports the other. One JSON object per
line over TCP. The harness sends requests `{"id": n, "op": ..., ...}` and waits for the
answer with the same id, `{"id": n, ...}` or `{"id": n, "error": "..."}`; the emulator may
push events (`{"event": "display", ...}`) at any time, always before any answer written
after them, so an answer is also a barrier: every event that happened before it has been
read. Every message from the emulator carries `base`, its virtual clock minus its
monotonic clock, so the harness's mirror of that clock follows each jump.
"""

from __future__ import annotations

import json
import re
from typing import Any

PROTOCOL = "cot-harness-emulator/1"
CONTROL_SCHEME = "tcp://"
_ENDPOINT = re.compile(r"tcp://(\[[0-9A-Fa-f:.]+\]|[^:/\s\[\]]+):(\d{1,5})")


class WireError(ValueError):
    """A line that is not a message of this protocol."""


def parse_endpoint(url: str) -> tuple[str, int]:
    """("host", port) of tcp://host:port (an IPv6 host in brackets)."""
    match = _ENDPOINT.fullmatch(url)
    if match is None or not 0 <= int(match[2]) < 65536:
        raise WireError(f"expected tcp://host:port, not {url!r}")
    return match[1].strip("[]"), int(match[2])


def endpoint_url(host: str, port: int) -> str:
    return f"{CONTROL_SCHEME}[{host}]:{port}" if ":" in host else f"{CONTROL_SCHEME}{host}:{port}"


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode("utf-8") + b"\n"


class LineReader:
    """Bytes in, whole messages out (a line may arrive in pieces or several at once)."""

    MAX_LINE = 1 << 20  # a line this long is not ours: a wrong port, or noise

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        self._buffer += data
        messages = []
        while (end := self._buffer.find(b"\n")) >= 0:
            line = bytes(self._buffer[:end])
            del self._buffer[: end + 1]
            if line.strip():
                messages.append(decode(line))
        if len(self._buffer) > self.MAX_LINE:
            raise WireError("a line of more than 1 MiB: this is not an emulator's control endpoint")
        return messages


def decode(line: bytes) -> dict[str, Any]:
    try:
        message = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise WireError(f"not a control message: {line[:60]!r}") from error
    if not isinstance(message, dict):
        raise WireError(f"not a control message: {line[:60]!r}")
    return message
