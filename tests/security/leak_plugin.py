"""A pytest plugin for one test: at the session's end, before the harness's secret scan, it
writes the link key the run's CBKE derived into the run's evidence (as a careless debug log
would), so the test sees the scan find a key no profile holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import plugin


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    bench = session.config.stash.get(plugin._BENCH, None)
    alluredir = session.config.getoption("--alluredir", None)
    if bench is None or not alluredir:
        return
    keys = bench.security.derived_keys()
    if keys:
        Path(alluredir, "debug-attachment.txt").write_text(f"aps link key {keys[-1].hex(':')}\n")
