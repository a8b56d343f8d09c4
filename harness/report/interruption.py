"""How a run ended early, in the words the run-level evidence uses.

An interrupted run (Ctrl-C, SIGTERM from a CI runner or a supervisor) is still evidence: the
cases that finished keep their verdicts, the case that was running is broken ("interrupted",
never passed) and the cases it never reached are "not run". This record says which; the
plugin builds it and the traceability matrix, environment.properties and `cot-harness diff`
print it, so an assessor sees a gap rather than infers one.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ENVIRONMENT_KEY", "NOT_REACHED", "Interruption"]

ENVIRONMENT_KEY = "run.interrupted"  # in environment.properties only when the run was interrupted
NOT_REACHED = "not run: the run was interrupted before this case"


@dataclass(frozen=True)
class Interruption:
    signal: str  # "SIGINT", "SIGTERM", or "KeyboardInterrupt" when no handler of ours saw a signal
    case_id: str | None  # the case that was running; None when it came between cases
    not_reached: tuple[str, ...] = ()  # selected cases that never started, in run order

    def cause(self) -> str:
        """What stopped the run and where: "by SIGTERM during NEG-02"."""
        return f"by {self.signal} " + (f"during {self.case_id}" if self.case_id else "between cases")

    def summary(self) -> str:
        """One line: what stopped the run, where, and what it cost."""
        lost = f"; {len(self.not_reached)} case(s) not run" if self.not_reached else ""
        return f"interrupted {self.cause()}{lost}"
