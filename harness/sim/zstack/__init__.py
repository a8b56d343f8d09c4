"""An emulated Z-Stack 3.30 coordinator (CC2652), speaking MT to an unmodified zigpy-znp.

Faithful wherever a client can tell (NV layout, joins and keys in NV, scans, channel change,
identity), measured against zigpy-znp's dumps of a real CC2652R: docs/emulated-stick.md.

Only behaviour lives here: frames and command schemas are zigpy-znp's own. Each MT
request maps to one handler (the table in ``emulator.py``), which returns the synchronous
response and may queue asynchronous callbacks (AREQ). What the host sends on the air goes
to the simulated HAN (air.Air); what arrives from the air becomes AF.IncomingMsg or
ZDO callbacks, as a real stick reports it.

One module per MT subsystem, each a mixin of ``ZStackEmulator`` over the shared state of
``core.py``: ``system`` (SYS, UTIL), ``nv`` (SYS NV and OSAL NV), ``commissioning``
(AppConfig/BDB, ZDO), ``af`` (AF), ``network`` (ZDO network management: scans, channel
change, LQI and routes); ``formation`` holds network formation and the NIB, ``tables``
the NV entries the stick writes itself (joins, keys, frame counter), ``firmware`` what the
stick reports about itself.
"""

from harness.sim.zstack.core import LOGGER, Send
from harness.sim.zstack.emulator import ZStackEmulator
from harness.sim.zstack.firmware import ASSOC_DEVICE_LEN_ALIGNED, CAPABILITIES, FIRMWARE, FIRMWARE_NAME

__all__ = [
    "ASSOC_DEVICE_LEN_ALIGNED",
    "CAPABILITIES",
    "FIRMWARE",
    "FIRMWARE_NAME",
    "LOGGER",
    "Send",
    "ZStackEmulator",
]
