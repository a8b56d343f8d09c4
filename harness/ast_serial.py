"""One AST conversion at a time in this process, around a CPython 3.11 race.

CPython 3.11 keeps the recursion-depth bookkeeping of its AST conversions (source to
`ast` objects in ast.parse, `ast` objects to code in compile) in per-interpreter state, not
per thread (CPython gh-106905). Two threads converting at once trip its consistency check:
SystemError("AST constructor recursion depth mismatch"). Both happen in a harness process:
pytest rewrites a case module's asserts (ast.parse, then compile of the tree) while another
thread formats a traceback, which on 3.11 finds its carets with ast.parse (a bench loop
thread logging an exception, a warning's traceback). It failed the collection of a run's
suite once (testcases/test_07b_security.py) and a source-tree test twice.

The fix is a process-wide lock around exactly those two conversions: ast.parse, and
compile() given an AST object or asked for one (PyCF_ONLY_AST). Ordinary compile() of
source text converts no `ast` objects and is left as it is. Installed once, on import of
the harness package; later interpreters (3.12+) keep the conversion state per thread and
get nothing installed.
"""

from __future__ import annotations

import ast
import builtins
import functools
import sys
import threading
from collections.abc import Callable
from typing import Any

_LOCK = threading.RLock()  # re-entrant: ast.parse calls compile
_INSTALLED = False


def _needed() -> bool:
    return sys.implementation.name == "cpython" and sys.version_info[:2] == (3, 11)


def install() -> None:
    global _INSTALLED
    if _INSTALLED or not _needed():
        return
    _INSTALLED = True
    ast.parse = _serialised(ast.parse)  # type: ignore[assignment]
    original_compile = builtins.compile

    @functools.wraps(original_compile)
    def compile(source: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A001 - it replaces the builtin
        flags = kwargs.get("flags", args[2] if len(args) > 2 else 0)
        if isinstance(source, ast.AST) or (isinstance(flags, int) and flags & ast.PyCF_ONLY_AST):
            with _LOCK:
                return original_compile(source, *args, **kwargs)
        return original_compile(source, *args, **kwargs)

    builtins.compile = compile


def _serialised(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def serialised(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return function(*args, **kwargs)

    return serialised
