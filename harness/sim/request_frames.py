"""The requests a simulated unit makes of its meters, encoded once per content.

A unit asks the same things over and over (the CoT attributes on every poll, the rest of a
Read Attributes its meter had no room for): the frame differs only in its TSN. The octets
come from `codec.build` once per (cluster, command, fields) and get each request's TSN put
in; tests/sim/test_request_frames.py proves them equal to `codec.build`'s for the fetches
every reference device makes. Fields that are not plain values (ints, strings, bytes, lists
of them) are built afresh each time.
"""

from __future__ import annotations

import functools
from typing import Any

from harness.zcl import codec
from harness.zcl.codec import Direction

_TSN_OFFSET = 1  # frame control, then the TSN: the unit's requests carry no manufacturer code
_PLAIN = (int, str, bytes)
Key = tuple[tuple[str, type, Any], ...]


def request_frame(cluster_id: int, command: str, tsn: int, **fields: object) -> bytes:
    """`codec.build(cluster_id, command, tsn=tsn, direction=TO_SERVER, **fields)`."""
    key = _key(fields)
    if key is None:
        return codec.build(cluster_id, command, tsn=tsn, direction=Direction.TO_SERVER, **fields)
    octets = _built(cluster_id, command, key)
    return octets[:_TSN_OFFSET] + bytes((tsn,)) + octets[_TSN_OFFSET + 1 :]


def _key(fields: dict[str, object]) -> Key | None:
    """The fields as a cache key, each value with its exact type; None if one is not plain, or
    if the frame is manufacturer-specific (its TSN then follows the code, not at _TSN_OFFSET)."""
    if "manufacturer_code" in fields:
        return None
    key = []
    for name, value in fields.items():
        if isinstance(value, list) and all(isinstance(v, _PLAIN) for v in value):
            key.append((name, list, tuple((type(v), v) for v in value)))
        elif isinstance(value, _PLAIN):
            key.append((name, type(value), value))
        else:
            return None
    return tuple(key)


@functools.lru_cache(maxsize=1024)
def _built(cluster_id: int, command: str, key: Key) -> bytes:
    fields = {name: [v for _type, v in value] if kind is list else value for name, kind, value in key}
    return codec.build(cluster_id, command, tsn=0, direction=Direction.TO_SERVER, **fields)
