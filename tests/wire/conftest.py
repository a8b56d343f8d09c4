"""The three reference runs the wire tests read: the session's shared reference runs
(tests/conftest.py `reference_outcomes`, the selftest's own runs), not runs of their own."""

from __future__ import annotations

import pytest
from wire_runs import REFERENCE_PROFILES, ReferenceRun

from harness.selftest import Outcome


@pytest.fixture(scope="session")
def reference_runs(reference_outcomes: list[Outcome]) -> dict[str, ReferenceRun]:
    by_profile = {outcome.entry.profile: outcome for outcome in reference_outcomes}
    runs = {}
    for profile in REFERENCE_PROFILES:
        outcome = by_profile[profile]
        bad = {case: verdict for case, verdict in outcome.verdicts.items() if verdict in ("failed", "broken")}
        if outcome.results is None or outcome.problems or bad:
            pytest.fail(f"the reference run of {profile} did not pass: {outcome.problems or bad}\n{outcome.output}")
        runs[profile] = ReferenceRun(profile, outcome.results.parent, 0, outcome.output)
    return runs
