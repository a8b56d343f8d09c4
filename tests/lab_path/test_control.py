"""The control endpoint on its own: a real SimulationFacade served by ControlServer on a
loopback port (its own event loop, in a thread, as if in another process) and the harness's
RemoteSimulation talking to it. What is checked: quiet stays SimulationFacade's own check,
fed with the host's counts (a frame counted on one side only means not quiet, and the clock
never jumps then), the clock mirror follows each jump, and the profile rules of
simulation.control name their field.
"""

from __future__ import annotations

import asyncio
import copy
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from lab_bench import REFERENCE

from harness.bench import remote_sim
from harness.bench.han import open_han
from harness.bench.remote_sim import ControlLost, RemoteSimulation, SerialLinkBroken
from harness.errors import BenchError, PreconditionNotMet
from harness.profile import ProfileError, parse_profile
from harness.sim.control import ControlServer
from harness.sim.facade import SimulationFacade


@dataclass
class Host:
    """The harness's side of the serial link, as HarnessZnpApp counts it."""

    mt_out: int = 0
    mt_in: int = 0
    data_in: int = 0
    busy: bool = False

    def idle(self) -> bool:
        return not self.busy

    def knows(self, ieee: str) -> bool:
        return False


class Emulator:
    """A facade and its control server on an event loop of their own."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        profile = parse_profile(yaml.safe_load(REFERENCE.read_text()), source=REFERENCE)
        self.facade = SimulationFacade(profile)
        self.server: ControlServer | None = None

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def start(self) -> str:
        async def start() -> str:
            await self.facade.start()
            self.server = ControlServer(self.facade, model="harness.sim.devices.ihd:ReferenceIHD", seed=1)
            return await self.server.start("127.0.0.1", 0)

        return self.run(start())

    def stop(self) -> None:
        async def stop() -> None:
            if self.server is not None:
                await self.server.close()
            await self.facade.stop()

        self.run(stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
        self.loop.close()


def remote_profile(control: str, **simulation: Any) -> Any:
    data = yaml.safe_load(REFERENCE.read_text())
    data["radio"]["path"] = "socket://127.0.0.1:9"
    data["simulation"] = {"model": data["simulation"]["model"], "control": control, **simulation}
    return parse_profile(data, source=Path("remote.yaml"))


@pytest.fixture
def emulator() -> Iterator[tuple[Emulator, str]]:
    running = Emulator()
    url = running.start()
    yield running, url
    running.stop()


def test_quiet_is_the_facades_check_fed_with_the_hosts_counts(emulator: tuple[Emulator, str]) -> None:
    world, url = emulator
    han = open_han(remote_profile(url))
    assert isinstance(han, RemoteSimulation)
    assert asyncio.run(han.start()) == "socket://127.0.0.1:9"  # the radio path zigpy-znp opens
    host = Host()
    assert not han.quiet()  # not bound yet: never quiet
    han.bind_host(host)
    assert han.quiet()  # nothing in flight on either side
    # A frame the host wrote that the emulator has not parsed (inside ser2net, a pty, a socket).
    host.mt_out += 1
    assert not han.quiet()
    before = world.facade.clock.now()
    han.advance_to(before + 3600)
    assert world.facade.clock.now() - before < 60, "the clock jumped while a frame was in flight"
    host.mt_out -= 1
    # A frame the emulator wrote that the host has not parsed yet.
    world.run(_emulator_writes_one_frame(world))
    assert not han.quiet()
    host.mt_in += 1
    host.busy = True
    assert not han.quiet()  # zigpy-znp still has a request of its own under way
    host.busy = False
    assert han.quiet()
    target = han.clock.now() + 3600
    han.advance_to(target)
    # The mirror follows the jump: here as there, without asking.
    assert han.clock.now() >= target - 1
    assert abs(han.clock.now() - world.facade.clock.now()) < 1
    asyncio.run(han.stop())


async def _emulator_writes_one_frame(world: Emulator) -> None:
    # The MT server counts what the emulator sends; no host reads it in this test.
    world.facade.world.server.open_stream(lambda data: None).frames_out += 1


def test_the_unit_is_acted_on_and_the_environment_says_emulated(emulator: tuple[Emulator, str]) -> None:
    world, url = emulator
    han = RemoteSimulation(remote_profile(url))
    asyncio.run(han.start())
    env = han.environment()
    assert env["emulated"].startswith("yes: ") and url in env["emulated"]
    han.act_on_unit("power_off")
    assert not world.facade.world.uut.powered
    han.act_on_unit("power_on")
    assert world.facade.world.uut.powered
    with pytest.raises(BenchError, match="cannot"):
        han.act_on_unit("explode")
    asyncio.run(han.stop())


def test_a_second_session_and_a_wrong_model_are_refused(emulator: tuple[Emulator, str]) -> None:
    _, url = emulator
    wrong = RemoteSimulation(remote_profile(url))
    wrong._model = "harness.sim.devices.ppmid:ReferencePPMID"  # what a stale profile would name
    with pytest.raises(PreconditionNotMet, match="plays"):
        asyncio.run(wrong.start())
    asyncio.run(wrong.stop())
    again = RemoteSimulation(remote_profile(url))
    with pytest.raises(PreconditionNotMet, match="fresh cot-harness emulate"):
        asyncio.run(again.start())
    asyncio.run(again.stop())


def test_a_lost_control_endpoint_is_fatal(emulator: tuple[Emulator, str]) -> None:
    world, url = emulator
    han = RemoteSimulation(remote_profile(url))
    asyncio.run(han.start())
    han.bind_host(Host())
    world.run(world.server.close())  # type: ignore[union-attr]
    with pytest.raises(ControlLost, match="every remaining case is blocked"):
        for _ in range(100):  # the close reaches us at the next read
            han.quiet()
    asyncio.run(han.stop())


def test_an_unreachable_control_endpoint_is_a_bench_error_naming_the_field() -> None:
    han = RemoteSimulation(remote_profile("tcp://127.0.0.1:9"))
    with pytest.raises(PreconditionNotMet, match="simulation.control tcp://127.0.0.1:9"):
        asyncio.run(han.start())


# -- the profile rules --------------------------------------------------------------------------
def _errors(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ProfileError) as caught:
        parse_profile(data, source=Path("device.yaml"))
    return dict(caught.value.errors)


def test_simulation_control_rules_name_their_field() -> None:
    reference = yaml.safe_load(REFERENCE.read_text())
    with_control = copy.deepcopy(reference)
    with_control["simulation"]["control"] = "tcp://127.0.0.1:4000"
    assert "harness starts its own" in _errors(with_control)["simulation.control"]
    remote = copy.deepcopy(reference)
    remote["radio"]["path"] = "socket://127.0.0.1:4001"
    assert "required when radio.path is not 'sim://'" in _errors(remote)["simulation.control"]
    remote["simulation"]["control"] = "tcp://127.0.0.1:4000"
    errors = _errors(remote)  # the air and the seed are the emulator's own
    assert set(errors) == {"simulation.air", "simulation.seed"}
    del remote["simulation"]["air"], remote["simulation"]["seed"]
    profile = parse_profile(remote)  # bench and observe by simulation are fine with a control endpoint
    assert profile.simulation is not None and profile.simulation.control == "tcp://127.0.0.1:4000"
    remote["simulation"]["control"] = "http://127.0.0.1:4000"
    assert "tcp://host:port" in _errors(remote)["simulation.control"]


def test_air_options_for_a_standalone_emulator_are_refused() -> None:
    with pytest.raises(BenchError, match="cot-harness emulate"):
        open_han(remote_profile("tcp://127.0.0.1:4000"), air="loss=0.1")


def test_a_corrupted_frame_on_the_line_is_fatal(emulator: tuple[Emulator, str]) -> None:
    world, url = emulator
    han = RemoteSimulation(remote_profile(url))
    asyncio.run(han.start())
    han.bind_host(Host())
    assert han.quiet()

    async def corrupt() -> None:  # an MT frame whose checksum the line spoiled
        world.facade.world.server.open_stream(lambda data: None).feed(bytes([0xFE, 0x00, 0x21, 0x01, 0x00]))

    world.run(corrupt())
    with pytest.raises(SerialLinkBroken, match="corrupted MT frame"):
        han.quiet()
    asyncio.run(han.stop())


def test_a_frame_that_never_arrives_is_fatal_once_nothing_moves(
    emulator: tuple[Emulator, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, url = emulator
    monkeypatch.setattr(remote_sim, "LINK_STALL_S", 0.0)  # the real bound is 30 s
    han = RemoteSimulation(remote_profile(url))
    asyncio.run(han.start())
    host = Host()
    han.bind_host(host)
    host.mt_out += 1  # written by zigpy-znp, lost on the line: it never reaches the emulator
    assert not han.quiet()  # first seen: in flight, as any frame is for a moment
    with pytest.raises(SerialLinkBroken, match="never reached the emulator"):
        han.quiet()
    asyncio.run(han.stop())


@pytest.mark.parametrize(
    "args, says",
    [
        (["--listen", "tcp:127.0.0.1:0", "--write-profile", "x.yaml"], "needs --control"),
        (["--listen", "udp:127.0.0.1:0"], "expected tcp:HOST:PORT"),
        (["--listen", "tcp:127.0.0.1:0", "--control", "127.0.0.1:0"], "expected tcp:HOST:PORT"),
    ],
)
def test_emulate_usage_errors_start_nothing(args: list[str], says: str, capsys: pytest.CaptureFixture[str]) -> None:
    from harness.cli import Exit, main

    assert main(["emulate", "--profile", str(REFERENCE), *args]) == Exit.USAGE
    assert says in capsys.readouterr().err


def test_emulate_refuses_a_profile_that_names_no_simulated_unit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from harness.cli import Exit, main

    data = yaml.safe_load((REFERENCE.parent / "template-real-ihd.yaml").read_text())
    profile = tmp_path / "hardware.yaml"
    profile.write_text(yaml.safe_dump(data))
    assert main(["emulate", "--profile", str(profile), "--listen", "tcp:127.0.0.1:0"]) == Exit.BENCH_ERROR
    assert "radio.path must be 'sim://'" in capsys.readouterr().err
