"""MT SYS NV handlers: the legacy OSAL NV items and the extended (SysId, ItemId, SubId) items.

Separate because zigpy-znp reads and writes the whole network state through them (backup,
restore, formation checks), with Z-Stack's exact status codes for missing and new items;
the items themselves live in ``harness.sim.nvram``.
"""

from __future__ import annotations

from typing import Any

import zigpy_znp.commands as c
import zigpy_znp.types as t

from harness.sim.zstack.core import EmulatorCore


class NvHandlers(EmulatorCore):
    """OSAL NV (SYS.OSALNV*) and extended NV (SYS.NV*) access to ``self.nvram``."""

    # -- OSAL NV ---------------------------------------------------------------------
    def _osal_length(self, req: Any) -> t.CommandBase:
        return c.SYS.OSALNVLength.Rsp(ItemLen=len(self.nvram.osal.get(req.Id, b"")))

    def _osal_read(self, req: Any) -> t.CommandBase:
        rsp = c.SYS.OSALNVRead.Rsp if isinstance(req, c.SYS.OSALNVRead.Req) else c.SYS.OSALNVReadExt.Rsp
        item = self.nvram.osal.get(req.Id)
        if item is None or req.Offset > len(item):
            return rsp(Status=t.Status.INVALID_PARAMETER, Value=t.ShortBytes(b""))
        return rsp(Status=t.Status.SUCCESS, Value=t.ShortBytes(bytes(item[req.Offset : req.Offset + 244])))

    def _osal_write(self, req: Any) -> t.CommandBase:
        rsp = c.SYS.OSALNVWrite.Rsp if isinstance(req, c.SYS.OSALNVWrite.Req) else c.SYS.OSALNVWriteExt.Rsp
        item = self.nvram.osal.get(req.Id)
        value = bytes(req.Value)
        if item is None or req.Offset + len(value) > len(item):
            return rsp(Status=t.Status.INVALID_PARAMETER)
        item[req.Offset : req.Offset + len(value)] = value
        return rsp(Status=t.Status.SUCCESS)

    def _osal_init(self, req: Any) -> t.CommandBase:
        if req.Id in self.nvram.osal:
            return c.SYS.OSALNVItemInit.Rsp(Status=t.Status.SUCCESS)
        self.nvram.osal[req.Id] = bytearray(bytes(req.Value).ljust(req.ItemLen, b"\x00"))
        # Z-Stack answers NV_ITEM_UNINIT when it had to create the item
        return c.SYS.OSALNVItemInit.Rsp(Status=t.Status.NV_ITEM_UNINIT)

    def _osal_delete(self, req: Any) -> t.CommandBase:
        existed = self.nvram.osal.pop(req.Id, None) is not None
        return c.SYS.OSALNVDelete.Rsp(Status=t.Status.SUCCESS if existed else t.Status.NV_ITEM_UNINIT)

    # -- extended NV -----------------------------------------------------------------
    def _nv_key(self, req: Any) -> tuple[int, int, int]:
        return (int(req.SysId), int(req.ItemId), int(req.SubId))

    def _nv_length(self, req: Any) -> t.CommandBase:
        return c.SYS.NVLength.Rsp(Length=len(self.nvram.ex.get(self._nv_key(req), b"")))

    def _nv_read(self, req: Any) -> t.CommandBase:
        item = self.nvram.ex.get(self._nv_key(req))
        if item is None or req.Offset > len(item):
            return c.SYS.NVRead.Rsp(Status=t.Status.INVALID_PARAMETER, Value=t.ShortBytes(b""))
        chunk = bytes(item[req.Offset : req.Offset + min(req.Length, 244)])
        return c.SYS.NVRead.Rsp(Status=t.Status.SUCCESS, Value=t.ShortBytes(chunk))

    def _nv_write(self, req: Any) -> t.CommandBase:
        item = self.nvram.ex.get(self._nv_key(req))
        value = bytes(req.Value)
        if item is None or req.Offset + len(value) > len(item):
            return c.SYS.NVWrite.Rsp(Status=t.Status.INVALID_PARAMETER)
        item[req.Offset : req.Offset + len(value)] = value
        return c.SYS.NVWrite.Rsp(Status=t.Status.SUCCESS)

    # -- the same three requests on raw bytes -------------------------------------------
    # zigpy-znp walks the 257-entry address manager and the 200-entry TCLK table entry by
    # entry (NVLength, then NVRead or NVWrite) when it forms, backs up or restores: these
    # answer straight from the frame's bytes, with exactly the statuses and values of the
    # handlers above (tests/stick/test_nv_fast_path.py compares them), skipping the
    # command objects. None: not a well-formed request, left to the handler above.
    def _fast_nv_length(self, data: bytes) -> bytes | None:
        if len(data) != 5:
            return None
        key = (data[0], int.from_bytes(data[1:3], "little"), int.from_bytes(data[3:5], "little"))
        return len(self.nvram.ex.get(key, b"")).to_bytes(4, "little")

    def _fast_nv_read(self, data: bytes) -> bytes | None:
        if len(data) != 8:
            return None
        item = self.nvram.ex.get((data[0], int.from_bytes(data[1:3], "little"), int.from_bytes(data[3:5], "little")))
        offset = int.from_bytes(data[5:7], "little")
        if item is None or offset > len(item):
            return bytes([t.Status.INVALID_PARAMETER, 0])
        chunk = item[offset : offset + min(data[7], 244)]
        return bytes([t.Status.SUCCESS, len(chunk)]) + chunk

    def _fast_nv_write(self, data: bytes) -> bytes | None:
        if len(data) < 8 or len(data) != 8 + data[7]:
            return None
        item = self.nvram.ex.get((data[0], int.from_bytes(data[1:3], "little"), int.from_bytes(data[3:5], "little")))
        offset = int.from_bytes(data[5:7], "little")
        value = data[8:]
        if item is None or offset + len(value) > len(item):
            return bytes([t.Status.INVALID_PARAMETER])
        item[offset : offset + len(value)] = value
        return bytes([t.Status.SUCCESS])

    def _nv_create(self, req: Any) -> t.CommandBase:
        key = self._nv_key(req)
        if key in self.nvram.ex:
            return c.SYS.NVCreate.Rsp(Status=t.Status.SUCCESS)
        self.nvram.ex[key] = bytearray(req.Length)
        return c.SYS.NVCreate.Rsp(Status=t.Status.NV_ITEM_UNINIT)

    def _nv_delete(self, req: Any) -> t.CommandBase:
        existed = self.nvram.ex.pop(self._nv_key(req), None) is not None
        return c.SYS.NVDelete.Rsp(Status=t.Status.SUCCESS if existed else t.Status.NV_ITEM_UNINIT)
