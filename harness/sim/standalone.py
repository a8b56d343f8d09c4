"""`cot-harness emulate`: the emulated coordinator and the simulated unit as a process of their own.

What `radio.path: sim://` starts inside the harness, started on its own: the emulated Z-Stack
serves its serial port on a TCP port or a pty, where anything a lab puts in front of a real
stick (ser2net, labgrid, socat) can take it, and a control endpoint (harness.sim.control)
serves what only a simulation can do. `--write-profile` writes the profile a harness uses to
reach it: the emulator's own profile with `radio.path` the serial port and
`simulation.control` the control endpoint; a lab edits only `radio.path` to put its
ser2net or labgrid in between.

One run per emulator: it ends when the harness's control session ends (or on SIGINT or
SIGTERM), closing its ports and removing its pty link. SIGUSR1 makes the simulated unit go
silent (a bench-fault drill). It prints one line once everything
is listening (and the profile written), so a script waits for that line, not for a time.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from harness.control_wire import WireError, parse_endpoint
from harness.errors import BenchError
from harness.profile import Profile, load_profile
from harness.sim.control import ControlServer
from harness.sim.facade import SimulationFacade

READY = "cot-harness emulate: ready:"  # the line a script waits for: "READY serial PATH control URL"


@dataclass(frozen=True)
class EmulatorOptions:
    profile: Path
    listen: tuple[str, int] | None  # serve the serial port on this TCP address...
    pty: str | None  # ...or on a pty, through a symlink of this name
    control: tuple[str, int] | None
    write_profile: Path | None
    air: str | None = None
    air_seed: int | None = None


def parse_listen(spec: str) -> tuple[str, int]:
    """tcp:HOST:PORT (PORT 0: one the kernel picks; the ready line and the profile say which)."""
    scheme, _, rest = spec.partition(":")
    host, _, port = rest.rpartition(":")
    if scheme != "tcp" or not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError(f"--listen {spec!r}: expected tcp:HOST:PORT, e.g. tcp:127.0.0.1:0")
    return host.strip("[]"), int(port)


def parse_control(spec: str) -> tuple[str, int]:
    """tcp:HOST:PORT, or tcp://HOST:PORT as the profile spells it."""
    try:
        return parse_endpoint(spec if spec.startswith("tcp://") else spec.replace("tcp:", "tcp://", 1))
    except WireError as error:
        raise ValueError(f"--control {spec!r}: expected tcp:HOST:PORT, e.g. tcp:127.0.0.1:0") from error


def emulator_profile(profile: Profile) -> Profile:
    if not profile.is_simulated or profile.simulation is None:
        raise BenchError(
            f"{profile.source_path}: radio.path must be 'sim://' with a simulation section: the emulator "
            "plays the unit its simulation.model names"
        )
    return profile


def remote_profile_data(source: Path, serial_path: str, control_url: str) -> dict[str, Any]:
    """The emulator's profile as a harness reaching it uses it: radio.path its serial port,
    simulation its model and control endpoint (the air and its seed stay the emulator's)."""
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    data["radio"]["path"] = serial_path
    data["simulation"] = {"model": data["simulation"]["model"], "control": control_url}
    bench = data.get("bench") or {}
    if (bench.get("foreign_node") or {}).get("by") == "simulation":
        # Not offered over the control endpoint (the unit's link key would cross it): SEC-07
        # is then not applicable, naming bench.foreign_node, instead of broken.
        bench["foreign_node"] = {"by": "none"}
    return data


def write_remote_profile(target: Path, source: Path, serial_path: str, control_url: str) -> None:
    data = remote_profile_data(source, serial_path, control_url)
    header = (
        f"# Written by cot-harness emulate from {source.name}: the harness reaches that emulator's\n"
        "# serial port at radio.path (edit it to put ser2net or labgrid in between) and its\n"
        "# control endpoint at simulation.control. Valid while that emulator runs (one run).\n"
    )
    target.write_text(header + yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    load_profile(target)  # what was written must load: a harness would otherwise fail later


def go_silent(facade: SimulationFacade) -> None:
    """The unit dies: off the air for good, whatever the bench's power or rejoin control does
    (a unit unplugged at the wall, or out of range)."""
    unit = facade.world.uut
    unit.power_off()
    unit.power_on = unit.rejoin = lambda: None  # type: ignore[method-assign]


async def serve(options: EmulatorOptions, out: Any = sys.stdout) -> int:
    profile = emulator_profile(load_profile(options.profile))
    assert profile.simulation is not None
    transport = "pty" if options.pty is not None else "tcp"
    facade = SimulationFacade(
        profile,
        transport=transport,
        air=options.air,
        seed=options.air_seed,
        listen=options.listen or ("127.0.0.1", 0),
        pty_link=options.pty,
    )
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    # A bench-fault drill: SIGUSR1 makes the unit go silent mid-run (it loses power and is
    # not told to come back), as a unit unplugged at the wall does.
    loop.add_signal_handler(signal.SIGUSR1, lambda: go_silent(facade))
    control: ControlServer | None = None
    try:
        serial_path = await facade.start()
        waits = [asyncio.ensure_future(stopping.wait())]
        control_url = "none"
        if options.control is not None:
            control = ControlServer(facade, model=profile.simulation.model, seed=facade.world.seed)
            control_url = await control.start(*options.control)
            waits.append(asyncio.ensure_future(control.session_over.wait()))
            if options.write_profile is not None:
                write_remote_profile(options.write_profile, options.profile, serial_path, control_url)
        print(f"{READY} serial {serial_path} control {control_url}", file=out, flush=True)
        _, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1):
            loop.remove_signal_handler(signum)
        if control is not None:
            await control.close()
        await facade.stop()
    return 0
