"""The physical limits a figure is read against: air time at 250 kbit/s, UART time at 115200 baud.

The frames are the ones a Publish CoT round trip really uses: the ZCL bytes from
`harness.zcl.codec`, the MAC/NWK/APS headers from the capture's reconstruction
(`harness.evidence.pcapng.frame_bytes`), the serial frames from zigpy-znp's own MT command
definitions (AF.DataRequestExt, which zigpy-znp 1.1 sends for every unicast, and the
AF.IncomingMsg the emulated stick answers with).

Assumptions (docs/performance.md repeats them):
- 2.4 GHz O-QPSK PHY, 250 kbit/s: 32 µs per octet; 6 octets of PHY header (4 preamble,
  1 SFD, 1 PHR) in front of every MPDU. A full 127-octet PSDU takes 133 × 32 µs = 4.256 ms.
- A real SE HAN secures every frame twice: NWK security (auxiliary header 14 octets: control,
  frame counter, source IEEE, key sequence; MIC 4) and APS security with the link key for SE
  clusters (auxiliary header 5: control, frame counter; MIC 4). The capture reconstruction
  carries neither (it holds no keys by design), so it is the lower of the two lengths.
- One hop, no CSMA-CA backoff (on average 3.5 backoff periods × 320 µs = 1.12 ms more per
  frame with macMinBE 3), no retries; a MAC acknowledgement (5 octets) after aTurnaroundTime
  (12 symbols = 192 µs) for each unicast.
- UART 115200 baud, 8N1: 10 bits per octet, 86.8 µs per octet; host and stick take turns in a
  round trip (request, SRSP, DataConfirm, IncomingMsg), so their times add up.
"""

from __future__ import annotations

import dataclasses

import zigpy_znp.commands as c
import zigpy_znp.types as t
from zigpy_znp.frames import TransportFrame

from harness.esi.meter import CotEvent
from harness.evidence import mpdu
from harness.evidence.pcapng import frame_bytes
from harness.radio.trace import Direction, FrameRecord
from harness.zcl import codec, ids
from harness.zcl import limits as frame_limits
from harness.zcl.codec import Direction as ZclDirection

# The air and the secured frame's octets, as the harness itself counts them: the capture's
# airtime (harness.evidence.mpdu) and the secured-frame limit's terms (harness.zcl.limits).
OCTET_AIR_S = mpdu.OCTET_US * 1e-6  # 32 µs at 250 kbit/s
MAX_PSDU = frame_limits.PHY_MAX_PACKET
MAC_ACK = mpdu.ACK_LEN
TURNAROUND_S = mpdu.TURNAROUND_US * 1e-6
UART_BAUD = 115_200
UART_BITS_PER_OCTET = 10  # start, 8 data, stop
OCTET_UART_S = UART_BITS_PER_OCTET / UART_BAUD

# Addresses and endpoints of the simulated reference bench (device_profiles/sim-ihd.yaml).
COORDINATOR, UNIT, ESME_EP, UNIT_EP, SE_PROFILE = 0x0000, 0xD549, 9, 1, 0x0109
COORDINATOR_IEEE, UNIT_IEEE = "00:12:4b:00:1c:a1:b2:c3", "00:0d:6f:00:0a:bc:de:f0"


def air_seconds(mpdu_octets: int) -> float:
    """On-air time of one PPDU carrying `mpdu_octets` (FCS included)."""
    return mpdu.airtime_us(mpdu_octets) * 1e-6


def publish_cot_payload(tsn: int = 0x14) -> bytes:
    """The ZCL frame of a Publish CoT as the emulated ESME sends it (harness.esi.meter)."""
    event = CotEvent(issuer_event_id=0x0032A16B, implementation_time=0x0032A16B)
    return codec.build(ids.DEVICE_MANAGEMENT, "publish_change_of_tenancy", tsn=tsn, **event.publish_fields())


def default_response_payload(tsn: int = 0x14) -> bytes:
    return codec.default_response(0x00, 0, tsn=tsn, direction=ZclDirection.TO_SERVER, cluster_id=ids.DEVICE_MANAGEMENT)


def cot_record(seq: int = 0, timestamp: float = 1_796_124_372.0) -> FrameRecord:
    """A trace record of the Publish CoT, as the tap records it (TX from the ESME)."""
    return FrameRecord(
        seq=seq,
        timestamp=timestamp,
        direction=Direction.TX,
        src_nwk=COORDINATOR,
        src_ep=ESME_EP,
        dst_nwk=UNIT,
        dst_ep=UNIT_EP,
        profile_id=SE_PROFILE,
        cluster_id=ids.DEVICE_MANAGEMENT,
        payload=publish_cot_payload(),
        src_ieee=COORDINATOR_IEEE,
        dst_ieee=UNIT_IEEE,
    )


def answer_record() -> FrameRecord:
    return dataclasses.replace(
        cot_record(seq=1),
        direction=Direction.RX,
        src_nwk=UNIT,
        src_ep=UNIT_EP,
        dst_nwk=COORDINATOR,
        dst_ep=ESME_EP,
        payload=default_response_payload(),
        src_ieee=UNIT_IEEE,
        dst_ieee=COORDINATOR_IEEE,
    )


def _mt_octets(command: object) -> int:
    return len(TransportFrame(command.to_frame()).serialize())  # type: ignore[attr-defined]


@dataclasses.dataclass(frozen=True)
class Limits:
    """The octets and floor times of one Publish CoT and its Default Response."""

    zcl_cot: int
    zcl_answer: int
    mpdu_cot_capture: int  # as the capture reconstructs it (no security)
    mpdu_cot_secured: int  # minimal secured frame: no optional IEEE addresses in the NWK header
    mpdu_answer_secured: int
    mt_request: int  # AF.DataRequestExt host -> stick
    mt_srsp: int
    mt_confirm: int
    mt_incoming: int  # AF.IncomingMsg of the Default Response, stick -> host

    @property
    def air_cot_s(self) -> float:
        return air_seconds(self.mpdu_cot_secured)

    @property
    def air_round_trip_s(self) -> float:
        """CoT, its MAC ack, the Default Response, its MAC ack: the air's floor."""
        ack = TURNAROUND_S + air_seconds(MAC_ACK)
        return self.air_cot_s + ack + air_seconds(self.mpdu_answer_secured) + ack

    @property
    def uart_request_s(self) -> float:
        return self.mt_request * OCTET_UART_S

    @property
    def uart_round_trip_s(self) -> float:
        return (self.mt_request + self.mt_srsp + self.mt_confirm + self.mt_incoming) * OCTET_UART_S

    @property
    def round_trip_floor_s(self) -> float:
        """Serial and air in sequence: the stick cannot send before it has the request."""
        return self.uart_round_trip_s + self.air_round_trip_s

    def as_json(self) -> dict[str, object]:
        return dataclasses.asdict(self) | {
            "air_cot_s": self.air_cot_s,
            "air_round_trip_s": self.air_round_trip_s,
            "uart_request_s": self.uart_request_s,
            "uart_round_trip_s": self.uart_round_trip_s,
            "round_trip_floor_s": self.round_trip_floor_s,
        }


def _secured_mpdu(zcl_octets: int) -> int:
    # The secured-frame limit's terms, with the APS auxiliary header without the extended
    # nonce (5 octets, as most stacks send data frames); the limit itself budgets for 13.
    aps = frame_limits.APS_HEADER + frame_limits.APS_AUXILIARY_HEADER_WITHOUT_NONCE + frame_limits.MIC_32
    return frame_limits.MAC_OVERHEAD + frame_limits.NWK_OVERHEAD + aps + zcl_octets


def limits() -> Limits:
    cot, answer = cot_record(), answer_record()
    capture = frame_bytes(cot, pan_id=0x1A62, seq=0, aps_counter=0)
    request = c.AF.DataRequestExt.Req(
        DstAddrModeAddress=t.AddrModeAddress(mode=t.AddrMode.NWK, address=UNIT),
        DstEndpoint=UNIT_EP,
        DstPanId=0x0000,
        SrcEndpoint=ESME_EP,
        ClusterId=ids.DEVICE_MANAGEMENT,
        TSN=0x2A,
        Options=c.af.TransmitOptions.SUPPRESS_ROUTE_DISC_NETWORK | c.af.TransmitOptions.ACK_REQUEST,
        Radius=0,
        Data=t.LongBytes(cot.payload),
    )
    incoming = c.AF.IncomingMsg.Callback(
        GroupId=0x0000,
        ClusterId=ids.DEVICE_MANAGEMENT,
        SrcAddr=UNIT,
        SrcEndpoint=UNIT_EP,
        DstEndpoint=ESME_EP,
        WasBroadcast=False,
        LQI=255,
        SecurityUse=False,
        TimeStamp=0,
        TSN=0x2A,
        Data=t.ShortBytes(answer.payload),
        MacSrcAddr=UNIT,
        MsgResultRadius=0,
    )
    return Limits(
        zcl_cot=len(cot.payload),
        zcl_answer=len(answer.payload),
        mpdu_cot_capture=len(capture),
        mpdu_cot_secured=_secured_mpdu(len(cot.payload)),
        mpdu_answer_secured=_secured_mpdu(len(answer.payload)),
        mt_request=_mt_octets(request),
        mt_srsp=_mt_octets(c.AF.DataRequestExt.Rsp(Status=t.Status.SUCCESS)),
        mt_confirm=_mt_octets(c.AF.DataConfirm.Callback(Status=t.Status.SUCCESS, Endpoint=ESME_EP, TSN=0x2A)),
        mt_incoming=_mt_octets(incoming),
    )


def full_psdu_seconds() -> float:
    """The brief's check: 127 octets + 6 of PHY header = 4.256 ms."""
    return air_seconds(MAX_PSDU)
