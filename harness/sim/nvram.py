"""The emulated coordinator's non-volatile memory, laid out as a CC2652R's Z-Stack 3.30+.

zigpy-znp reads and writes Z-Stack's NV items directly (NIB, keys, address tables), and its
maintenance tools copy them item by item, so the emulator holds the items a real stick has,
with their lengths and table sizes. The reference is zigpy-znp's own dumps of a CC2652R
(its upstream ``tests/nvram/CC2652R-ZStack4.reset.json`` and ``...formed.json``): the
configuration items and the TCLK, APS key data and NWK security material tables exist on a
blank stick; the NIB, the address manager, the binding table, the device list, the group
and link-key tables appear only when a network is formed, as Z-Stack creates them.

Values are bytes exactly as zigpy-znp serialises them with aligned structs; the emulator
interprets only the few items that decide its behaviour (NIB, keys, on-a-network flag, the
address manager and TCLK table of the trust centre, the NWK frame counter). Items are kept
as bytearrays and served as slices, so a 257-entry table costs nothing per read.
"""

from __future__ import annotations

import dataclasses
import random

import zigpy_znp.const as znp_const
import zigpy_znp.types as t
from zigpy_znp.types.nvids import ExNvIds, NvSysIds, OsalNvIds

# Table sizes of the CC2652R reference dumps (entries).
ADDRMGR_ENTRIES = 257  # formed dump: ADDRMGR 0x0000..0x0100
TCLK_ENTRIES = 200  # TCLK_TABLE 0x0000..0x00C7, already on a blank stick
APS_KEY_DATA_ENTRIES = 3
NWK_SEC_MATERIAL_ENTRIES = 5
BINDING_ENTRIES = 1
DEVICE_LIST_ENTRIES = 51
APS_LINK_KEY_TABLE_LEN = 20  # count (uint16) + room for 3 aligned entries

ExKey = tuple[int, int, int]  # (sys_id, item_id, sub_id)
ZSTACK = NvSysIds.ZSTACK
UNKNOWN_EUI64 = t.EUI64.convert("00:00:00:00:00:00:00:00")

# Configuration items of the blank CC2652R (reset dump), byte for byte. Left out here and
# made per stick below: EXTADDR and EXTENDED_PAN_ID (the stick's own address), PRECFGKEY and
# TCLK_SEED (random on every stick). STARTUP_OPTION is 0: the dump was taken right after
# zigpy-znp asked for a clear-state restart.
_RESET_DUMP_CONFIG = {
    OsalNvIds.STARTUP_OPTION: "00",
    OsalNvIds.START_DELAY: "0a",
    OsalNvIds.POLL_RATE_OLD16: "b80b",
    OsalNvIds.POLL_RATE: "b80b0000b8010000640000006400000000000000e803000000000000000000008459002001000000",
    OsalNvIds.DATA_RETRIES: "02",
    OsalNvIds.POLL_FAILURE_RETRIES: "03",
    OsalNvIds.STACK_PROFILE: "02",
    OsalNvIds.INDIRECT_MSG_TIMEOUT: "14",
    OsalNvIds.ROUTE_EXPIRY_TIME: "1e",
    OsalNvIds.BCAST_RETRIES: "02",
    OsalNvIds.PASSIVE_ACK_TIMEOUT: "05",
    OsalNvIds.BCAST_DELIVERY_TIME: "1e",
    OsalNvIds.CONCENTRATOR_ENABLE: "01",
    OsalNvIds.CONCENTRATOR_DISCOVERY: "78",
    OsalNvIds.CONCENTRATOR_RADIUS: "0a",
    OsalNvIds.CONCENTRATOR_RC: "01",
    OsalNvIds.NWK_MGR_MODE: "01",
    OsalNvIds.SRC_RTG_EXPIRY_TIME: "ff",
    OsalNvIds.ROUTE_DISCOVERY_TIME: "05",
    OsalNvIds.NWK_ACTIVE_KEY_INFO: "00" * 17,
    OsalNvIds.NWK_ALTERN_KEY_INFO: "00" * 17,
    OsalNvIds.ROUTER_OFF_ASSOC_CLEANUP: "00",
    OsalNvIds.NWK_LEAVE_REQ_ALLOWED: "01",
    OsalNvIds.NWK_CHILD_AGE_ENABLE: "00",
    OsalNvIds.APS_FRAME_RETRIES: "03",
    OsalNvIds.APS_ACK_WAIT_DURATION: "b80b",
    OsalNvIds.APS_ACK_WAIT_MULTIPLIER: "02",
    OsalNvIds.BINDING_TIME: "803e",
    OsalNvIds.APS_USE_EXT_PANID: "00" * 8,
    OsalNvIds.APS_USE_INSECURE_JOIN: "01",
    OsalNvIds.COMMISSIONED_NWK_ADDR: "feff",
    OsalNvIds.APS_NONMEMBER_RADIUS: "02",
    OsalNvIds.APS_DUPREJ_TIMEOUT_INC: "e803",
    OsalNvIds.APS_DUPREJ_TIMEOUT_COUNT: "0a",
    OsalNvIds.APS_DUPREJ_TABLE_SIZE: "0500",
    OsalNvIds.NWK_PARENT_INFO: "01",
    OsalNvIds.NWK_ENDDEV_TIMEOUT_DEF: "08",
    OsalNvIds.END_DEV_TIMEOUT_VALUE: "08",
    OsalNvIds.END_DEV_CONFIGURATION: "00",
    OsalNvIds.BDBNODEISONANETWORK: "00",
    OsalNvIds.PRECFGKEYS_ENABLE: "00",
    OsalNvIds.SECURE_PERMIT_JOIN: "01",
    OsalNvIds.APS_LINK_KEY_TYPE: "01",
    OsalNvIds.APS_ALLOW_R19_SECURITY: "00",
    OsalNvIds.USE_DEFAULT_TCLK: "01",
    OsalNvIds.TRUSTCENTER_ADDR: "00" * 8,
    OsalNvIds.USERDESC: "00" * 17,
    OsalNvIds.NWKKEY: "00" * 24,
    OsalNvIds.PANID: "ffff",
    OsalNvIds.CHANLIST: "00000000",
    OsalNvIds.SCAN_DURATION: "04",
    OsalNvIds.LOGICAL_TYPE: "00",
    OsalNvIds.NWKMGR_MIN_TX: "14",
    OsalNvIds.ZDO_DIRECT_CB: "01",
    OsalNvIds.SAPI_ENDPOINT: "e0",
}

# Items Z-Stack creates when it forms (present in the formed dump, absent from the reset one).
GROUP_TABLE_BLANK = bytes.fromhex("0000" + "ff" * 20)
LEAVE_CTRL_BLANK = b"\x00"
BINDING_BLANK = b"\xff" * 14
DEVICE_LIST_BLANK = b"\xff" * 16


def _serialize(value: object) -> bytes:
    if isinstance(value, (t.CStruct, t.BaseListType)):
        return value.serialize(align=True)
    return value.serialize()  # type: ignore[attr-defined]


TCLK_BLANK = _serialize(
    t.TCLKDevEntry(
        txFrmCntr=0,
        rxFrmCntr=0,
        extAddr=UNKNOWN_EUI64,
        keyAttributes=t.KeyAttributes.DEFAULT_KEY,
        keyType=t.KeyType.NONE,
        SeedShift_IcIndex=0,
    )
)
ADDRMGR_BLANK = _serialize(znp_const.EMPTY_ADDR_MGR_ENTRY_ZSTACK3)
APS_KEY_DATA_BLANK = bytes(24)
NWK_SEC_MATERIAL_BLANK = bytes(12)


def _factory_osal(ieee: t.EUI64) -> dict[int, bytes]:
    """Configuration items a blank CC2652R holds before any network exists."""
    ext = ieee.serialize()
    # Per-stick random values, seeded by the stick's address so a run can be repeated.
    rng = random.Random(b"nv" + ext)
    items = {nv_id: bytes.fromhex(value) for nv_id, value in _RESET_DUMP_CONFIG.items()}
    items[OsalNvIds.EXTADDR] = ext
    items[OsalNvIds.EXTENDED_PAN_ID] = ext
    items[OsalNvIds.PRECFGKEY] = rng.randbytes(16)
    items[OsalNvIds.TCLK_SEED] = rng.randbytes(16)
    return items


def _factory_ex() -> dict[ExKey, bytes]:
    items: dict[ExKey, bytes] = {}
    for sub in range(TCLK_ENTRIES):
        items[(ZSTACK, ExNvIds.TCLK_TABLE, sub)] = TCLK_BLANK
    for sub in range(APS_KEY_DATA_ENTRIES):
        items[(ZSTACK, ExNvIds.APS_KEY_DATA_TABLE, sub)] = APS_KEY_DATA_BLANK
    for sub in range(NWK_SEC_MATERIAL_ENTRIES):
        items[(ZSTACK, ExNvIds.NWK_SEC_MATERIAL_TABLE, sub)] = NWK_SEC_MATERIAL_BLANK
    return items


@dataclasses.dataclass(frozen=True)
class NvSnapshot:
    """Every NV item at one moment, as immutable bytes: a stick's memory to start another
    emulated stick from (harness.sim.world hands later worlds the NV of a formed stick)."""

    osal: dict[int, bytes]
    ex: dict[ExKey, bytes]


class Nvram:
    """OSAL items by id and extended items by (sys, item, sub), each a bytearray."""

    def __init__(self, ieee: t.EUI64) -> None:
        self.ieee = ieee
        self.osal: dict[int, bytearray] = {}
        self.ex: dict[ExKey, bytearray] = {}
        self._factory_osal = _factory_osal(ieee)
        self.factory_reset()

    def factory_reset(self) -> None:
        """A clear-state restart: the configuration defaults, no network items."""
        self.osal = {k: bytearray(v) for k, v in self._factory_osal.items()}
        self.ex = {k: bytearray(v) for k, v in _factory_ex().items()}

    def snapshot(self) -> NvSnapshot:
        return NvSnapshot({k: bytes(v) for k, v in self.osal.items()}, {k: bytes(v) for k, v in self.ex.items()})

    def restore(self, snapshot: NvSnapshot) -> None:
        """Hold exactly the snapshot's items (copies: this stick's writes never reach it)."""
        self.osal = {k: bytearray(v) for k, v in snapshot.osal.items()}
        self.ex = {k: bytearray(v) for k, v in snapshot.ex.items()}

    def restore_missing(self) -> None:
        """At boot Z-Stack recreates deleted configuration items and its security tables
        with their defaults (zigpy-znp relies on it, e.g. deleting EXTADDR to get the
        hardware address back; the CC2652R reset dump is what a stick holds after
        zigpy-znp's nvram_reset deleted every item). Network items are not recreated."""
        for nv_id, value in self._factory_osal.items():
            self.osal.setdefault(nv_id, bytearray(value))
        for key, value in _factory_ex().items():
            if key not in self.ex:
                self.ex[key] = bytearray(value)

    def create_network_items(self) -> None:
        """What Z-Stack adds to NV when it forms a network (items it already has are kept)."""
        self.osal.setdefault(OsalNvIds.GROUP_TABLE, bytearray(GROUP_TABLE_BLANK))
        self.osal.setdefault(OsalNvIds.APS_LINK_KEY_TABLE, bytearray(APS_LINK_KEY_TABLE_LEN))
        self.osal.setdefault(OsalNvIds.LEAVE_CTRL, bytearray(LEAVE_CTRL_BLANK))
        for item, count, blank in (
            (ExNvIds.ADDRMGR, ADDRMGR_ENTRIES, ADDRMGR_BLANK),
            (ExNvIds.BINDING_TABLE, BINDING_ENTRIES, BINDING_BLANK),
            (ExNvIds.DEVICE_LIST, DEVICE_LIST_ENTRIES, DEVICE_LIST_BLANK),
        ):
            for sub in range(count):
                self.ex.setdefault((ZSTACK, item, sub), bytearray(blank))

    # Typed access for the few items the emulator itself interprets.
    def read_as(self, nv_id: int, item_type: type) -> object | None:
        raw = self.osal.get(nv_id)
        if raw is None:
            return None
        if issubclass(item_type, (t.CStruct, t.BaseListType)):
            value, _ = item_type.deserialize(bytes(raw), align=True)
        else:
            value, _ = item_type.deserialize(bytes(raw))
        return value

    def write_as(self, nv_id: int, value: object) -> None:
        self.osal[nv_id] = bytearray(_serialize(value))

    def table(self, item_id: int) -> list[tuple[int, bytearray]]:
        """An extended table's entries in sub-ID order, up to the first missing one (as
        zigpy-znp and Z-Stack walk them)."""
        entries = []
        sub = 0
        while (entry := self.ex.get((ZSTACK, item_id, sub))) is not None:
            entries.append((sub, entry))
            sub += 1
        return entries

    @property
    def on_a_network(self) -> bool:
        flag = self.osal.get(OsalNvIds.BDBNODEISONANETWORK)
        return bool(flag) and flag[0] == 1 and OsalNvIds.NIB in self.osal
