"""Bench capabilities: power-cycling and rejoining the unit, each done the profile's way.

`simulation` acts on the simulated device; `command` runs the lab's program (argv, no
shell, with its timeout); `operator` asks a person and waits for "done". A capability the
profile declares `none` makes the cases needing it not applicable (they skip naming the
field); a command that fails or an operator who is not there is bench trouble.
"""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

from harness.errors import BenchError
from harness.report.redact import redact_text

if TYPE_CHECKING:
    from harness.bench import Bench


class BenchControls:
    def __init__(self, bench: Bench) -> None:
        self.bench = bench

    def available(self, capability: str) -> bool:
        return getattr(self.bench.profile.bench, capability).by != "none"

    def power_cycle(self) -> None:
        self._do(
            "power_control",
            "cycle",
            "power-cycle the unit (off, then on)",
            lambda uut: (uut.power_off(), uut.power_on()),
        )

    def power_off(self) -> None:
        self._do("power_control", "off", "switch the unit off", lambda uut: uut.power_off())

    def power_on(self) -> None:
        self._do("power_control", "on", "switch the unit on", lambda uut: uut.power_on())

    def rejoin(self) -> None:
        self._do("rejoin_control", "rejoin", "make the unit leave and rejoin the network", lambda uut: uut.rejoin())

    def _do(self, capability: str, action: str, what: str, simulate) -> None:  # noqa: ANN001
        spec = getattr(self.bench.profile.bench, capability)
        if spec.by == "none":
            raise BenchError(f"bench.{capability} is none: cannot {what}")
        if spec.by == "simulation":
            world = self.bench.world
            if world is None:
                raise BenchError(f"bench.{capability} is simulation but the radio is not simulated")
            self.bench.call(lambda: simulate(world.uut))
        elif spec.by == "command":
            self._run(capability, action, spec)
        else:
            operator = self.bench.operator
            if operator is None:
                raise BenchError(f"bench.{capability} is operator but no operator is attached to this run")
            guidance = f" ({spec.prompt})" if spec.prompt else ""
            operator.instruct(f"Please {what}{guidance}, then answer done.")

    def _run(self, capability: str, action: str, spec) -> None:  # noqa: ANN001
        # The action (off, on, cycle, rejoin) is the last argument: one script serves all.
        argv = [str(a) for a in spec.command] + [action]
        timeout = spec.timeout.total_seconds()
        source = self.bench.profile.source_path
        cwd = source.parent if source is not None else None  # like observe commands
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False, cwd=cwd)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise BenchError(f"bench.{capability} command {argv[0]!r} failed: {error}") from error
        if done.returncode != 0:
            stderr = redact_text(done.stderr[:200], self.bench.profile.secrets())
            raise BenchError(f"bench.{capability} command {argv[0]!r} {action} exited {done.returncode}: {stderr}")
