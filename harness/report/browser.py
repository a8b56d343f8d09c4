"""The HTML report as a browser shows it: headless Chromium renders a page of it to text or PNG.

The check that the report reads as an assessor needs (docs/assessor-report.md) is made on what
a browser draws, not on the JSON Allure was given: `rendered_text` is the page's text after its
scripts ran, `screenshot` a PNG of it. Pages are addressed as the report addresses them: ""
for the front page, the test result's id for a case, "globalAttachments" for the run's own
evidence. Debian's `chromium` package (or $COT_HARNESS_CHROMIUM) is the browser.

    python -m harness.report.browser reports/latest/report.html --out screenshots/
writes front.png, globals.png and one PNG per failed or broken case.
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["BrowserMissing", "case_pages", "chromium", "rendered_text", "screenshot"]

BROWSER_TIMEOUT_S = 120  # a browser start on a loaded machine; never the measure of anything
# Chromium's own virtual time for the page's scripts, not wall time: it fast-forwards while the
# page is idle, so a page that is drawn costs the same at 5 s or 30 s (2.4-2.7 s wall either way,
# measured). 5 s once left the run summary off the global-attachments page on a machine at load 8.
VIRTUAL_TIME_BUDGET_MS = 30000
# Without these Chromium tries Google's services at start, which a closed lab network refuses.
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
_EMBEDDED = re.compile(r'd\("data/test-results/[^"]+\.json","([A-Za-z0-9+/=]+)"\)')


class BrowserMissing(RuntimeError):
    """No Chromium on this machine; the message says what to install."""


def chromium() -> str:
    found = os.environ.get("COT_HARNESS_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise BrowserMissing(
            "no Chromium: install Debian's package (apt-get install chromium) or set COT_HARNESS_CHROMIUM"
        )
    return found


def case_pages(report: Path) -> list[dict[str, str]]:
    """Each test result the single-file report embeds: its page id, name and status."""
    text = Path(report).read_text(encoding="utf-8")
    pages = []
    for blob in _EMBEDDED.findall(text):
        result = json.loads(base64.b64decode(blob))
        pages.append({"id": result["id"], "name": result.get("name", ""), "status": result.get("status", "")})
    return pages


def _run(report: Path, page: str, *args: str, width: int, height: int) -> subprocess.CompletedProcess[str]:
    url = Path(report).resolve().as_uri() + (f"#/{page}" if page else "")
    with tempfile.TemporaryDirectory(prefix="cot-chromium-") as profile:
        return subprocess.run(
            [chromium(), *_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"]
            + [f"--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}", *args, url],
            capture_output=True,
            text=True,
            timeout=BROWSER_TIMEOUT_S,
        )


def rendered_text(report: Path, page: str = "", *, width: int = 1400, height: int = 1100) -> str:
    """The page's visible text, one line per element, after the report's scripts drew it."""
    done = _run(report, page, "--dump-dom", width=width, height=height)
    if done.returncode != 0:
        raise RuntimeError(f"chromium could not render {report}#/{page}: {done.stderr[-500:]}")
    dom = re.sub(r"<(script|style)\b.*?</\1>", "", done.stdout, flags=re.DOTALL)
    text = html.unescape(re.sub(r"<[^>]+>", "\n", dom))
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def screenshot(report: Path, out: Path, page: str = "", *, width: int = 1400, height: int = 1600) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = _run(report, page, f"--screenshot={out.resolve()}", width=width, height=height)
    if done.returncode != 0 or not out.is_file():
        raise RuntimeError(f"chromium wrote no screenshot of {report}#/{page}: {done.stderr[-500:]}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.report.browser", description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="a report.html written by `cot-harness report`")
    parser.add_argument("--out", type=Path, default=Path("screenshots"), help="folder for the PNG files")
    args = parser.parse_args(argv)
    try:
        shots = [
            screenshot(args.report, args.out / "front.png"),
            screenshot(args.report, args.out / "globals.png", "globalAttachments"),
        ]
        for page in case_pages(args.report):
            if page["status"] in ("failed", "broken"):
                case_id = page["name"].split(" ", 1)[0] or page["id"]
                shots.append(screenshot(args.report, args.out / f"{case_id}.png", page["id"]))
    except (BrowserMissing, RuntimeError, OSError) as error:
        print(f"harness.report.browser: {error}", file=sys.stderr)
        return 1
    for shot in shots:
        print(shot)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
