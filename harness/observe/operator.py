"""The operator observer: a person looks at the unit under test and answers yes or no.

Each observation of a data class is two questions, each with a key the answers file uses:

    <data_class>.previous   Does the <unit> show the previous occupier's <data class>?
    <data_class>.new        Does the <unit> show the new occupier's <data class>?

Bench steps a person carries out (power-cycling, rejoining) are instructions, answered
"done"; their key is `instructions` unless the caller names another.

Where the answers come from, in this order:
1. The profile's answers_file, when it still holds an answer for that key (scripted runs):
   first the answers written under the running case's ID, then the flat ones.
2. The terminal, when the harness has one (the controlling terminal, see terminal.py): the
   question is re-asked until the answer is y, yes, n or no (any case); an instruction
   takes Enter or `done`, and `abort` when it cannot be done.
3. Otherwise there is no answer, and that is bench trouble (ObserverError), never a guess.

The answers file (YAML) maps each key to the list of its successive answers, one per
question asked; the harness asks again each time it re-checks a condition. The order is
explicit where the answers are written:

    CLR-01:                                          # used only while CLR-01 runs,
      consumption_history.previous: [yes, no]        # in the order CLR-01 asks
      consumption_history.new: [no, yes]
    consumption_history.previous: [yes, yes, no]     # flat: any case with none left under
    consumption_history.new:      [no, no, yes]      # its own ID, in the order of the run
    instructions: [done]                             # e.g. the IHD was power-cycled

Which case is running the plugin tells the observer (`OperatorObserver.case`); outside a
case only the flat answers apply. Answers are y, yes, n or no (any case) for questions and
done for instructions, read as text (so unquoted yes/no are fine); anything else, an
unknown key, a key given twice or an entry that is not a list is an error naming the file,
the case and the entry, before any is used. Whether the case IDs exist and the data
classes are observed by operator is checked with the profile (profile/preflight.py).
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
# A case's answers are grouped under its ID; whether the ID is in the catalogue is checked
# with the profile (preflight), so that this reader stays below the catalogue.
_CASE_ID_RE = re.compile(r"[A-Z][A-Z0-9]*-[0-9][0-9A-Za-z-]*")
_SHAPE = (
    "expected a mapping of question keys to lists of answers, e.g. 'consumption_history.previous: [yes, no]', "
    "or of case IDs to such mappings, e.g. 'CLR-01: {consumption_history.previous: [yes, no]}'"
)


def question_key(data_class: DataClass, occupier: str) -> str:
    return f"{data_class}.{occupier}"


class Answers:
    """Scripted operator answers: per case (used only while that case runs) and flat (any case),
    each list consumed in order."""

    def __init__(self, path: Path, entries: Mapping[str, Sequence[str] | Mapping[str, Sequence[str]]]) -> None:
        """entries as the file writes them: a key to its answers, or a case ID to its own keys."""
        self.path = path
        # (case ID or None for the flat answers, key) -> the successive answers, in the file's order
        self._entries: dict[tuple[str | None, str], list[str]] = {}
        for name, value in entries.items():
            if isinstance(value, Mapping):
                for key, values in value.items():
                    self._entries[(name, key)] = list(values)
            else:
                self._entries[(None, name)] = list(value)
        self._used = dict.fromkeys(self._entries, 0)
        for (case_id, key), values in self._entries.items():
            self._check(case_id, key, values)

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
        if not isinstance(data, dict):
            raise ObserverError(f"operator answers file {path}: {_SHAPE}")
        for key, value in data.items():
            if isinstance(value, list):
                continue
            elif isinstance(value, dict) and _CASE_ID_RE.fullmatch(key):
                for inner, values in value.items():
                    if not isinstance(values, list):
                        raise ObserverError(
                            f"operator answers file {path}, case {key}, entry {inner}: expected a list of "
                            f"answers, e.g. '{inner}: [yes, no]'"
                        )
            elif isinstance(value, dict):
                raise ObserverError(
                    f"operator answers file {path}: {key!r} holds a mapping but is not a case ID "
                    "(such as CLR-01); only a case's answers are grouped under a key"
                )
            else:
                raise ObserverError(f"operator answers file {path}, entry {key}: {_SHAPE}")
        return cls(path, data)

    @property
    def cases(self) -> frozenset[str]:
        """The case IDs the file writes answers for."""
        return frozenset(case_id for case_id, _ in self._entries if case_id is not None)

    def keys(self) -> list[tuple[str | None, str]]:
        """(case ID or None, key) for every entry, in the file's order."""
        return list(self._entries)

    def take(self, key: str, case: str | None = None) -> tuple[str, str] | None:
        """The next answer for key in case (its own first, then the flat ones) and where it was
        written, or None when none is left."""
        for scope in (case, None) if case is not None else (None,):
            values = self._entries.get((scope, key), [])
            index = self._used.get((scope, key), 0)
            if index < len(values):
                self._used[(scope, key)] = index + 1
                return values[index], self.where(key, index, scope)
        return None

    def remaining(self) -> dict[str, int]:
        """Answers not used yet per entry ('CLR-01 consumption_history.new' for a case's own):
        left-overs mean the script and the run drifted apart."""
        return {
            (key if case_id is None else f"{case_id} {key}"): len(v) - self._used[(case_id, key)]
            for (case_id, key), v in self._entries.items()
            if len(v) > self._used[(case_id, key)]
        }

    def where(self, key: str, index: int | None = None, case: str | None = None) -> str:
        scope = "" if case is None else f", case {case},"
        return f"{self.path}{scope} entry {key}" + ("" if index is None else f"[{index}]")

    def _check(self, case_id: str | None, key: str, values: list[Any]) -> None:
        where = f"operator answers file {self.path}" + ("" if case_id is None else f", case {case_id}")
        data_class, dot, occupier = key.partition(".")
        if dot:
            if data_class not in _DATA_CLASSES or occupier not in OCCUPIERS:
                raise ObserverError(
                    f"{where}: unknown key {key!r}; question keys are "
                    f"<data class>.previous or <data class>.new with a data class among "
                    f"{', '.join(DataClass)}"
                )
            allowed, valid = "y, yes, n or no", _is_yes_no
        elif _INSTRUCTION_KEY_RE.fullmatch(key) and key not in _DATA_CLASSES:
            allowed, valid = _DONE, _is_done
        else:
            raise ObserverError(
                f"{where}: unknown key {key!r}; use "
                f"{key}.previous / {key}.new for questions, or a lower-case name such as "
                f"{INSTRUCTIONS} for instructions"
                + ("" if case_id is not None else ", or a case ID (such as CLR-01) holding such keys")
            )
        for index, value in enumerate(values):
            if not isinstance(value, str) or not valid(value):
                raise ObserverError(
                    f"operator answers file {self.where(key, index, case_id)}: expected {allowed}, got {value!r}"
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
        # The case running now (set by the plugin around each case): a case's own answers
        # in the answers file are used only while it runs, and prompts and errors name it.
        self.case: str | None = None

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
        entry = self._answers.take(key, self.case) if self._answers is not None else None
        if entry is not None:
            text, where = entry
            if not _is_done(text):  # loading checked every entry; kept so a bad one can never pass
                raise ObserverError(f"operator answers file {where}: expected done, got {text!r}")
            return self._now()
        if self._terminal is None:
            raise self._no_answer(key)
        typed, shown = self._terminal
        shown.write(f"\n[{self._label(key)}] {text}\nPress Enter (or type done) when done, or type abort: ")
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
        entry = self._answers.take(key, self.case) if self._answers is not None else None
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
            f"\n[{self._label(key)}]\n"
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

    def _label(self, key: str) -> str:
        """The key as the answers file writes it: under the case's ID while a case runs."""
        return key if self.case is None else f"{self.case} {key}"

    def _no_answer(self, key: str) -> ObserverError:
        if self._answers is None:
            where = "an answers file (the profile sets no answers_file)"
        elif self.case is None:
            where = f"{self._answers.path} (none left under {key})"
        else:
            where = f"{self._answers.path} (none left under {self.case}: {key}, nor under the flat {key})"
        during = "" if self.case is None else f" in case {self.case}"
        return ObserverError(f"operator answer needed for {key}{during} but no terminal and no answer in {where}")


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
