"""A bench that fails: the cause once, whole, with what to check; blocked cases point to it;
the run exits 7 (bench error), not 1 (device failure). Issue 10, points 6 and 7."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.suite.conftest import REPO, SuiteRun

TEMPLATE = REPO / "device_profiles" / "template-real-ihd.yaml"


def _lab_profile(folder: Path, path: str) -> Path:
    text = TEMPLATE.read_text().replace("/dev/ttyACM0", path)
    # past the template's placeholders, so only the bench can fail
    text = text.replace('"00:00:00:00:00:00:00:00"', '"00:11:22:33:44:55:66:77"').replace("Example Ltd", "Lab Ltd")
    profile = folder / "lab-ihd.yaml"
    profile.write_text(text)
    return profile


def test_a_closed_coordinator_port_is_a_bench_error_said_once(run_suite: SuiteRun, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = run_suite(_lab_profile(tmp_path, f"socket://127.0.0.1:{port}"))
    out = done.stdout
    assert done.returncode == 7, out[-3000:] + done.stderr[-2000:]
    assert "suite finished" in out and "exit 7" in out
    lines = out.splitlines()
    blocked = [line for line in lines if line.startswith("DM-01 ") or line.startswith("CLR-01 ")]
    assert blocked and all(
        line.split(None, 2)[2] == "blocked: the bench failed before this case (see BENCH-01)" for line in blocked
    ), blocked
    whole = [line for line in lines if line.startswith("bench error in BENCH-01: CoordinatorError:")]
    assert len(whole) == 1, out[-3000:]
    assert "ConnectionRefusedError" in whole[0] and f"listening on 127.0.0.1:{port}" in whole[0], whole
    # the cause is not repeated by every blocked case (it was, about 60 times)
    assert out.count("Connect call failed") <= 6, out.count("Connect call failed")
