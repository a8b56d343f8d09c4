"""A simulated unit's request from harness.sim.request_frames equals `codec.build`'s, octet
for octet: for every fetch of every data class (its row's and those `also_fetched`), the CoT
queries and the Read Attributes a unit repeats for what did not fit, at every TSN edge, asked
twice (the second from the cache); and a field that is not a plain value is built afresh."""

from __future__ import annotations

import datetime

import pytest

from harness.domain import DATA_CLASSES
from harness.sim.request_frames import request_frame
from harness.zcl import codec
from harness.zcl.codec import Direction
from harness.zcl.ids import DEVICE_MANAGEMENT, METERING, TIME

TSNS = (0, 1, 0x7F, 0xFF)


def _requests() -> list[tuple[int, str, dict[str, object]]]:
    requests: list[tuple[int, str, dict[str, object]]] = [
        (DEVICE_MANAGEMENT, "read_attributes", {"attribute_ids": [0x0200, 0x0201]}),
        (DEVICE_MANAGEMENT, "get_change_of_tenancy", {}),
        (TIME, "read_attributes", {"attribute_ids": [0x0000]}),
        (METERING, "read_attributes", {"attribute_ids": list(range(0x0100, 0x0140))}),
        (METERING, "read_attributes", {"attribute_ids": [0x0100, 0x0101, True]}),  # a bool is its own key
    ]
    for spec in DATA_CLASSES.values():
        for fetch in (spec.fetch, *spec.also_fetched):
            requests.append((spec.cluster_of(fetch), fetch.command, dict(fetch.fields)))
    return requests


@pytest.mark.parametrize("request_", _requests(), ids=lambda r: f"0x{r[0]:04x}-{r[1]}")
def test_the_request_is_codec_builds(request_: tuple[int, str, dict[str, object]]) -> None:
    cluster, command, fields = request_
    for _twice in range(2):
        for tsn in TSNS:
            expected = codec.build(cluster, command, tsn=tsn, direction=Direction.TO_SERVER, **fields)
            assert request_frame(cluster, command, tsn, **fields) == expected


def test_a_field_that_is_not_plain_is_built_afresh() -> None:
    when = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)
    with pytest.raises(codec.ZclEncodeError):  # as codec.build refuses it, so does the unit's request
        request_frame(METERING, "read_attributes", 3, attribute_ids=when)
