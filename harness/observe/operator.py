"""The operator observer: a person looks at the unit under test and answers yes or no.

Each observation of a data class is two questions, each with a key the answers file uses:

    <data_class>.previous   Does the <unit> show the previous occupier's <data class>?
    <data_class>.new        Does the <unit> show the new occupier's <data class>?

Bench steps a person carries out (power-cycling, rejoining) are instructions, answered
"done"; their key is `instructions` unless the caller names another.

Where the answers come from, in this order:
1. The profile's answers_file, when it still holds an answer for that key (scripted runs).
2. The terminal, when the harness has one (stdin is a tty): the question is re-asked until
   the answer is y, yes, n or no (any case); an instruction takes Enter or `done`, and
   `abort` when it cannot be done.
3. Otherwise there is no answer, and that is bench trouble (ObserverError), never a guess.

The answers file (YAML) maps each key to the list of its successive answers, consumed in
order, one per question asked; the harness asks again each time it re-checks a condition:

    consumption_history.previous: [yes, yes, no]   # seeded; still shown; cleared
    consumption_history.new:      [no, no, yes]
    instructions: [done]                             # e.g. the IHD was power-cycled

Answers are y, yes, n or no (any case) for questions and done for instructions, read as
text (so unquoted yes/no are fine); anything else, an unknown key, a key given twice or an
entry that is not a list is an error naming the file and the entry, before any is used.
A commented example: device_profiles/answers/answers.example.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import yaml

from harness.domain import DATA_CLASSES, DataClass, Item
from harness.errors import ObserverError
from harness.esi.tenant import Tenant
from harness.observe.base import Observation, ObserverKind
from harness.yamlload import TextLoader

Terminal = tuple[TextIO, TextIO]  # (what the operator types into, where questions are shown)

INSTRUCTIONS = "instructions"
OCCUPIERS = ("previous", "new")
_DATA_CLASSES = frozenset(str(d) for d in DataClass)
_YES_NO = {"y": True, "yes": True, "n": False, "no": False}
_DONE = "done"
_ABORT = "abort"
_INSTRUCTION_KEY_RE = re.compile(r"[a-z][a-z0-9_]*")
SHOWN_PER_FUEL = 3  # items quoted per fuel in a question; the rest are counted


def question_key(data_class: DataClass, occupier: str) -> str:
    return f"{data_class}.{occupier}"


class Answers:
    """Scripted operator answers, consumed in order per key."""

    def __init__(self, path: Path, entries: Mapping[str, Sequence[str]]) -> None:
        self.path = path
        self._entries = {key: list(values) for key, values in entries.items()}
        self._used = dict.fromkeys(self._entries, 0)
        for key, values in self._entries.items():
            self._check(key, values)

    @classmethod
    def load(cls, path: Path) -> Answers:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ObserverError(f"operator answers file {path}: cannot read it ({exc})") from None
        try:
            data = yaml.load(text, Loader=TextLoader)  # a BaseLoader: every scalar stays text
        except yaml.YAMLError as exc:
            raise ObserverError(f"operator answers file {path}: not valid YAML ({exc})") from None
        if data is None:
            data = {}
        if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
            raise ObserverError(
                f"operator answers file {path}: expected a mapping of question keys to lists of "
                "answers, e.g. 'consumption_history.previous: [yes, no]'"
            )
        return cls(path, data)

    def take(self, key: str) -> tuple[str, str] | None:
        """The next answer for key and where it was written, or None when none is left."""
        values = self._entries.get(key, [])
        index = self._used.get(key, 0)
        if index >= len(values):
            return None
        self._used[key] = index + 1
        return values[index], self.where(key, index)

    def remaining(self) -> dict[str, int]:
        """Answers not used yet per key: left-overs mean the script and the run drifted apart."""
        return {key: len(v) - self._used[key] for key, v in self._entries.items() if len(v) > self._used[key]}

    def where(self, key: str, index: int | None = None) -> str:
        return f"{self.path} entry {key}" + ("" if index is None else f"[{index}]")

    def _check(self, key: str, values: list[Any]) -> None:
        data_class, dot, occupier = key.partition(".")
        if dot:
            if data_class not in _DATA_CLASSES or occupier not in OCCUPIERS:
                raise ObserverError(
                    f"operator answers file {self.path}: unknown key {key!r}; question keys are "
                    f"<data class>.previous or <data class>.new with a data class among "
                    f"{', '.join(DataClass)}"
                )
            allowed, valid = "y, yes, n or no", _is_yes_no
        elif _INSTRUCTION_KEY_RE.fullmatch(key) and key not in _DATA_CLASSES:
            allowed, valid = _DONE, _is_done
        else:
            raise ObserverError(
                f"operator answers file {self.path}: unknown key {key!r}; use "
                f"{key}.previous / {key}.new for questions, or a lower-case name such as "
                f"{INSTRUCTIONS} for instructions"
            )
        for index, value in enumerate(values):
            if not isinstance(value, str) or not valid(value):
                raise ObserverError(
                    f"operator answers file {self.where(key, index)}: expected {allowed}, got {value!r}"
                )


class OperatorObserver:
    name = "operator"
    kind = ObserverKind.ASKED_ONCE  # a person is asked once, when the time is up

    def __init__(
        self,
        prompt_for: Mapping[DataClass, str | None],
        answers: Answers | None,
        terminal: Terminal | None,
        now: Callable[[], float],
        *,
        display: str = "unit under test",
    ) -> None:
        self._prompt_for = dict(prompt_for)  # the profile's extra guidance per data class
        self._answers = answers
        self._terminal = terminal
        self._now = now
        self._display = display

    def observe(self, data_class: DataClass, previous: Tenant, new: Tenant) -> Observation:
        if data_class not in self._prompt_for:
            raise ObserverError(f"observe.{data_class} is not by operator in the profile")
        asked = self._now()
        answers = {
            occupier: self._ask(data_class, occupier, tenant)
            for occupier, tenant in (("previous", previous), ("new", new))
        }
        at = self._now()
        said = ", ".join(
            f"{occupier} occupier's {_words(data_class)} shown: {'yes' if shown else 'no'} ({source})"
            for occupier, (shown, source) in answers.items()
        )
        detail = f"operator, asked {asked:.3f}..{at:.3f} s bench time: {said}"
        return Observation(data_class, at, answers["previous"][0], answers["new"][0], detail)

    def instruct(self, text: str, *, key: str = INSTRUCTIONS) -> float:
        """Have a person carry out a bench step; returns the bench time it was reported done."""
        if not _INSTRUCTION_KEY_RE.fullmatch(key) or key in _DATA_CLASSES:
            # A question's yes would otherwise count as a step carried out.
            raise ValueError(f"{key!r} is not an instruction key")
        entry = self._answers.take(key) if self._answers is not None else None
        if entry is not None:
            text, where = entry
            if not _is_done(text):  # loading checked every entry; kept so a bad one can never pass
                raise ObserverError(f"operator answers file {where}: expected done, got {text!r}")
            return self._now()
        if self._terminal is None:
            raise self._no_answer(key)
        typed, shown = self._terminal
        shown.write(f"\n[{key}] {text}\nPress Enter (or type done) when done, or type abort: ")
        shown.flush()
        while True:
            reply = _read_line(typed, key).strip().lower()
            if reply in ("", _DONE):
                return self._now()
            if reply == _ABORT:
                raise ObserverError(f"the operator could not carry out the bench step: {text}")
            shown.write("Press Enter (or type done) when done, or type abort: ")
            shown.flush()

    def _ask(self, data_class: DataClass, occupier: str, tenant: Tenant) -> tuple[bool, str]:
        key = question_key(data_class, occupier)
        entry = self._answers.take(key) if self._answers is not None else None
        if entry is not None:
            text, where = entry
            shown = _yes_no(text)
            if shown is None:  # loading checked every entry; kept so a bad one can never pass
                raise ObserverError(f"operator answers file {where}: expected y, yes, n or no, got {text!r}")
            return shown, where
        if self._terminal is None:
            raise self._no_answer(key)
        typed, out = self._terminal
        guidance = self._prompt_for.get(data_class)
        out.write(
            f"\n[{key}]\n"
            + (f"{guidance}\n" if guidance else "")
            + f"Does the {self._display} show the {occupier} occupier's {_words(data_class)}? "
            f"It {'looked' if occupier == 'previous' else 'looks'} like: "
            f"{looks_like(data_class, tenant.items(data_class))}\nAnswer yes or no: "
        )
        out.flush()
        while True:
            line = _read_line(typed, key)
            shown = _yes_no(line)
            if shown is not None:
                return shown, "terminal"
            out.write(f"Please answer y, yes, n or no (got {line.strip()!r}): ")
            out.flush()

    def _no_answer(self, key: str) -> ObserverError:
        if self._answers is None:
            where = "an answers file (the profile sets no answers_file)"
        else:
            where = f"{self._answers.path} (none left under {key})"
        return ObserverError(f"operator answer needed for {key} but no terminal and no answer in {where}")


def looks_like(data_class: DataClass, items: frozenset[Item]) -> str:
    """A short rendering of an occupier's data a person can match against a screen."""
    if not items:
        return f"no {_words(data_class)} (the harness served none to this occupier)"
    parts = []
    for fuel in sorted({fuel for fuel, _, _ in items}):
        mine = sorted(item for item in items if item[0] == fuel)
        shown = ", ".join(DATA_CLASSES[data_class].item_words(item) for item in mine[:SHOWN_PER_FUEL])
        more = len(mine) - SHOWN_PER_FUEL
        parts.append(f"{fuel} {shown}" + (f" (and {more} more)" if more > 0 else ""))
    return "; ".join(parts)


def _words(data_class: DataClass) -> str:
    return DATA_CLASSES[data_class].words


def _yes_no(text: str) -> bool | None:
    return _YES_NO.get(text.strip().lower())


def _is_yes_no(text: str) -> bool:
    return _yes_no(text) is not None


def _is_done(text: str) -> bool:
    return text.strip().lower() == _DONE


def _read_line(typed: TextIO, key: str) -> str:
    try:
        line = typed.readline()
    except (OSError, ValueError) as exc:  # e.g. stdin taken over by pytest's capture, or closed
        raise ObserverError(f"cannot read the operator's answer to {key} from the terminal ({exc})") from None
    if not line:
        raise ObserverError(f"the terminal closed while waiting for the operator's answer to {key}")
    return line
