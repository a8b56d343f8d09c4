"""The bench clock: real time on hardware; the simulated world's virtual clock in simulation."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float: ...


class RealClock:
    def now(self) -> float:
        return time.time()
