"""Selection, reruns and packaging (issue 10, point 9): --lf reruns only what failed; a wheel
(`pip install .`, not editable) carries the reference profiles, and `cot-harness run` works
from any folder with it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

from setuptools import find_packages

REPO = Path(__file__).resolve().parents[1]
PROFILES = REPO / "device_profiles"


def _run(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: int = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


def test_every_package_on_disk_is_listed_in_pyproject() -> None:
    listed = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    on_disk = find_packages(where=str(REPO), include=["harness*", "testcases*"])
    # The profiles' folders ship inside the package (package-dir), `find` cannot map them.
    profile_folders = {"harness.device_profiles"} | {
        f"harness.device_profiles.{folder.name}" for folder in PROFILES.iterdir() if folder.is_dir()
    }
    assert set(listed) == set(on_disk) | profile_folders, set(on_disk) ^ set(listed)


def test_a_wheel_ships_the_reference_profiles_and_runs_from_another_folder(tmp_path: Path) -> None:
    source = tmp_path / "src"  # a copy: the build's scratch folders stay out of the repository
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    for name in ("harness", "testcases", "device_profiles"):
        shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    wheels = tmp_path / "wheels"
    built = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(source), cwd=tmp_path)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-3000:]
    (wheel,) = wheels.glob("cot_harness-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for profile in sorted(PROFILES.rglob("*")):
        if profile.is_file():
            assert f"harness/device_profiles/{profile.relative_to(PROFILES).as_posix()}" in names, profile

    # Installed (not editable) in a folder of its own, ahead of this checkout on the path.
    target = tmp_path / "site"
    installed = _run(
        sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel), cwd=tmp_path
    )
    assert installed.returncode == 0, installed.stderr[-3000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = _run(
        sys.executable,
        "-c",
        "import harness, harness.selftest as s; print(harness.__file__); print(s.PROFILES)",
        cwd=elsewhere,
        env=env,
    )
    assert where.returncode == 0, where.stderr
    assert all(line.startswith(str(target)) for line in where.stdout.split()), where.stdout
    done = _run(
        sys.executable,
        "-m",
        "harness.cli",
        "run",
        "--alluredir",
        str(elsewhere / "run" / "allure-results"),
        cwd=elsewhere,
        env=env,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "Reference IHD" in done.stdout and "BENCH-01  passed" in done.stdout


def test_last_failed_reruns_only_the_failed_cases(tmp_path: Path) -> None:
    cache = f"cache_dir={tmp_path / 'cache'}"
    profile = str(PROFILES / "variants" / "keeps-consumption-history.yaml")

    def run(folder: str, *extra: str) -> subprocess.CompletedProcess[str]:
        results = str(tmp_path / folder / "allure-results")
        return _run(
            sys.executable,
            "-m",
            "harness.cli",
            "run",
            "--profile",
            profile,
            "--alluredir",
            results,
            "--",
            "-o",
            cache,
            *extra,
            cwd=REPO,
        )

    def verdict_lines(out: str) -> dict[str, str]:
        section = out.split("cot-harness verdicts", 1)[1]
        return {
            p[0]: p[1]
            for p in (line.split() for line in section.splitlines())
            if len(p) > 1 and "-" in p[0] and p[0].split("-")[0].isupper()
        }

    first = run("first")
    assert first.returncode == 1, first.stdout[-3000:]
    failed = {case for case, verdict in verdict_lines(first.stdout).items() if verdict == "failed"}
    assert "CLR-01" in failed
    again = run("again", "--lf")
    assert again.returncode == 1, again.stdout[-3000:]
    rerun = verdict_lines(again.stdout)
    assert set(rerun) == failed, rerun
