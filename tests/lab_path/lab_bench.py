"""A lab's path to the emulator, built for real in a test: `cot-harness emulate` and
`cot-harness run` as subprocesses, ser2net in between, and the checks that nothing is left
behind (processes, listening ports, pty links).

Every wait is a condition with a deadline; the deadlines are wide (a loaded CI machine runs
the whole suite in seconds, a hung one is caught within a minute or two).
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "device_profiles" / "sim-ihd.yaml"  # `cot-harness run`'s default profile
READY = "cot-harness emulate: ready:"
START_DEADLINE_S = 60.0  # real seconds for a process to say it is listening
RUN_DEADLINE_S = 600.0  # a whole suite run (about 3 s in process, 15 s through ser2net)
END_DEADLINE_S = 60.0


def end_process(process: subprocess.Popen) -> None:  # type: ignore[type-arg]
    """Terminate a child of ours and reap it (killed if it ignores SIGTERM)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(END_DEADLINE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def harness_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "harness.cli", *args]


def wait_until(condition: Callable[[], object], deadline_s: float, what: str) -> object:
    """Until condition() is truthy; fails the test naming `what` at the deadline."""
    end = time.monotonic() + deadline_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            pytest.fail(f"{what}: not within {deadline_s:g} s")
        time.sleep(0.02)


# -- listening ports (from the kernel's own table: probing a port would open the serial device)
def listening_ports() -> set[int]:
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A":  # TCP_LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes that name `text` (a test's own tmp path): whatever a
    run started, children of children included, that is still there."""
    found = []
    for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            argv = Path(cmdline).read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in argv and Path(cmdline).parent.name != str(os.getpid()):
            found.append(argv.strip())
    return found


def pty_fds(pid: int | str = "self") -> list[str]:
    """The pseudo-terminals (master or slave) a process holds open."""
    held = []
    for fd in glob.glob(f"/proc/{pid}/fd/*"):
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target == "/dev/ptmx" or target.startswith("/dev/pts/"):
            held.append(target)
    return held


# -- the emulator -------------------------------------------------------------------------------
@dataclass
class Emulator:
    process: subprocess.Popen[str]
    serial: str  # socket://host:port or the pty link
    control: str | None  # tcp://host:port
    profile: Path | None  # what --write-profile wrote

    def ended(self) -> int:
        """Its exit status, once it has ended by itself (after its one session)."""
        try:
            return self.process.wait(END_DEADLINE_S)
        except subprocess.TimeoutExpired:
            self.stop()
            pytest.fail(f"the emulator did not end within {END_DEADLINE_S:g} s of its session")

    def stop(self) -> None:
        end_process(self.process)
        if self.process.stdout is not None:
            self.process.stdout.close()


def start_emulator(
    tmp: Path, *, pty: bool = False, control: bool = True, profile: Path = REFERENCE, extra: tuple[str, ...] = ()
) -> Emulator:
    args = ["emulate", "--profile", str(profile)]
    args += ["--pty", str(tmp / "coordinator-tty")] if pty else ["--listen", "tcp:127.0.0.1:0"]
    written = tmp / "emulator-profile.yaml" if control else None
    if control:
        args += ["--control", "tcp:127.0.0.1:0", "--write-profile", str(written)]
    process = subprocess.Popen(
        harness_command(*args, *extra),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=open(tmp / "emulator.stderr", "w"),  # noqa: SIM115 (the child owns it)
        text=True,
    )
    assert process.stdout is not None
    end = time.monotonic() + START_DEADLINE_S
    line = ""
    while not line.startswith(READY):
        remaining = end - time.monotonic()
        if process.poll() is not None or remaining <= 0:
            process.kill()
            process.wait()
            stderr = (tmp / "emulator.stderr").read_text()
            pytest.fail(f"cot-harness emulate did not get ready within {START_DEADLINE_S:g} s: {stderr[-2000:]}")
        if select.select([process.stdout], [], [], remaining)[0]:
            line = process.stdout.readline()
    fields = line.removeprefix(READY).split()  # serial PATH control URL
    serial, control_url = fields[1], fields[3]
    return Emulator(process, serial, None if control_url == "none" else control_url, written)


# -- ser2net ------------------------------------------------------------------------------------
def ser2net_or_skip() -> str:
    """ser2net's path; skips without it, except under CI, which installs it (.ci/run)."""
    path = shutil.which("ser2net") or next(
        (p for p in ("/usr/sbin/ser2net", "/sbin/ser2net") if os.access(p, os.X_OK)), None
    )
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("CI installs ser2net (.ci/run's apt line): it is not on this machine")
        pytest.skip("ser2net is not installed (Debian: apt-get install ser2net)")
    return path


@dataclass
class Ser2net:
    process: subprocess.Popen[bytes]
    port: int
    config: Path

    def stop(self) -> None:
        end_process(self.process)


def ser2net_config(device: str, port: int, *, accepter: str = "tcp") -> str:
    """The lab's ser2net.yaml for one stick (docs/real-bench.md has the same recipe). Written
    as text: ser2net wants the connection's name as a YAML anchor."""
    return (
        "connection: &coordinator\n"
        f"  accepter: {accepter},127.0.0.1,{port}\n"
        f"  connector: serialdev,{device},115200n81,local\n"
        "  options:\n"
        "    kickolduser: true\n"
    )


def start_ser2net(tmp: Path, device: str, *, accepter: str = "tcp") -> Ser2net:
    binary = ser2net_or_skip()
    port = free_port()
    config = tmp / "ser2net.yaml"
    config.write_text(ser2net_config(device, port, accepter=accepter))
    # -n: stay in the foreground (ours to stop); -u: no UUCP lock files under /var/lock.
    process = subprocess.Popen(
        [binary, "-n", "-u", "-P", str(tmp / "ser2net.pid"), "-c", str(config)],
        stdout=open(tmp / "ser2net.log", "wb"),  # noqa: SIM115 (the child owns it)
        stderr=subprocess.STDOUT,
    )

    def up() -> bool:
        if process.poll() is not None:
            pytest.fail(f"ser2net ended at once: {(tmp / 'ser2net.log').read_text()}")
        return port in listening_ports()

    started = Ser2net(process, port, config)
    try:
        wait_until(up, START_DEADLINE_S, f"ser2net to listen on port {port} (its log: {tmp / 'ser2net.log'})")
    except BaseException:
        started.stop()  # a ser2net that never listened (a bad config) is still ours to end
        raise
    return started


# -- the harness --------------------------------------------------------------------------------
def with_radio_path(profile: Path, path: str, target: Path) -> Path:
    """A copy of the profile with only radio.path changed: what a lab edits."""
    data = yaml.safe_load(profile.read_text())
    data["radio"]["path"] = path
    target.write_text(yaml.safe_dump(data, sort_keys=False))
    return target


def run_harness(profile: Path, run_folder: Path, *pytest_args: str) -> subprocess.CompletedProcess[str]:
    args = ["run", "--profile", str(profile), "--alluredir", str(run_folder / "allure-results")]
    if pytest_args:
        args += ["--", *pytest_args]
    return subprocess.run(
        harness_command(*args), cwd=REPO, capture_output=True, text=True, timeout=RUN_DEADLINE_S, check=False
    )


def start_harness(profile: Path, run_folder: Path, *pytest_args: str) -> subprocess.Popen[str]:
    args = ["run", "--profile", str(profile), "--alluredir", str(run_folder / "allure-results")]
    if pytest_args:
        args += ["--", *pytest_args]
    return subprocess.Popen(
        harness_command(*args),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=terminal_sigint,  # one signal call in the child, nothing that takes a lock
    )


def terminal_sigint() -> None:
    """In the run's process before it starts: the SIGINT a terminal's Ctrl-C reaches. Where the
    tests run as a background job (`pytest &` in a script) SIGINT is ignored, the run inherits
    that, and harness.interrupts rightly leaves an ignored SIGINT alone: the Ctrl-C drill
    then ends passed, which says nothing about the harness."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def verdicts(alluredir: Path) -> dict[str, str]:
    """Case (ID and title, parametrised cases apart) -> Allure status."""
    found = {}
    for result in alluredir.glob("*-result.json"):
        data = json.loads(result.read_text())
        case = next(label["value"] for label in data["labels"] if label["name"] == "as_id")
        found[f"{case}: {data['name']}"] = data["status"]
    return found


def environment(alluredir: Path) -> dict[str, str]:
    from harness.report.properties import parse_properties

    return parse_properties((alluredir / "environment.properties").read_text(encoding="ascii"))


def run_summary(alluredir: Path) -> str:
    """The run summary global attachment (harness.report.run_attachments)."""
    from harness.report.run_attachments import RUN_SUMMARY

    for container in alluredir.glob("*-globals.json"):
        for attachment in json.loads(container.read_text()).get("attachments", []):
            if attachment["name"] == RUN_SUMMARY:
                return (alluredir / attachment["source"]).read_text()
    raise AssertionError(f"no run summary among the global attachments in {alluredir}")


# -- a line that can be spoiled -----------------------------------------------------------------
class Relay:
    """A TCP relay standing in for a lab's cable or ser2net: it carries bytes both ways
    between one client and `upstream`, and a test can put garbage on the line (`inject`) or
    cut it (`cut`), as a loose connector or a dying network would.

    `hold_when`: a condition checked before each chunk from the client is carried; from the
    first chunk it is true for, the client's bytes are kept (`held` is set) until `release`.
    A client that makes one request at a time and waits for its answer (the harness on the
    control endpoint) is then stopped at a known point, however slowly the test is scheduled."""

    def __init__(self, upstream: tuple[str, int], hold_when: Callable[[], object] | None = None) -> None:
        self._upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._client: socket.socket | None = None
        self._server: socket.socket | None = None
        self._cut = False
        self._lock = threading.Lock()
        self._hold_when = hold_when
        self._kept: list[bytes] | None = None  # the client's bytes while held
        self.held = threading.Event()
        self._thread = threading.Thread(target=self._run, name="relay", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            client, _ = self._listener.accept()
        except OSError:
            return
        server = socket.create_connection(self._upstream)
        with self._lock:
            self._client, self._server = client, server
        peers = {client: server, server: client}
        while not self._cut:
            try:
                readable, _, _ = select.select(list(peers), [], [], 0.05)
            except (OSError, ValueError):
                return
            for sock in readable:
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    self.cut()
                    return
                try:
                    with self._lock:
                        if sock is client and self._holding():
                            assert self._kept is not None
                            self._kept.append(data)
                            self.held.set()
                            continue
                        peers[sock].sendall(data)
                except OSError:  # the test cut the link meanwhile (cut() closed the peer): the relay ends
                    self.cut()
                    return

    def _holding(self) -> bool:
        """Under the lock: whether the client's bytes are to be kept now."""
        if self._kept is None and self._hold_when is not None and self._hold_when():
            self._kept = []
        return self._kept is not None

    def release(self) -> None:
        """Carry what was held, in order, and every chunk after it (the hold is over)."""
        with self._lock:
            kept, self._kept, self._hold_when = self._kept or [], None, None
            if self._server is not None and not self._cut:
                with contextlib.suppress(OSError):  # upstream gone: the relay's loop finds it and ends
                    self._server.sendall(b"".join(kept))

    def inject(self, garbage: bytes, *, toward_client: bool = True) -> None:
        with self._lock:
            target = self._client if toward_client else self._server
            assert target is not None, "nothing is connected through the relay yet"
            target.sendall(garbage)

    def cut(self) -> None:
        self._cut = True
        with self._lock:
            for sock in (self._client, self._server, self._listener):
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
                    sock.close()

    def close(self) -> None:
        self.cut()
        if threading.current_thread() is not self._thread:
            self._thread.join(END_DEADLINE_S)
