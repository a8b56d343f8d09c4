"""The trust centre's tables in NV, written as Z-Stack 3.30 writes them.

Separate from the handlers because it is the one place that knows the byte layout of the
entries the emulator itself writes (address manager, TCLK table, NWK security material and
the NWKKEY frame counter), which zigpy-znp's backup reads back. A join leaves an address
manager entry (associated child, secured) and a TCLK entry whose key is derived from the
stick's TCLK seed (a hashed key, as Z-Stack issues after the TC link-key exchange); every
frame the stick sends advances the NWK security frame counter in NV.
"""

from __future__ import annotations

import zigpy_znp.types as t
from zigpy_znp.types.nvids import ExNvIds, OsalNvIds

from harness.sim.nvram import ADDRMGR_BLANK, TCLK_BLANK, ZSTACK, Nvram

BLANK_EUI64 = (b"\x00" * 8, b"\xff" * 8)
GLOBAL_EXT_PAN = b"\xff" * 8
_ASSOC_SECURED = int(t.AddrMgrUserType.Assoc | t.AddrMgrUserType.Security)


def known_devices(nv: Nvram) -> dict[t.EUI64, int]:
    """The devices the trust centre knows (associated or secured), by IEEE: NWK address.

    Z-Stack's TC keeps these in NV, so after a restart (or a restored backup) it admits
    them again without permit-join."""
    devices: dict[t.EUI64, int] = {}
    for _sub, entry in nv.table(ExNvIds.ADDRMGR):
        ext = bytes(entry[4:12])
        if entry[0] & _ASSOC_SECURED and ext not in BLANK_EUI64:
            devices[t.EUI64(ext)] = int.from_bytes(entry[2:4], "little")
    return devices


def _slot(entries: list[tuple[int, bytearray]], ext: bytes, start: int, blank: bytes) -> bytearray | None:
    """The entry already holding `ext`, else the first blank one (None: the table is full)."""
    free = None
    for _sub, entry in entries:
        if entry[start : start + 8] == ext:
            return entry
        if free is None and entry == blank:
            free = entry
    return free


def key_shift(ieee: t.EUI64) -> int:
    """The TCLK seed rotation for a device: fixed by its address, so runs repeat."""
    return ieee.serialize()[0] & 0x0F


def record_join(nv: Nvram, ieee: t.EUI64, nwk: int) -> bool:
    """Persist a newly admitted device; False when a table is full (the join still stands
    in RAM, as on a stick whose tables overflowed)."""
    ext = ieee.serialize()
    addr = _slot(nv.table(ExNvIds.ADDRMGR), ext, 4, ADDRMGR_BLANK)
    if addr is not None:
        addr[0:12] = bytes([_ASSOC_SECURED, 0xFF]) + nwk.to_bytes(2, "little") + ext
    tclk = _slot(nv.table(ExNvIds.TCLK_TABLE), ext, 8, TCLK_BLANK)
    if tclk is not None:
        tclk[:] = t.TCLKDevEntry(
            txFrmCntr=0,
            rxFrmCntr=0,
            extAddr=ieee,
            keyAttributes=t.KeyAttributes.VERIFIED_KEY,
            keyType=t.KeyType.NONE,
            SeedShift_IcIndex=key_shift(ieee),
        ).serialize(align=True)
    return addr is not None and tclk is not None


def record_leave(nv: Nvram, ieee: t.EUI64) -> bool:
    """A device gone for good (a leave without rejoin): its address manager and TCLK entries
    blanked, as Z-Stack's trust centre removes them, so a restarted stick (or a backup taken
    now) no longer knows it. False when neither table held it."""
    ext = ieee.serialize()
    removed = False
    for table, start, blank in ((ExNvIds.ADDRMGR, 4, ADDRMGR_BLANK), (ExNvIds.TCLK_TABLE, 8, TCLK_BLANK)):
        for _sub, entry in nv.table(table):
            if entry[start : start + 8] == ext:
                entry[:] = blank
                removed = True
    return removed


def write_frame_counter_entry(nv: Nvram, ext_pan: t.EUI64, counter: int = 0) -> None:
    """At formation Z-Stack writes the security material entry of the new network."""
    pan = ext_pan.serialize()
    entries = nv.table(ExNvIds.NWK_SEC_MATERIAL_TABLE)
    for _sub, entry in entries:
        if entry[4:12] == pan:
            return
    for _sub, entry in entries:
        if entry == bytes(12):
            entry[:] = counter.to_bytes(4, "little") + pan
            return


def advance_nwk_frame_counter(nv: Nvram) -> int | None:
    """One NWK frame sent: the outgoing frame counter of the current network goes up by one,
    in the security material entry of its extended PAN ID (else the global entry) and in
    NWKKEY. Returns the new counter (None when no entry exists, e.g. a blank stick)."""
    pan = nv.osal.get(OsalNvIds.EXTENDED_PAN_ID)
    mine = glob = None
    for sub in range(8):  # the table is tiny (5 entries): walk it directly
        entry = nv.ex.get((ZSTACK, ExNvIds.NWK_SEC_MATERIAL_TABLE, sub))
        if entry is None:
            break
        if pan is not None and entry[4:12] == pan:
            mine = entry
            break
        if entry[4:12] == GLOBAL_EXT_PAN:
            glob = entry
    entry = mine if mine is not None else glob
    if entry is None:
        return None
    counter = (int.from_bytes(entry[0:4], "little") + 1) & 0xFFFFFFFF
    entry[0:4] = counter.to_bytes(4, "little")
    nwkkey = nv.osal.get(OsalNvIds.NWKKEY)
    if nwkkey is not None and len(nwkkey) == 24:
        nwkkey[20:24] = entry[0:4]
    return counter
