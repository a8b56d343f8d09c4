"""Field types shared by the Smart Energy cluster definitions.

Conventions from the wire reference (se-wire-reference.md, "Conventions"): little-endian
integers, UTC as uint32 seconds since 2000, strings as one length octet then the bytes.
zigpy's own types cover almost everything; this module adds the few refinements a
conformance harness needs (hex display of identifiers, byte-exact character strings).
"""

from __future__ import annotations

import zigpy.types as t

from harness.zcl import seams


class IssuerEventId(t.uint32_t, repr="hex"):
    """uint32 event identifier; GB fills it with a UTC timestamp, so hex reads best."""


class MessageId(t.uint32_t, repr="hex"):
    """Messaging MessageID (uint32); GB fills it with a UTC timestamp value too."""


# Octet strings: zigpy's LVBytes already round-trips byte for byte.
OctetString = t.LVBytes
LimitedOctetString = t.LimitedLVBytes


class CharString(t.CharacterString):
    """ZCL character string that re-encodes exactly the octets it was decoded from.

    zigpy's CharacterString cuts decoded text at the first NUL, replaces invalid UTF-8
    and prefixes the *character* count rather than the octet count when encoding. A
    harness has to resend and record what devices send, so the decoded octets are kept
    in ``raw`` and reused, and new text is length-prefixed by its UTF-8 octet count.
    """

    def serialize(self) -> bytes:
        prefix, invalid = seams.prefix_length(type(self)), seams.invalid_length(type(self))
        if self.invalid:
            # 0xFF is ZCL's "invalid string" length; it carries no octets.
            return invalid.to_bytes(prefix, "little")

        raw = self.raw if isinstance(self.raw, bytes) else str(self).encode("utf-8")

        if len(raw) >= invalid:
            raise ValueError(f"character string is {len(raw)} octets, at most {invalid - 1} fit")

        return len(raw).to_bytes(prefix, "little") + raw
