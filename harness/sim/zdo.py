"""ZDO descriptors a simulated node (or the emulated coordinator) answers with.

Serialisation uses zigpy's own ZDO command schemas so descriptors are byte-exact with
what zigpy parses; only the answering behaviour lives here.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import zigpy.types as zt
import zigpy.zdo.types as zdo_t

Cmd = zdo_t.ZDOCmd


def encode(command: Cmd, tsn: int, *args: Any) -> bytes:
    """A ZDO frame (TSN first) with zigpy's schema for `command`; trailing optionals may be left out."""
    _names, types = zdo_t.CLUSTERS[command]
    return bytes([tsn]) + zt.serialize(list(args), types[: len(args)])


def decode(cluster_id: int, data: bytes) -> tuple[int, Cmd | None, list[Any]]:
    """(tsn, command or None when unknown, arguments)."""
    if not data:
        raise ValueError("empty ZDO frame")
    try:
        command = Cmd(cluster_id)
    except ValueError:
        return data[0], None, []
    _names, types = zdo_t.CLUSTERS[command]
    args, _rest = zt.deserialize(data[1:], types)
    return data[0], command, list(args)


@dataclasses.dataclass
class Descriptors:
    """What a node says about itself in ZDO."""

    ieee: zt.EUI64
    logical_type: zdo_t.LogicalType
    manufacturer_code: int
    endpoints: list[zdo_t.SimpleDescriptor]
    mac_capabilities: int = 0x8E  # mains powered, rx on when idle, allocate address

    def node_descriptor(self) -> zdo_t.NodeDescriptor:
        return zdo_t.NodeDescriptor(
            logical_type=self.logical_type,
            complex_descriptor_available=0,
            user_descriptor_available=0,
            reserved=0,
            aps_flags=0,
            frequency_band=zdo_t.NodeDescriptor.FrequencyBand.Freq2400MHz,
            mac_capability_flags=zdo_t.NodeDescriptor.MACCapabilityFlags(self.mac_capabilities),
            manufacturer_code=self.manufacturer_code,
            maximum_buffer_size=82,
            maximum_incoming_transfer_size=82,
            server_mask=0,
            maximum_outgoing_transfer_size=82,
            descriptor_capability_field=zdo_t.NodeDescriptor.DescriptorCapability.NONE,
        )

    def answer(self, nwk: int, cluster_id: int, data: bytes) -> tuple[int, bytes] | None:
        """(response cluster, response frame) for a ZDO request addressed to this node."""
        tsn, command, args = decode(cluster_id, data)
        ok = zdo_t.Status.SUCCESS
        if command is Cmd.Node_Desc_req:
            return Cmd.Node_Desc_rsp, encode(Cmd.Node_Desc_rsp, tsn, ok, nwk, self.node_descriptor())
        if command is Cmd.Active_EP_req:
            eps = [d.endpoint for d in self.endpoints]
            return Cmd.Active_EP_rsp, encode(Cmd.Active_EP_rsp, tsn, ok, nwk, eps)
        if command is Cmd.Simple_Desc_req:
            wanted = args[1]
            for desc in self.endpoints:
                if desc.endpoint == wanted:
                    sized = zdo_t.SizePrefixedSimpleDescriptor(**desc.as_dict())
                    return Cmd.Simple_Desc_rsp, encode(Cmd.Simple_Desc_rsp, tsn, ok, nwk, sized)
            return Cmd.Simple_Desc_rsp, encode(Cmd.Simple_Desc_rsp, tsn, zdo_t.Status.NOT_ACTIVE, nwk)
        if command is Cmd.Match_Desc_req:
            _addr, profile, in_clusters, out_clusters = args
            matches = [
                d.endpoint
                for d in self.endpoints
                if d.profile == profile
                and (set(d.input_clusters) & set(in_clusters) or set(d.output_clusters) & set(out_clusters))
            ]
            if not matches:
                return None  # no match: a broadcast Match_Desc_req gets no answer
            return Cmd.Match_Desc_rsp, encode(Cmd.Match_Desc_rsp, tsn, ok, nwk, matches)
        if command is Cmd.IEEE_addr_req:
            return Cmd.IEEE_addr_rsp, encode(Cmd.IEEE_addr_rsp, tsn, ok, self.ieee, nwk)
        if command is Cmd.NWK_addr_req:
            return Cmd.NWK_addr_rsp, encode(Cmd.NWK_addr_rsp, tsn, ok, self.ieee, nwk)
        return None
