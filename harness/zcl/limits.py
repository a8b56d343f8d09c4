"""How long a ZCL frame can be when it crosses a GB HAN secured, in one radio frame.

zigpy-znp does not fragment (APS fragmentation is optional and GB SE commands that carry
logs split themselves with command index / total commands instead), so a ZCL frame the
harness sends must fit in one IEEE 802.15.4 frame after every header and security field a
GB meter's unicast carries. The limit is the sum below, term by term; tests/zcl recomputes
it from the same terms, and docs/wire-reference.md explains each.

The frame counted is the worst common case of the bench: a unicast from the coordinator
(the emulated ESME/GPF) to the unit one hop away, NWK-secured with the network key and
APS-secured with the link key (GB SE clusters are APS-encrypted), security level 5
(ENC-MIC-32). Source routing is not counted: on a bench the unit is a neighbour of the
coordinator. IEEE addresses in the NWK header itself are not counted either: they are
optional, and the capture writer (harness.evidence.pcapng) sheds them when they would not fit.
"""

from __future__ import annotations

from typing import Final

# IEEE 802.15.4-2006, 6.4.1: aMaxPHYPacketSize, the whole PSDU (MPDU) with its FCS.
PHY_MAX_PACKET: Final = 127

# IEEE 802.15.4-2006, 7.2.1: data frame, short destination and source, PAN ID compression
# (the source PAN is omitted): frame control 2 + sequence 1 + destination PAN 2 +
# destination short 2 + source short 2, then the FCS 2. MAC security is off in Zigbee PRO.
MAC_FRAME_CONTROL: Final = 2
MAC_SEQUENCE: Final = 1
MAC_DESTINATION_PAN: Final = 2
MAC_SHORT_ADDRESS: Final = 2
MAC_FCS: Final = 2
MAC_OVERHEAD: Final = MAC_FRAME_CONTROL + MAC_SEQUENCE + MAC_DESTINATION_PAN + 2 * MAC_SHORT_ADDRESS + MAC_FCS

# Zigbee PRO (05-3474), 3.3.1: frame control 2 + destination 2 + source 2 + radius 1 +
# sequence 1 (no IEEE addresses, no multicast control, no source route).
NWK_HEADER: Final = 2 + 2 + 2 + 1 + 1
# 4.5.1: the auxiliary security header of a NWK-secured frame: security control 1 + frame
# counter 4 + source IEEE address 8 (NWK frames always carry the extended nonce) + key
# sequence number 1 (key identifier "network key").
SECURITY_CONTROL: Final = 1
FRAME_COUNTER: Final = 4
SOURCE_IEEE: Final = 8
KEY_SEQUENCE_NUMBER: Final = 1
NWK_AUXILIARY_HEADER: Final = SECURITY_CONTROL + FRAME_COUNTER + SOURCE_IEEE + KEY_SEQUENCE_NUMBER
# 4.5.1.1: security level 5 (ENC-MIC-32) appends a 4-octet message integrity code.
MIC_32: Final = 4
NWK_OVERHEAD: Final = NWK_HEADER + NWK_AUXILIARY_HEADER + MIC_32

# 2.2.5.1: APS data frame: frame control 1 + destination endpoint 1 + cluster 2 +
# profile 2 + source endpoint 1 + APS counter 1 (no extended header: not fragmented).
APS_HEADER: Final = 1 + 1 + 2 + 2 + 1 + 1
# 4.5.1: the APS auxiliary header of a link-key-secured frame: security control 1 + frame
# counter 4 + source IEEE address 8 (extended nonce); no key sequence number (key identifier
# "data key"); then the 4-octet MIC. The extended nonce is the sender's choice: many stacks
# leave it out of data frames (the nonce then takes the NWK header's source), which leaves 73
# octets of ZCL. The harness budgets for a sender that includes it: a frame that fits 65
# fits either way, and a GB meter may be either kind.
APS_AUXILIARY_HEADER: Final = SECURITY_CONTROL + FRAME_COUNTER + SOURCE_IEEE
APS_SECURED_OVERHEAD: Final = APS_HEADER + APS_AUXILIARY_HEADER + MIC_32
APS_AUXILIARY_HEADER_WITHOUT_NONCE: Final = SECURITY_CONTROL + FRAME_COUNTER  # 5

# What is left for the ZCL frame (header and payload) of an APS-encrypted unicast: 65 octets.
MAX_SECURED_ZCL_FRAME: Final = PHY_MAX_PACKET - MAC_OVERHEAD - NWK_OVERHEAD - APS_SECURED_OVERHEAD
# The same without APS security (NWK security only): 82 octets, the figure Zigbee stacks
# quote as the largest unfragmented APS payload.
MAX_NWK_SECURED_ZCL_FRAME: Final = PHY_MAX_PACKET - MAC_OVERHEAD - NWK_OVERHEAD - APS_HEADER


def fits_secured(zcl_frame: bytes) -> bool:
    """Does this ZCL frame fit one APS- and NWK-secured unicast radio frame?"""
    return len(zcl_frame) <= MAX_SECURED_ZCL_FRAME
