"""Network formation: what a Z-Stack 3.30 coordinator writes to NV when it forms a network.

The NIB, the keys (NWK_ACTIVE_KEY_INFO, NWKKEY with its frame counter), the security
material entry of the new extended PAN ID, and the network tables (address manager,
binding, device list, group and link-key tables) a blank stick does not have yet.

Separate from the BDB handler that triggers it because it is mostly data: the NIB a
freshly formed coordinator leaves, field by field, which zigpy-znp reads back to learn
the channel, PAN ID and extended PAN ID it will report.
"""

from __future__ import annotations

import random

import zigpy_znp.types as t
from zigpy_znp.types.nvids import OsalNvIds

from harness.sim.air import COORDINATOR_NWK
from harness.sim.nvram import Nvram
from harness.sim.zstack.tables import write_frame_counter_entry


def form_network(nv: Nvram, primary_channels: t.Channels, rng: random.Random, ieee: t.EUI64) -> None:
    """Form on one of the primary channels, with the configured (or a random) PAN ID."""
    channels = list(primary_channels or t.Channels.from_channel_list([11]))
    channel = rng.choice(channels) if channels else 11
    pan_id = int.from_bytes(nv.osal[OsalNvIds.PANID], "little")
    if pan_id == 0xFFFF:
        pan_id = rng.randint(0x0001, 0xFFFE)
    ext_pan = t.EUI64.deserialize(bytes(nv.osal[OsalNvIds.APS_USE_EXT_PANID]))[0]
    if ext_pan == t.EUI64.convert("00:00:00:00:00:00:00:00"):
        ext_pan = ieee
    key = t.KeyData(bytes(nv.osal[OsalNvIds.PRECFGKEY]))
    nv.write_as(OsalNvIds.NIB, formed_nib(channel, pan_id, ext_pan, ieee))
    nv.write_as(OsalNvIds.EXTENDED_PAN_ID, ext_pan)
    nv.write_as(OsalNvIds.NWK_ACTIVE_KEY_INFO, t.NwkKeyDesc(KeySeqNum=0, Key=key))
    nv.write_as(OsalNvIds.NWK_ALTERN_KEY_INFO, t.NwkKeyDesc(KeySeqNum=0, Key=key))
    nv.write_as(OsalNvIds.NWKKEY, t.NwkActiveKeyItems(Active=t.NwkKeyDesc(KeySeqNum=0, Key=key), FrameCounter=0))
    # The tables a CC2652R creates only now (its formed dump has them, its reset dump not).
    nv.create_network_items()
    write_frame_counter_entry(nv, ext_pan)
    nv.osal[OsalNvIds.BDBNODEISONANETWORK] = bytearray(b"\x01")


def formed_nib(channel: int, pan_id: int, ext_pan: t.EUI64, ieee: t.EUI64) -> t.NIB:
    """The NIB of a coordinator that has just formed (values as Z-Stack 3.30 leaves them)."""
    blank_key = t.NwkKeyDesc(KeySeqNum=0, Key=t.KeyData(bytes(16)))
    return t.NIB(
        SequenceNum=0,
        PassiveAckTimeout=5,
        MaxBroadcastRetries=2,
        MaxChildren=0,
        MaxDepth=20,
        MaxRouters=0,
        dummyNeighborTable=0,
        BroadcastDeliveryTime=30,
        ReportConstantCost=0,
        RouteDiscRetries=0,
        dummyRoutingTable=0,
        SecureAllFrames=1,
        SecurityLevel=5,
        SymLink=1,
        CapabilityFlags=143,
        TransactionPersistenceTime=7,
        nwkProtocolVersion=2,
        RouteDiscoveryTime=5,
        RouteExpiryTime=30,
        nwkDevAddress=COORDINATOR_NWK,
        nwkLogicalChannel=channel,
        nwkCoordAddress=COORDINATOR_NWK,
        nwkCoordExtAddress=t.EUI64(bytes(8)),
        nwkPanId=pan_id,
        nwkState=t.NwkState.NWK_ROUTER,
        channelList=t.Channels.from_channel_list([channel]),
        beaconOrder=15,
        superFrameOrder=15,
        scanDuration=0,
        battLifeExt=0,
        allocatedRouterAddresses=1,
        allocatedEndDeviceAddresses=1,
        nodeDepth=0,
        extendedPANID=ext_pan,
        nwkKeyLoaded=True,
        spare1=blank_key,
        spare2=blank_key,
        spare3=0,
        spare4=0,
        nwkLinkStatusPeriod=15,
        nwkRouterAgeLimit=3,
        nwkUseMultiCast=False,
        nwkIsConcentrator=True,
        nwkConcentratorDiscoveryTime=120,
        nwkConcentratorRadius=10,
        nwkAllFresh=1,
        nwkManagerAddr=COORDINATOR_NWK,
        nwkTotalTransmissions=0,
        nwkUpdateId=0,
    )
