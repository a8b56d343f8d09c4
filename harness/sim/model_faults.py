"""Exceptions the simulated world's own code raised: a device model's frame handler or
timer, the air's delivery. That is a bug in a model (ours, or one a lab wrote for its own
firmware: docs/device-models.md), never the simulated unit's conduct, so it must neither pass
nor fail a case silently. Left to the event loop, such an exception was logged and lost (a
variant whose hook crashed simply "escaped"); raised inside a jump of the virtual clock it
reached whatever case was waiting, where a model's AssertionError would have read as the
device's failure. Here each is kept, and the bench's next wait ends broken with it
(harness.sim.facade.SimulationFacade.check_world, harness.bench.loop.BenchLoop.until)."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

LOGGER = logging.getLogger(__name__)


class ModelFaults:
    """What the simulated world raised and no case has been told yet."""

    def __init__(self) -> None:
        self._raised: list[str] = []

    def guard(self, what: str, fn: Callable[..., Any], *args: Any) -> None:
        """fn(*args); an Exception it raises is kept (with where it was raised), not propagated."""
        try:
            fn(*args)
        except Exception as error:  # noqa: BLE001 - every model bug is kept and reported by the bench
            frame = traceback.extract_tb(error.__traceback__)[-1]
            self._raised.append(
                f"{what}: {type(error).__name__}: {error} (raised at {frame.filename}:{frame.lineno}, in {frame.name})"
            )
            LOGGER.exception("simulated world: %s raised", what)

    def take(self) -> list[str]:
        """What was raised since the last take (each is reported once)."""
        raised, self._raised = self._raised, []
        return raised
