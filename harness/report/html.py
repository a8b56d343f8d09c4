"""The HTML report: Allure 3 ("Awesome" report) as one self-contained HTML file.

Allure 3 is the npm package `allure` (Node.js). It is found, in this order: $COT_HARNESS_ALLURE
(an `allure` executable), an Allure 3 `allure` on PATH (an Allure 2 there is the Java tool:
skipped), our cache, or installed into our cache with npm, pinned to ALLURE_VERSION so that
every lab renders evidence with the same code. Generation itself needs no network.

One change is made to Allure's output: its page embeds a Google Analytics tag (hard-coded in
@allurereport/plugin-awesome 3.18). Evidence handed to assessors must not call a third party
when opened, so the tag is removed, and a report where it cannot be removed is refused.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "ALLURE_VERSION",
    "INSTALL_HINT",
    "ReportError",
    "ReportToolMissing",
    "allure_command",
    "render_report",
]

ALLURE_VERSION = "3.18.0"
MIN_NODE_MAJOR = 20
INSTALL_HINT = (
    f"install Node.js {MIN_NODE_MAJOR} or later (https://nodejs.org) and run: npm install -g allure@{ALLURE_VERSION}"
)
NPM_TIMEOUT_S = 600
ALLURE_TIMEOUT_S = 600
DEFAULT_REPORT_NAME = "cot-harness conformance report"

_ANALYTICS = re.compile(
    r"\s*<script async src=\"https://www\.googletagmanager\.com/gtag/js\?id=[^\"]*\"></script>"
    r"\s*<script>\s*window\.dataLayer.*?</script>",
    re.DOTALL,
)
_ANALYTICS_MARKERS = ("googletagmanager", "gtag(")

Notify = Callable[[str], None]


class ReportToolMissing(RuntimeError):
    """Node.js, npm or Allure 3 is not available; the message says what to install."""


class ReportError(RuntimeError):
    """Allure ran and did not produce a usable report."""


def _cache_dir() -> Path:
    if os.environ.get("COT_HARNESS_CACHE"):
        return Path(os.environ["COT_HARNESS_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cot-harness"


def _run(cmd: list[str], timeout: float, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    # Output captured: npm's and Allure's chatter must not end up in pytest's or the CLI's stdout.
    env = {**os.environ, "NO_COLOR": "1", "npm_config_update_notifier": "false"}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env)


def _tail(done: subprocess.CompletedProcess[str], lines: int = 12) -> str:
    text = (done.stderr or "") + (done.stdout or "")
    kept = [line for line in text.splitlines() if line.strip() and "Unknown user config" not in line]
    return "\n".join(kept[-lines:])


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise ReportToolMissing(f"Node.js is not installed: {INSTALL_HINT}")
    version = _run([node, "--version"], 30).stdout.strip()  # "v20.20.2"
    major = re.match(r"v(\d+)", version)
    if major is None or int(major.group(1)) < MIN_NODE_MAJOR:
        raise ReportToolMissing(f"Node.js {version or '?'} is too old for Allure 3: {INSTALL_HINT}")
    return node


def _allure_on_path() -> str | None:
    allure = shutil.which("allure")
    if allure is None:
        return None
    try:
        version = _run([allure, "--version"], 60).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None
    return allure if version.startswith("3.") else None  # Allure 2 has another command line


def _install(notify: Notify | None) -> Path:
    """The pinned Allure in our cache, installed with npm when missing; returns its cli.js."""
    final = _cache_dir() / f"allure-{ALLURE_VERSION}"
    cli = final / "node_modules" / "allure" / "cli.js"
    if cli.is_file():
        return cli
    npm = shutil.which("npm")
    if npm is None:
        raise ReportToolMissing(f"npm is not installed (it comes with Node.js): {INSTALL_HINT}")
    final.parent.mkdir(parents=True, exist_ok=True)
    if notify is not None:
        notify(f"installing allure@{ALLURE_VERSION} into {final} with npm (once)")
    # Install beside the final place and rename: a concurrent run or an interrupted install
    # never leaves a half-filled cache that looks complete.
    staging = Path(tempfile.mkdtemp(prefix=f".allure-{ALLURE_VERSION}-", dir=final.parent))
    try:
        done = _run(
            [npm, "install", "--prefix", str(staging), f"allure@{ALLURE_VERSION}"]
            + ["--no-audit", "--no-fund", "--no-save", "--loglevel=error"],
            NPM_TIMEOUT_S,
        )
        if done.returncode != 0 or not (staging / "node_modules" / "allure" / "cli.js").is_file():
            raise ReportToolMissing(
                f"npm could not install allure@{ALLURE_VERSION} into {final} "
                f"(offline? run it by hand: npm install -g allure@{ALLURE_VERSION}):\n{_tail(done)}"
            )
        try:
            staging.rename(final)
        except OSError:
            if not cli.is_file():  # not a lost race: a real failure
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return cli


def allure_command(*, install: bool = True, notify: Notify | None = None) -> list[str]:
    """The command that runs Allure 3 here; raises ReportToolMissing saying what to install."""
    override = os.environ.get("COT_HARNESS_ALLURE")
    if override:
        return [override]
    node = _node()
    on_path = _allure_on_path()
    if on_path:
        return [on_path]
    cached = _cache_dir() / f"allure-{ALLURE_VERSION}" / "node_modules" / "allure" / "cli.js"
    if cached.is_file():
        return [node, str(cached)]
    if not install:
        raise ReportToolMissing(f"Allure 3 is not installed: {INSTALL_HINT}")
    return [node, str(_install(notify))]


def _report_name(alluredir: Path) -> str:
    try:
        name = json.loads((alluredir / "executor.json").read_text(encoding="utf-8")).get("reportName")
    except (OSError, ValueError, AttributeError):
        name = None
    return str(name) if name else DEFAULT_REPORT_NAME


def without_analytics(html: str) -> str:
    stripped = _ANALYTICS.sub("", html, count=1)
    if any(marker in stripped for marker in _ANALYTICS_MARKERS):
        raise ReportError(
            "the Allure report embeds an analytics tag that cot-harness could not remove; "
            f"render with allure@{ALLURE_VERSION} (set COT_HARNESS_ALLURE or put it on PATH)"
        )
    return stripped


def render_report(
    alluredir: Path,
    out: Path,
    *,
    report_name: str | None = None,
    install: bool = True,
    notify: Notify | None = None,
) -> Path:
    """Render alluredir as one self-contained HTML file at out; returns out.

    install=False refuses to fetch Allure with npm; notify receives a line before an install."""
    alluredir, out = Path(alluredir).resolve(), Path(out)
    if not any(alluredir.glob("*-result.json")):
        raise ReportError(f"no Allure results in {alluredir}")
    command = allure_command(install=install, notify=notify)
    with tempfile.TemporaryDirectory(prefix="cot-report-") as work:
        # An empty working folder: an allurerc.* config lying around must not change the report.
        cwd, target = Path(work) / "cwd", Path(work) / "report"
        cwd.mkdir()
        done = _run(
            [*command, "awesome", str(alluredir), "--single-file", "--output", str(target)]
            + ["--report-name", report_name or _report_name(alluredir), "--report-language", "en"]
            + ["--cwd", str(cwd)],
            ALLURE_TIMEOUT_S,
            cwd=cwd,
        )
        index = target / "index.html"
        if done.returncode != 0 or not index.is_file():
            raise ReportError(f"Allure did not produce a report (exit {done.returncode}):\n{_tail(done)}")
        html = without_analytics(index.read_text(encoding="utf-8"))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out
