"""The operator's terminal: the controlling terminal of the run, when there is one.

pytest captures stdin and stdout, so operator prompts go to /dev/tty. It is opened twice,
once to read and once to write: a terminal is not seekable, and Python's text mode "r+"
needs a seekable file (it raises io.UnsupportedOperation on every real tty). In CI (no
terminal) the answers file is the only way.
"""

from __future__ import annotations

from typing import TextIO

TTY = "/dev/tty"


def operator_terminal(path: str = TTY) -> tuple[TextIO | None, TextIO | None]:
    """(what the operator types, where prompts are shown), or (None, None) without a terminal."""
    try:
        typed = open(path, encoding="utf-8")  # noqa: SIM115 (kept open for the session)
    except OSError:
        return None, None
    try:
        shown = open(path, "w", encoding="utf-8", buffering=1)  # noqa: SIM115 (line-buffered prompts)
    except OSError:
        typed.close()
        return None, None
    return typed, shown
