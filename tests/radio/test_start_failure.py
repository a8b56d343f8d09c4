"""A coordinator that does not start says why and what to check (issue 10, point 6).

Real sockets and zigpy-znp's real start-up: a closed port, a listener that never answers,
a path that does not exist. Only permission denied is built by hand (the tests run as root,
for whom every device file opens).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterator

import pytest
import zigpy.exceptions
import zigpy_znp.api

from harness.errors import CoordinatorError
from harness.radio.coordinator import Coordinator, RadioSettings, start_failure


class _RealTime:
    def now(self) -> float:
        return asyncio.get_running_loop().time()

    def stamp(self) -> float:
        return self.now()

    async def until(self, condition: Callable[[], object], timeout: float, what: str, jump: bool = True) -> object:
        raise AssertionError("start() must not wait on the bench clock")


def _settings(path: str) -> RadioSettings:
    return RadioSettings(path, 115200, None, 15, 0x1A62, None, None, {"esme": 9})


def _start_error(path: str) -> str:
    async def start() -> None:
        await Coordinator(_settings(path), _RealTime()).start()

    with pytest.raises(CoordinatorError) as caught:
        asyncio.run(start())
    return str(caught.value)


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:  # a port that was free a moment ago, and nothing listens on it
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def silent_listener() -> Iterator[int]:
    """Accepts the connection (the kernel does, from the backlog) and never says a word."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(4)
        yield server.getsockname()[1]


def test_a_closed_port_names_the_refusal_and_the_listener_to_check(closed_port: int) -> None:
    message = _start_error(f"socket://127.0.0.1:{closed_port}")
    assert f"coordinator on socket://127.0.0.1:{closed_port} did not start" in message
    assert "ConnectionRefusedError" in message and "Connect call failed" in message, message
    assert f"is ser2net (or the emulator) listening on 127.0.0.1:{closed_port}" in message, message
    assert not message.rstrip().endswith(":"), message


def test_a_silent_listener_is_a_timeout_with_the_serial_settings_to_check(
    silent_listener: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # zigpy-znp's own probe timeout (10 s) shortened to 1 s: the same start-up and the same
    # timeout path, nine seconds of one test worker's idle wall time fewer.
    monkeypatch.setattr(zigpy_znp.api, "CONNECT_PROBE_TIMEOUT", 1.0)
    message = _start_error(f"socket://127.0.0.1:{silent_listener}")
    assert "TimeoutError" in message and " s. Check:" in message, message
    for what in ("radio.baudrate (115200)", "radio.flow_control (null)", "Z-Stack", "bootloader"):
        assert what in message, message


def test_a_missing_device_path_says_so(tmp_path) -> None:  # noqa: ANN001
    path = str(tmp_path / "ttyACM9")
    message = _start_error(path)
    assert "FileNotFoundError" in message and "no such file" in message and path in message, message


def test_permission_denied_points_to_the_dialout_group() -> None:
    try:
        try:
            raise PermissionError(13, "Permission denied", "/dev/ttyACM0")
        except PermissionError as denied:
            raise zigpy.exceptions.TransientConnectionError() from denied
    except zigpy.exceptions.TransientConnectionError as error:
        message = start_failure(_settings("/dev/ttyACM0"), error, 0.01)
    assert "TransientConnectionError (PermissionError: [Errno 13] Permission denied" in message, message
    assert "dialout" in message and "after" not in message, message
