"""A reference IHD whose screen a test can look at, as an operator looks at a real one.

The harness cannot show a test what a simulated unit displays when the profile observes it
`by: operator` (that is the point of an operator). This model writes its display, as a
person would read it (each item in the words the operator's question uses), to the JSON
file named by $COT_TEST_SCREEN on every change, so a test playing the operator answers from
the screen and not from knowing what a correct IHD does. Test-only.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from harness.domain import DATA_CLASSES, DataClass, Item
from harness.sim.devices.ihd import ReferenceIHD

SCREEN_FILE = "COT_TEST_SCREEN"


def screen_words(data_class: DataClass, item: Item) -> list[str]:
    """[fuel, words]: how the operator's question quotes an item (harness.observe.operator.looks_like)."""
    return [str(item[0]), DATA_CLASSES[data_class].item_words(item)]


class ScreenIHD(ReferenceIHD):
    def __init__(self, world) -> None:  # noqa: ANN001
        super().__init__(world)
        target = os.environ.get(SCREEN_FILE)
        self._screen = Path(target) if target else None
        self.display.watch(lambda _dc, _added, _removed: self._publish())
        self._publish()

    def _publish(self) -> None:
        if self._screen is None:
            return
        shown = {
            str(dc): sorted(screen_words(dc, item) for item in (self.display.items(dc) or ()))
            for dc in self.display.classes
        }
        partial = self._screen.with_suffix(".partial")
        partial.write_text(json.dumps(shown), encoding="utf-8")
        partial.replace(self._screen)  # the test never reads half a screen
