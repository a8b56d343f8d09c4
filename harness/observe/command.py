"""The command observer: a lab's own program says what the unit under test shows.

The program is run once per observation, without a shell, with the question as JSON on its
stdin and the data class also in the environment variable COT_DATA_CLASS:

    {"data_class": "consumption_history",
     "previous": {"name": "previous occupier", "items": [["electricity", 1027, 70222], ...]},
     "new": {"name": "new occupier", "items": [["electricity", 1025, 1234], ...]}}

It prints exactly one JSON object on stdout, in one of two forms:

    {"items": [["electricity", 1027, 70222], ...], "detail": "optional note"}
        what it read, item by item (fuel, key, value); the harness attributes the items
        to the occupiers itself (base.judge).
    {"shows_previous": true, "shows_new": false, "detail": "optional note"}
        its own yes/no verdicts, when it cannot read exact items.

Anything else (a non-zero exit, running past the timeout, output that is not JSON or not
one of these forms) is bench trouble, never an answer: the observation was not made.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError

from harness.domain import DataClass, Fuel, Item
from harness.errors import ObserverError
from harness.esi.tenant import Tenant
from harness.observe.base import Observation, ObserverKind, judge
from harness.report.redact import redact_text

EXCERPT_CHARS = 200  # of stderr / of a validation error, in messages


class CommandLike(Protocol):
    """What the observer needs of a profile's CommandHook."""

    @property
    def command(self) -> Sequence[str]: ...

    @property
    def timeout(self) -> timedelta: ...


class _Reply(BaseModel):
    # Strict types: "1" for 1 or 1 for true would be a guess at what the program meant.
    model_config = ConfigDict(extra="forbid", frozen=True)

    detail: StrictStr | None = None


ReplyItem = tuple[Fuel, Annotated[StrictInt, Field(ge=0)], StrictInt]


class ItemsReply(_Reply):
    """Exact items read from the unit: the harness judges them."""

    items: list[ReplyItem]


class FlagsReply(_Reply):
    """The program's own yes/no verdicts."""

    shows_previous: StrictBool
    shows_new: StrictBool


def question(data_class: DataClass, previous: Tenant, new: Tenant) -> dict[str, Any]:
    """The JSON sent on the program's stdin."""

    def tenant(t: Tenant) -> dict[str, Any]:
        return {"name": t.name, "items": [list(item) for item in sorted(t.items(data_class))]}

    return {"data_class": str(data_class), "previous": tenant(previous), "new": tenant(new)}


class CommandObserver:
    name = "command"
    kind = ObserverKind.POLLED  # cheap to ask: the bench re-checks it while it waits

    def __init__(
        self,
        hook: CommandLike,
        now: Callable[[], float],
        *,
        cwd: Path | None = None,
        secrets: Sequence[str] = (),
    ) -> None:
        self._argv = list(hook.command)
        self._timeout = hook.timeout
        self._now = now
        self._cwd = cwd  # the profile's folder: relative paths in argv mean what the lab wrote
        self._secrets = tuple(secrets)

    @property
    def program(self) -> str:
        return self._argv[0]

    def observe(self, data_class: DataClass, previous: Tenant, new: Tenant) -> Observation:
        started = self._now()
        stdout, stderr = self._run(data_class, json.dumps(question(data_class, previous, new)))
        at = self._now()
        reply = self._parse(stdout, stderr)
        ran = f"command {self.program} (ran {started:.3f}..{at:.3f} s bench time)"
        note = f"; it said: {redact_text(reply.detail, self._secrets)}" if reply.detail else ""
        if isinstance(reply, ItemsReply):
            items: frozenset[Item] = frozenset((str(fuel), key, value) for fuel, key, value in reply.items)
            seen = judge(data_class, at, items, previous, new, ran)
            return dataclasses.replace(seen, detail=seen.detail + note)
        detail = (
            f"{ran}: {previous.name}'s {data_class} shown: {_yes_no(reply.shows_previous)}, "
            f"{new.name}'s: {_yes_no(reply.shows_new)}{note}"
        )
        return Observation(data_class, at, reply.shows_previous, reply.shows_new, detail)

    def _run(self, data_class: DataClass, stdin: str) -> tuple[str, bytes]:
        env = {**os.environ, "COT_DATA_CLASS": str(data_class)}
        timeout = self._timeout.total_seconds()
        try:
            # A session of its own, so a timeout kills whatever the program started too.
            proc = subprocess.Popen(
                self._argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=self._cwd,
                env=env,
                start_new_session=True,
            )
        except (OSError, ValueError) as exc:
            where = f" (in {self._cwd})" if self._cwd else ""
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise ObserverError(f"cannot run the observe command {self.program}{where}: {why}") from None
        try:
            out, err = proc.communicate(stdin.encode(), timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            _kill_group(proc)
            raise ObserverError(
                f"the observe command {self.program} did not finish within its timeout "
                f"({timeout:g} s) and was killed{self._stderr(exc.stderr)}"
            ) from None
        if proc.returncode != 0:
            how = (
                f"was killed by signal {-proc.returncode}"
                if proc.returncode < 0
                else f"exited with code {proc.returncode}"
            )
            raise ObserverError(f"the observe command {self.program} {how}{self._stderr(err)}")
        try:
            return out.decode("utf-8"), err
        except UnicodeDecodeError:
            raise ObserverError(
                f"the observe command {self.program} printed something that is not UTF-8 text "
                f"on stdout, expected JSON{self._stderr(err)}"
            ) from None

    def _parse(self, stdout: str, stderr: bytes) -> ItemsReply | FlagsReply:
        try:
            data = json.loads(stdout)
        except ValueError as exc:
            raise ObserverError(
                f"the observe command {self.program} did not print JSON on stdout ({exc}); "
                'expected {"items": [[fuel, key, value], ...]} or {"shows_previous": ..., "shows_new": ...}'
                f"{self._stderr(stderr)}"
            ) from None
        if not isinstance(data, dict):
            raise ObserverError(
                f"the observe command {self.program} printed a JSON {type(data).__name__}, "
                "expected an object with items, or with shows_previous and shows_new"
            )
        # Chosen by key rather than as a pydantic union, so the error names one form's fields.
        model: type[ItemsReply | FlagsReply] = ItemsReply if "items" in data else FlagsReply
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors())
            form = "items" if model is ItemsReply else "shows_previous/shows_new"
            raise ObserverError(
                f"the observe command {self.program} printed JSON not in the {form} form: {problems[:EXCERPT_CHARS]}"
            ) from None

    def _stderr(self, err: bytes | str | None) -> str:
        if not err:
            return ""
        text = err.decode("utf-8", "replace") if isinstance(err, bytes) else err
        text = redact_text(" ".join(text.split()), self._secrets)
        return f"; stderr: {text[:EXCERPT_CHARS]}" if text else ""


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # it ended between the timeout and the kill
    # wait(), not communicate(): a descendant that left the group could hold the pipes open.
    proc.wait()
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"
