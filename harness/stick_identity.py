"""How an emulated coordinator stick says so on the wire, whoever reaches it.

A leaf both sides read: the emulated Z-Stack (harness.sim.zstack) answers SYS.Version with
this bootloader revision, and the harness (harness.radio) reads SYS.Version from whatever
stick it opened, in-process, over a TCP port, through ser2net or a pty, so a run against an
emulator can never be reported as a hardware result. The field is one zigpy-znp reads but
never acts on (its behaviour keys on the product ID and the build date, which the emulator
keeps those of a real CC2652); a real stick reports 0xFFFFFFFF (no bootloader) or a small
revision number, never this value.
"""

from __future__ import annotations

# ASCII "EMUL": unmistakable in a hex dump of the SYS.Version response.
EMULATED_BOOTLOADER_REVISION = 0x454D554C


def is_emulated(bootloader_revision: int | None) -> bool:
    """True for the SYS.Version BootloaderRevision an emulated stick reports."""
    return bootloader_revision == EMULATED_BOOTLOADER_REVISION
