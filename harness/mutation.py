"""`cot-harness selftest --mutants`: the mutation score of the suite.

Every mutant of harness.sim.mutants runs the whole suite in its own process, a fork of
the selftest's template (as a fault variant does: harness.selftest.run_entries), and is scored by the verdicts it got:
- caught: a case whose requirement the mutant breaks failed;
- caught elsewhere: another case failed (the fault is caught, by a case that did not
  expect it: worth a look, never a pass);
- inconclusive: nothing failed but something was broken (a precondition never came
  true): the bench noticed, no verdict blamed the device;
- survived: every case passed or did not apply. A survivor is a check to tighten, unless
  its mutation says why it is equivalent (no case can observe it).
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from harness.scratch import make_work_folder
from harness.selftest import Entry, end_work_folder, run_entries
from harness.sim.mutants import MUTANTS, Mutation

CAUGHT, ELSEWHERE, INCONCLUSIVE, SURVIVED = "caught", "caught elsewhere", "inconclusive", "survived"


@dataclasses.dataclass(frozen=True)
class Scored:
    mutation: Mutation
    verdicts: dict[str, str]
    score: str
    seconds: float

    @property
    def failed(self) -> list[str]:
        return sorted(c for c, v in self.verdicts.items() if v == "failed")


def score(mutation: Mutation, verdicts: dict[str, str]) -> str:
    failed = {c for c, v in verdicts.items() if v == "failed"}
    if failed & set(mutation.breaks):
        return CAUGHT
    if failed:
        return ELSEWHERE
    if "broken" in verdicts.values():
        return INCONCLUSIVE
    return SURVIVED


def run(only: list[str] | None, jobs: int, progress=print, workdir: Path | None = None) -> list[Scored]:  # noqa: ANN001
    chosen = [
        (name, mutation)
        for name, (mutation, _cls) in MUTANTS.items()
        if not only or any(word.lower() in name.lower() for word in only)
    ]
    root = workdir or make_work_folder("cot-mutants-")
    by_name = dict(chosen)
    runs = [Entry(name, m.profile, f"harness.sim.mutants:{name}", None) for name, m in chosen]
    scored: list[Scored] = []
    for outcome in run_entries(runs, root, [], jobs):
        name = outcome.entry.name
        mutation = by_name[name]
        result = Scored(mutation, outcome.verdicts, score(mutation, outcome.verdicts), outcome.seconds)
        scored.append(result)
        progress(f"  {result.score:16} {name} ({outcome.seconds:.1f} s)")
    order = {name: i for i, (name, _m) in enumerate(chosen)}
    return sorted(scored, key=lambda s: order[s.mutation.name])


def format_score(scored: list[Scored]) -> str:
    lines = [f"{'mutant':58} {'breaks':22} {'score':16} failed", "-" * 120]
    for s in scored:
        note = f"  (equivalent: {s.mutation.equivalent})" if s.mutation.equivalent else ""
        lines.append(
            f"{s.mutation.name:58} {' '.join(s.mutation.breaks)[:22]:22} {s.score:16} {' '.join(s.failed)}{note}"
        )
    counts = {k: sum(1 for s in scored if s.score == k) for k in (CAUGHT, ELSEWHERE, INCONCLUSIVE, SURVIVED)}
    equivalent = sum(1 for s in scored if s.score == SURVIVED and s.mutation.equivalent)
    killed = counts[CAUGHT] + counts[ELSEWHERE]
    considered = len(scored) - equivalent
    lines += [
        "-" * 120,
        f"mutants: {len(scored)}; caught {counts[CAUGHT]}, caught elsewhere {counts[ELSEWHERE]}, "
        f"inconclusive {counts[INCONCLUSIVE]}, survived {counts[SURVIVED]} ({equivalent} declared equivalent)",
        f"mutation score: {killed}/{considered} = {100 * killed / considered if considered else 100:.0f} % "
        "(caught anywhere, of the mutants not declared equivalent)",
    ]
    return "\n".join(lines)


def main(only: list[str] | None, jobs: int, keep: bool = False) -> int:
    started = time.monotonic()
    print(f"cot-harness selftest --mutants: {len(MUTANTS)} mutants, {jobs} at a time", flush=True)
    root = make_work_folder("cot-mutants-")
    try:
        scored = run(only, jobs, progress=lambda line: print(line, flush=True), workdir=root)
    except BaseException:  # an interrupt: what the runs wrote so far is kept, and named
        end_work_folder(root, keep=True)
        raise
    print(format_score(scored))
    print(f"mutation time {time.monotonic() - started:.1f} s")
    survivors = [s for s in scored if s.score == SURVIVED and not s.mutation.equivalent]
    end_work_folder(root, keep or bool(survivors))
    return 1 if survivors else 0
