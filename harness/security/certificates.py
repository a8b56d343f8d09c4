"""The two Smart Energy implicit-certificate layouts (ECQV, SEC 4), as declarative fields.

Suite 1 (48 octets, Smart Energy 1.x Annex C.4.2.2): reconstruction point | subject |
issuer | profile attribute data. Suite 2 (74 octets, the Zigbee "minimal" ECQV
certificate): type | serial | curve | hash | issuer | valid from | valid to | subject |
key usage | reconstruction point. Byte offsets as ../shared/vectors/cbke.md confirms them.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.security.curves import SECT163K1, SECT283K1, KoblitzCurve
from harness.security.errors import InvalidCertificate


@dataclass(frozen=True)
class Layout:
    suite: int
    curve: KoblitzCurve
    length: int
    fields: tuple[tuple[str, int, int], ...]  # (name, offset, length)
    fixed: tuple[tuple[str, int], ...] = ()  # (field, required value) a valid one carries

    def slice(self, certificate: bytes, name: str) -> bytes:
        for field_name, offset, length in self.fields:
            if field_name == name:
                return certificate[offset : offset + length]
        raise KeyError(name)


SUITE1 = Layout(
    suite=1,
    curve=SECT163K1,
    length=48,
    fields=(
        ("reconstruction_point", 0, 22),
        ("subject", 22, 8),
        ("issuer", 30, 8),
        ("profile_attribute_data", 38, 10),
    ),
)

SUITE2 = Layout(
    suite=2,
    curve=SECT283K1,
    length=74,
    fields=(
        ("type", 0, 1),
        ("serial", 1, 8),
        ("curve", 9, 1),
        ("hash", 10, 1),
        ("issuer", 11, 8),
        ("valid_from", 19, 5),
        ("valid_to", 24, 4),
        ("subject", 28, 8),
        ("key_usage", 36, 1),
        ("reconstruction_point", 37, 37),
    ),
    # type 0 (implicit), curve 0x0D (sect283k1), hash 0x08 (AES-MMO)
    fixed=(("type", 0x00), ("curve", 0x0D), ("hash", 0x08)),
)

LAYOUTS = {layout.length: layout for layout in (SUITE1, SUITE2)}


@dataclass(frozen=True)
class Certificate:
    layout: Layout
    raw: bytes

    @property
    def suite(self) -> int:
        return self.layout.suite

    @property
    def subject(self) -> bytes:
        """The device's IEEE address, big-endian as the certificate carries it."""
        return self.layout.slice(self.raw, "subject")

    @property
    def issuer(self) -> bytes:
        return self.layout.slice(self.raw, "issuer")

    @property
    def reconstruction_point(self) -> bytes:
        return self.layout.slice(self.raw, "reconstruction_point")


def parse_certificate(certificate: bytes, what: str = "certificate") -> Certificate:
    """The certificate's layout by its length, its fixed fields checked."""
    layout = LAYOUTS.get(len(certificate))
    if layout is None:
        raise InvalidCertificate(f"{what}: {len(certificate)} octets; a suite 1 certificate has 48, a suite 2 one 74")
    for name, value in layout.fixed:
        got = layout.slice(certificate, name)[0]
        if got != value:
            raise InvalidCertificate(
                f"{what}: suite {layout.suite} field {name} is 0x{got:02x}, it must be 0x{value:02x}"
            )
    return Certificate(layout, bytes(certificate))
