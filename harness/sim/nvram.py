"""The emulated coordinator's non-volatile memory.

zigpy-znp reads and writes Z-Stack's NV items directly (NIB, keys, address tables), so the
emulator must keep them with the lengths a CC26x2 running Z-Stack 3.30+ uses. Values are
bytes exactly as zigpy-znp serialises them with aligned structs; the emulator interprets
only the few items that decide its behaviour (NIB, key, on-a-network flag).

Items exist after "factory" boot as on a blank stick; the network items (NIB, address
manager, link-key table) appear when a network is formed, as Z-Stack does.
"""

from __future__ import annotations

import os

import zigpy_znp.const as znp_const
import zigpy_znp.types as t
from zigpy_znp.types.nvids import ExNvIds, NvSysIds, OsalNvIds

# Table sizes are smaller than a real stick's: zigpy-znp writes tables entry by entry
# until the first missing one, so every entry costs two MT round trips at startup.
ADDRMGR_ENTRIES = 8
TCLK_ENTRIES = 4
APS_KEY_DATA_ENTRIES = 4
NWK_SEC_MATERIAL_ENTRIES = 2
APS_LINK_KEY_TABLE_LEN = 1 + 4 * 5  # count byte + room for 5 aligned entries

ExKey = tuple[int, int, int]  # (sys_id, item_id, sub_id)


def _u8(value: int) -> bytes:
    return bytes([value])


def _serialize(value: object) -> bytes:
    if isinstance(value, t.CStruct):
        return value.serialize(align=True)
    return value.serialize()  # type: ignore[attr-defined]


def _factory_osal(ieee: t.EUI64) -> dict[int, bytes]:
    """Configuration items a blank Z-Stack 3.30 stick holds before any network exists."""
    ext = ieee.serialize()
    return {
        OsalNvIds.EXTADDR: ext,
        OsalNvIds.STARTUP_OPTION: _u8(0),
        OsalNvIds.EXTENDED_PAN_ID: ext,
        OsalNvIds.BCAST_RETRIES: _u8(2),
        OsalNvIds.BCAST_DELIVERY_TIME: _u8(30),
        OsalNvIds.CONCENTRATOR_ENABLE: _u8(1),
        OsalNvIds.CONCENTRATOR_DISCOVERY: _u8(120),
        OsalNvIds.CONCENTRATOR_RADIUS: _u8(10),
        OsalNvIds.CONCENTRATOR_RC: _u8(1),
        OsalNvIds.SRC_RTG_EXPIRY_TIME: _u8(255),
        OsalNvIds.NWK_ACTIVE_KEY_INFO: bytes(17),
        OsalNvIds.NWK_ALTERN_KEY_INFO: bytes(17),
        OsalNvIds.NWK_CHILD_AGE_ENABLE: _u8(0),
        OsalNvIds.APS_USE_EXT_PANID: bytes(8),
        OsalNvIds.BDBNODEISONANETWORK: _u8(0),
        OsalNvIds.PRECFGKEY: os.urandom(16),
        OsalNvIds.PRECFGKEYS_ENABLE: _u8(0),
        OsalNvIds.APS_LINK_KEY_TYPE: _u8(1),
        OsalNvIds.USE_DEFAULT_TCLK: _u8(1),
        OsalNvIds.PANID: (0xFFFF).to_bytes(2, "little"),
        OsalNvIds.CHANLIST: bytes(4),
        OsalNvIds.LOGICAL_TYPE: _u8(0),
        OsalNvIds.ZDO_DIRECT_CB: _u8(1),
        OsalNvIds.TCLK_SEED: os.urandom(16),
        OsalNvIds.APS_LINK_KEY_TABLE: bytes(APS_LINK_KEY_TABLE_LEN),
    }


def _factory_ex() -> dict[ExKey, bytes]:
    zstack = NvSysIds.ZSTACK
    tclk_blank = _serialize(
        t.TCLKDevEntry(
            txFrmCntr=0,
            rxFrmCntr=0,
            extAddr=t.EUI64.convert("00:00:00:00:00:00:00:00"),
            keyAttributes=t.KeyAttributes.DEFAULT_KEY,
            keyType=t.KeyType.NONE,
            SeedShift_IcIndex=0,
        )
    )
    items: dict[ExKey, bytes] = {}
    for sub in range(TCLK_ENTRIES):
        items[(zstack, ExNvIds.TCLK_TABLE, sub)] = tclk_blank
    for sub in range(APS_KEY_DATA_ENTRIES):
        items[(zstack, ExNvIds.APS_KEY_DATA_TABLE, sub)] = bytes(24)
    for sub in range(NWK_SEC_MATERIAL_ENTRIES):
        items[(zstack, ExNvIds.NWK_SEC_MATERIAL_TABLE, sub)] = bytes(12)
    empty_addr = _serialize(znp_const.EMPTY_ADDR_MGR_ENTRY_ZSTACK3)
    for sub in range(ADDRMGR_ENTRIES):
        items[(zstack, ExNvIds.ADDRMGR, sub)] = empty_addr
    return items


class Nvram:
    """OSAL items by id and extended items by (sys, item, sub), each a bytearray."""

    def __init__(self, ieee: t.EUI64) -> None:
        self.ieee = ieee
        self.osal: dict[int, bytearray] = {}
        self.ex: dict[ExKey, bytearray] = {}
        self.factory_reset()

    def factory_reset(self) -> None:
        self.osal = {k: bytearray(v) for k, v in _factory_osal(self.ieee).items()}
        self.ex = {k: bytearray(v) for k, v in _factory_ex().items()}

    def restore_missing(self) -> None:
        """At boot Z-Stack recreates deleted configuration items with their defaults
        (zigpy-znp relies on it, e.g. deleting EXTADDR to get the hardware address back)."""
        for nv_id, value in _factory_osal(self.ieee).items():
            self.osal.setdefault(nv_id, bytearray(value))

    # Typed access for the few items the emulator itself interprets.
    def read_as(self, nv_id: int, item_type: type) -> object | None:
        raw = self.osal.get(nv_id)
        if raw is None:
            return None
        if issubclass(item_type, t.CStruct):
            value, _ = item_type.deserialize(bytes(raw), align=True)
        else:
            value, _ = item_type.deserialize(bytes(raw))
        return value

    def write_as(self, nv_id: int, value: object) -> None:
        self.osal[nv_id] = bytearray(_serialize(value))

    @property
    def on_a_network(self) -> bool:
        flag = self.osal.get(OsalNvIds.BDBNODEISONANETWORK)
        return bool(flag) and flag[0] == 1 and OsalNvIds.NIB in self.osal
