"""Parsing the project's own sources in the harness's tests, around a CPython 3.11 race.

Python 3.11's ast keeps its recursion-depth bookkeeping per interpreter, not per thread
(CPython gh-106905): while another thread builds an AST (a traceback's carets are found with
ast.parse, e.g. a warning with its traceback logged on a bench loop still running in the
worker), ast.parse here may raise SystemError("AST constructor recursion depth mismatch").
The source is the same either way, so the parse is simply made again.
"""

from __future__ import annotations

import ast
from pathlib import Path

_ATTEMPTS = 5


def parse(path: Path) -> ast.Module:
    source = path.read_text(encoding="utf-8")
    for attempt in range(_ATTEMPTS):
        try:
            return ast.parse(source, filename=str(path))
        except SystemError as error:
            if "recursion depth mismatch" not in str(error) or attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")
