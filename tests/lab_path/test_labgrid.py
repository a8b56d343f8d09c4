"""A labgrid NetworkSerialPort (protocol raw) names the port: the harness runs on it.

labgrid is not among the harness's own dependencies: it brings pyserial-labgrid, a fork that
installs over pyserial's `serial` package, which cot-harness itself depends on. So labgrid
runs in an interpreter of its own: this one if it has labgrid, else the one LABGRID_PYTHON
names (a venv with `pip install 'labgrid>=26.0,<27'`); without either the test skips.
labgrid reads the environment file, resolves the NetworkSerialPort and opens it with its
SerialDriver (through ser2net's raw accepter to the emulator's pty); the harness then runs
the reference suite on the host and port labgrid named.
"""

from __future__ import annotations

import collections
import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from lab_bench import run_harness, start_emulator, start_ser2net, verdicts, with_radio_path

PROBE = textwrap.dedent(
    """
    import json, sys
    from labgrid import Environment
    from labgrid.resource import NetworkSerialPort

    target = Environment(sys.argv[1]).get_target("coordinator")
    port = target.get_resource(NetworkSerialPort)
    driver = target.get_driver("SerialDriver")  # activated: labgrid opens the port itself
    target.deactivate(driver)
    print(json.dumps({"host": port.host, "port": port.port, "protocol": port.protocol}))
    """
)


def _labgrid_python() -> str:
    if importlib.util.find_spec("labgrid") is not None:
        return sys.executable
    named = os.environ.get("LABGRID_PYTHON")
    if named:
        return named
    if os.environ.get("CI"):
        pytest.fail("labgrid is not installed: CI must provide it (.ci/run sets LABGRID_PYTHON)")
    pytest.skip("labgrid is not installed here (set LABGRID_PYTHON to a venv's python that has labgrid)")


def test_the_suite_runs_on_the_port_a_labgrid_network_serial_port_names(tmp_path: Path) -> None:
    python = _labgrid_python()
    emulator = start_emulator(tmp_path, pty=True)
    ser2net = None
    try:
        assert emulator.profile is not None
        ser2net = start_ser2net(tmp_path, emulator.serial)
        environment = tmp_path / "lab-env.yaml"
        environment.write_text(
            yaml.safe_dump(
                {
                    "targets": {
                        "coordinator": {
                            "resources": {
                                "NetworkSerialPort": {
                                    "host": "127.0.0.1",
                                    "port": ser2net.port,
                                    "protocol": "raw",
                                    "speed": 115200,
                                }
                            },
                            "drivers": {"SerialDriver": {}},
                        }
                    }
                }
            )
        )
        probe = tmp_path / "probe.py"
        probe.write_text(PROBE)
        resolved = subprocess.run(
            [python, str(probe), str(environment)], capture_output=True, text=True, timeout=120, check=False
        )
        assert resolved.returncode == 0, resolved.stderr[-2000:]
        port = json.loads(resolved.stdout.strip().splitlines()[-1])
        assert port["protocol"] == "raw"
        profile = with_radio_path(
            emulator.profile, f"socket://{port['host']}:{port['port']}", tmp_path / "labgrid.yaml"
        )
        done = run_harness(profile, tmp_path / "run")
        assert emulator.ended() == 0
    finally:
        if ser2net is not None:
            ser2net.stop()
        emulator.stop()
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    found = verdicts(tmp_path / "run" / "allure-results")
    assert dict(collections.Counter(found.values())) == {
        "passed": 32,
        "skipped": 20,
    }  # 7 SEC (not cbke), 7 ESI (not a meter)
