"""Where the harness's throwaway work goes: the results folders of the selftest's and the
mutation run's runs, which are read once for their verdicts and then removed.

A matrix writes about 550 files a run, 105 runs, each through Allure's write-then-rename.
On this machine's ext4 a file so written costs 0.1-0.2 ms of system time against 0.04 ms
on tmpfs (measured: docs/performance.md), so when the machine has a memory-backed
/dev/shm with room to spare, the work goes there. A folder kept for the engineer (a run went
wrong, --keep, an interrupt) is moved to the ordinary temporary directory, so that what
they read next is not held in memory nor gone at the next reboot. The user's own TMPDIR, when
set, is always honoured instead.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

SHM = Path("/dev/shm")
# A matrix's runs hold ~100 MB at their peak; a tmpfs with less than this free is left alone
# (a container's 64 MB /dev/shm, a busy machine's).
MIN_FREE_BYTES = 2 * 1024**3


def scratch_base() -> Path | None:
    """The memory-backed folder for throwaway work, or None for tempfile's own choice."""
    if any(os.environ.get(name) for name in ("TMPDIR", "TEMP", "TMP")):
        return None
    try:
        free = os.statvfs(SHM)
    except OSError:
        return None
    if not (SHM.is_dir() and os.access(SHM, os.W_OK | os.X_OK)):
        return None
    return SHM if free.f_bavail * free.f_frsize >= MIN_FREE_BYTES else None


def make_work_folder(prefix: str) -> Path:
    """A new folder of the harness's own (mkdtemp: private, unique) for a matrix's runs."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir=scratch_base()))


def keep_work_folder(root: Path) -> Path:
    """Where a kept work folder stays: moved out of memory into the ordinary temporary
    directory when it was made there; left where it is when it was not, or when the move
    cannot be made (then nothing is lost: the original stays whole)."""
    if root.parent != SHM:
        return root
    try:
        kept = Path(tempfile.mkdtemp(prefix=root.name + "-"))
    except OSError:
        return root
    try:
        shutil.copytree(root, kept, symlinks=True, dirs_exist_ok=True)
    except OSError:
        shutil.rmtree(kept, ignore_errors=True)
        return root
    shutil.rmtree(root, ignore_errors=True)
    return kept
