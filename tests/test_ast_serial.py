"""harness/ast_serial.py: AST conversions take turns in a harness process (CPython 3.11)."""

from __future__ import annotations

import ast
import builtins
import sys
import threading

import pytest

import harness  # noqa: F401 - importing the package installs the guard
from harness import ast_serial

pytestmark = pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="only CPython 3.11 shares the AST state")


def _finishes_while_held(convert: object, patience: float) -> bool:
    """Whether the conversion finishes within `patience` seconds while another thread holds
    the guard's lock (it is then released, and the conversion must finish)."""
    held, release, done = threading.Event(), threading.Event(), threading.Event()

    def holder() -> None:
        with ast_serial._LOCK:
            held.set()
            release.wait(10)

    def converter() -> None:
        convert()  # type: ignore[operator]
        done.set()

    threading.Thread(target=holder).start()
    held.wait(10)
    worker = threading.Thread(target=converter)
    worker.start()
    finished = done.wait(patience)
    release.set()
    worker.join(10)
    assert done.is_set(), "the conversion never finished once the lock was free"
    return finished


def test_ast_parse_waits_for_another_threads_conversion() -> None:
    assert not _finishes_while_held(lambda: ast.parse("x = 1"), patience=0.3)


def test_compiling_a_tree_waits_too() -> None:
    tree = ast.parse("x = 1")
    assert not _finishes_while_held(lambda: compile(tree, "<tree>", "exec"), patience=0.3)


def test_compiling_source_text_does_not_take_the_lock() -> None:
    # Source text to code converts no ast objects: imports must not queue behind a parse.
    assert _finishes_while_held(lambda: compile("x = 1", "<text>", "exec"), patience=30)


def test_installed_once_and_still_the_builtins_behaviour() -> None:
    ast_serial.install()
    assert builtins.compile("1 + 1", "<x>", "eval") is not None
    assert eval(compile(ast.parse("2 * 3", mode="eval"), "<x>", "eval")) == 6
    assert isinstance(compile("y = 2", "<x>", "exec", ast.PyCF_ONLY_AST), ast.Module)
