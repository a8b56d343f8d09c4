"""Bench capabilities: power-cycling and rejoining the unit, each done the profile's way.

`simulation` asks the world facade to act on the simulated unit; `command` runs the lab's
program (argv, no shell, with its timeout); `operator` asks a person and waits for "done".
A capability the profile declares `none` makes the cases needing it not applicable (they
skip naming the field); a command that fails or an operator who is not there is bench
trouble.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.errors import BenchError
from harness.report.redact import redact_text

if TYPE_CHECKING:
    from harness.bench.han import Han
    from harness.bench.loop import BenchLoop
    from harness.profile import Profile

# (capability, action the lab's command is told, what a person is asked)
ACTIONS = {
    "power_cycle": ("power_control", "cycle", "power-cycle the unit (off, then on)"),
    "power_off": ("power_control", "off", "switch the unit off"),
    "power_on": ("power_control", "on", "switch the unit on"),
    "rejoin": ("rejoin_control", "rejoin", "make the unit leave and rejoin the network"),
    # A meter under test: the GBCS equivalent of DCC SR 3.2 (ECS12 to an ESME, GCS09 to a GPF).
    "change_of_tenancy": ("cot_trigger", "cot", "make the meter take a Change of Tenancy"),
}

# The actions after which a unit starts over (and may query at once: POLL-01/02).
RESTARTS = frozenset({"power_cycle", "power_on", "rejoin"})


def cot_instruction(profile: Profile) -> str:
    """What an operator is asked to do for bench.cot_trigger, word for word (the plan shows it too)."""
    role = str(profile.identity.role).upper()
    use_case = "ECS12" if role == "ESME" else "GCS09"
    return (
        f"send DCC SR 3.2 Restrict Access for Change of Tenancy to the {role} {profile.identity.ieee} "
        f"(GBCS {use_case}) dated now, executed on receipt; wait until the DCC reports it executed"
    )


@dataclass(frozen=True)
class Restart:
    """A restart of the unit the bench asked for, when it began: bench time, and the position
    in the frame trace the next frame takes (FrameTrace.mark). The position orders it among
    the frames where the time cannot: in simulation a unit may be back, and query, within the
    same virtual instant the restart was asked at."""

    at: float
    action: str
    position: int


class BenchControls:
    def __init__(
        self,
        profile: Profile,
        han: Han,
        loop: BenchLoop,
        operator: Callable[[], Any],
        trace_mark: Callable[[], int],
    ) -> None:
        self._profile = profile
        self._han = han
        self._loop = loop
        self._operator = operator  # the run's operator, or None
        self._trace_mark = trace_mark  # where the next frame goes in the session's trace (Restart)
        # Each restart asked for: when the bench restarted the unit, whatever the unit itself
        # says of it (POLL-04 judges the query rate between restarts; from when it began,
        # since the unit may be back before "done")
        self.actions: list[Restart] = []

    def available(self, capability: str) -> bool:
        return getattr(self._profile.bench, capability).by != "none"

    def power_cycle(self) -> None:
        self._do("power_cycle")

    def power_off(self) -> None:
        self._do("power_off")

    def power_on(self) -> None:
        self._do("power_on")

    def rejoin(self) -> None:
        self._do("rejoin")

    def change_of_tenancy(self, instruction: str) -> None:
        """bench.cot_trigger: the meter under test takes a CoT now (GBCS: executed on receipt).
        `instruction` is what an operator is told to do, word for word."""
        self._do("change_of_tenancy", instruction)

    def _do(self, name: str, instruction: str | None = None) -> None:
        capability, action, what = ACTIONS[name]
        spec = getattr(self._profile.bench, capability)
        if spec.by == "none":
            raise BenchError(f"bench.{capability} is none: cannot {what}")
        if name in RESTARTS:
            self.actions.append(Restart(self._loop.now(), name, self._trace_mark()))
        if spec.by == "simulation":
            try:
                self._loop.call_on_loop(lambda: self._han.act_on_unit(name))
            except BenchError as error:
                raise BenchError(f"bench.{capability} is simulation: {error}") from error
        elif spec.by == "command":
            self._run(capability, action, spec)
        else:
            operator = self._operator()
            if operator is None:
                raise BenchError(f"bench.{capability} is operator but no operator is attached to this run")
            guidance = f" ({spec.prompt})" if spec.prompt else ""
            operator.instruct(f"Please {instruction or what}{guidance}, then answer done.")

    def _run(self, capability: str, action: str, spec: Any) -> None:
        # The action (off, on, cycle, rejoin) is the last argument: one script serves all.
        argv = [str(a) for a in spec.command] + [action]
        timeout = spec.timeout.total_seconds()
        source = self._profile.source_path
        cwd = source.parent if source is not None else None  # like observe commands
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False, cwd=cwd)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise BenchError(f"bench.{capability} command {argv[0]!r} failed: {error}") from error
        if done.returncode != 0:
            stderr = redact_text(done.stderr[:200], self._profile.secrets())
            raise BenchError(f"bench.{capability} command {argv[0]!r} {action} exited {done.returncode}: {stderr}")
