"""POLL-04's rule between starts of the unit (testcases/test_05_query.py): a start comes between
two CoT queries by its place among the frames, not by its time. Two queries, a restart asked
and the unit back can all share one bench time (a virtual clock at rest, a clock that ticks
coarsely); the order they happened in is still known."""

from __future__ import annotations

from types import SimpleNamespace

from harness.bench.controls import Restart
from testcases.test_05_query import _between_starts

AT = 1_000.0  # one bench time for everything below


def _query(seq: int) -> SimpleNamespace:
    return SimpleNamespace(at=AT, record=SimpleNamespace(seq=seq))


def test_a_start_between_two_queries_at_one_instant_separates_them() -> None:
    first, second = _query(10), _query(14)
    restart = Restart(AT, "power_cycle", position=11)  # asked after the first query's frame
    assert _between_starts([first, second], [(restart.at, restart.position)]) == []  # type: ignore[list-item]


def test_a_start_before_both_queries_at_one_instant_leaves_them_together() -> None:
    first, second = _query(10), _query(14)
    # the start-up query and then a second one, all at the instant of the restart: the second is too soon
    assert _between_starts([first, second], [(AT, 9)]) == [(first, second)]  # type: ignore[list-item]
    assert _between_starts([first, second], [(AT, 15)]) == [(first, second)]  # type: ignore[list-item]


def test_a_start_at_the_second_querys_own_position_comes_before_it() -> None:
    # a restart asked when the next frame to arrive was the second query: the query came after it
    first, second = _query(10), _query(14)
    assert _between_starts([first, second], [(AT, 14)]) == []  # type: ignore[list-item]
    # an announcement is a frame of its own, before the query that follows it
    assert _between_starts([first, second], [(AT, 12)]) == []  # type: ignore[list-item]
