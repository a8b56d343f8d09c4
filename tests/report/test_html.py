"""The HTML report rendered by the real Allure 3 from a real run.

Skips only when Node.js is absent. The first run installs the pinned allure package with npm
into the user cache (about 10 s); later runs reuse it. Allure 3 embeds every data file as
base64 in the single HTML file, so the test decodes them to find the case IDs.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import time
from pathlib import Path

import pytest
from report_runs import CopyRun

from harness.report.html import INSTALL_HINT, ReportToolMissing, render_report

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js not installed (Allure 3 needs it)")
EMBEDDED = re.compile(r'd\("([^"]+)","([A-Za-z0-9+/=]*)"\)')


def embedded_files(html: str) -> dict[str, bytes]:
    return {name: base64.b64decode(data) for name, data in EMBEDDED.findall(html)}


@needs_node
@pytest.mark.slow
def test_single_file_report_of_a_real_run(reference_run: Path, copy_run: CopyRun, tmp_path: Path) -> None:
    alluredir = copy_run(reference_run)
    before = {p.name: p.stat().st_mtime_ns for p in alluredir.iterdir()}
    started = time.monotonic()
    out = render_report(alluredir, tmp_path / "out" / "report.html")
    elapsed = time.monotonic() - started
    html = out.read_text(encoding="utf-8")
    files = embedded_files(html)
    results = b"\n".join(data for name, data in files.items() if name.startswith("data/test-results/"))
    assert b"DM-01" in results and b"CLR-01" in results, f"rendered in {elapsed:.1f} s"
    # Self-contained and quiet: no analytics call-home, nothing loaded from elsewhere.
    assert "googletagmanager" not in html and "gtag(" not in html
    outside_data = re.sub(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+", "", html)
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"https?://", outside_data)
    # Rendering reads the results and leaves them as they were.
    assert {p.name: p.stat().st_mtime_ns for p in alluredir.iterdir()} == before


def test_without_node_the_error_says_what_to_install(
    reference_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("COT_HARNESS_ALLURE", raising=False)
    with pytest.raises(ReportToolMissing) as error:
        render_report(reference_run, tmp_path / "report.html")
    assert INSTALL_HINT in str(error.value) and "npm install -g allure@3" in str(error.value)
    assert not (tmp_path / "report.html").exists()


def test_allure_2_on_path_is_not_mistaken_for_allure_3(
    reference_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js not installed")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "allure"  # what the Java Allure 2 prints for --version
    fake.write_text("#!/bin/sh\necho 2.30.0\n")
    fake.chmod(0o755)
    os.symlink(node, bin_dir / "node")
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("COT_HARNESS_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(ReportToolMissing, match="npm is not installed"):
        render_report(reference_run, tmp_path / "report.html")
