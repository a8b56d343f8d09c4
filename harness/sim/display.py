"""What a simulated device stores and shows, per data class, with a change log.

The log is what lets a simulated run prove "nothing was cleared": a device that clears
and immediately re-fetches shows the same items a moment later, but the removal is
recorded here. Changes are notified synchronously to watchers (the simulation observer).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from harness.domain import DataClass, Item

Watcher = Callable[[DataClass, frozenset[Item], frozenset[Item]], None]  # (class, added, removed)


class Display:
    """Items per stored data class; persisted by the device (survives a power cycle)."""

    def __init__(self, classes: Iterable[DataClass]) -> None:
        self._items: dict[DataClass, set[Item]] = {dc: set() for dc in classes}
        self._watchers: list[Watcher] = []

    @property
    def classes(self) -> frozenset[DataClass]:
        return frozenset(self._items)

    def stores(self, data_class: DataClass) -> bool:
        return data_class in self._items

    def items(self, data_class: DataClass) -> frozenset[Item] | None:
        return frozenset(self._items[data_class]) if data_class in self._items else None

    def add(self, data_class: DataClass, items: Iterable[Item]) -> None:
        if data_class in self._items:
            self._change(data_class, set(items) - self._items[data_class], set())

    def remove(self, data_class: DataClass, which: Callable[[Item], bool]) -> None:
        if data_class in self._items:
            self._change(data_class, set(), {i for i in self._items[data_class] if which(i)})

    def replace(self, data_class: DataClass, which: Callable[[Item], bool], items: Iterable[Item]) -> None:
        """Remove the items `which` selects that are not among `items`, then add `items`."""
        if data_class not in self._items:
            return
        new = set(items)
        gone = {i for i in self._items[data_class] if which(i) and i not in new}
        self._change(data_class, new - self._items[data_class], gone)

    def clear(self, data_class: DataClass, fuel: str | None = None) -> None:
        self.remove(data_class, lambda item: fuel is None or item[0] == fuel)

    def watch(self, watcher: Watcher) -> Callable[[], None]:
        self._watchers.append(watcher)
        return lambda: self._watchers.remove(watcher)

    def _change(self, data_class: DataClass, added: set[Item], removed: set[Item]) -> None:
        if not added and not removed:
            return
        self._items[data_class] -= removed
        self._items[data_class] |= added
        for watcher in list(self._watchers):
            watcher(data_class, frozenset(added), frozenset(removed))
