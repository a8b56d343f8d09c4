"""The two Koblitz curves of Smart Energy key establishment (SEC 2 2.4): y^2 + xy = x^3 + ax^2 + b
over GF(2^m), with affine points, SEC 1 point compression and scalar multiplication.

Crypto suite 1 is sect163k1, suite 2 sect283k1 (Smart Energy 1.x, Annex C). Points are
(x, y) tuples of field elements; None is the point at infinity.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from harness.security.errors import InvalidPoint, UnsupportedSuite
from harness.security.field import BinaryField

Point = tuple[int, int] | None
_WINDOW_BITS = 4
_WINDOW_MASK = (1 << _WINDOW_BITS) - 1


@dataclass(frozen=True)
class KoblitzCurve:
    name: str
    suite: int  # the Key Establishment suite number (1 or 2)
    field: BinaryField
    a: int
    b: int
    g: tuple[int, int]
    n: int  # order of G
    h: int  # cofactor

    @property
    def point_octets(self) -> int:
        """A compressed point: one prefix octet and x."""
        return 1 + self.field.octets

    @property
    def scalar_octets(self) -> int:
        return (self.n.bit_length() + 7) // 8

    # -- the group law ---------------------------------------------------------------
    def on_curve(self, p: Point) -> bool:
        if p is None:
            return True
        f = self.field
        x, y = p
        if not (f.contains(x) and f.contains(y)):
            return False
        x2 = f.sqr(x)
        lhs = f.sqr(y) ^ f.mul(x, y)
        rhs = f.mul(x2, x) ^ (x2 if self.a else 0) ^ self.b
        return lhs == rhs

    def neg(self, p: Point) -> Point:
        return None if p is None else (p[0], p[0] ^ p[1])

    def double(self, p: Point) -> Point:
        if p is None or p[0] == 0:
            return None  # x = 0 is the point of order 2
        f = self.field
        x, y = p
        lam = x ^ f.div(y, x)
        x3 = f.sqr(lam) ^ lam ^ self.a
        y3 = f.sqr(x) ^ f.mul(lam ^ 1, x3)
        return (x3, y3)

    def add(self, p: Point, q: Point) -> Point:
        if p is None:
            return q
        if q is None:
            return p
        f = self.field
        x1, y1 = p
        x2, y2 = q
        if x1 == x2:
            return self.double(p) if y1 == y2 else None  # q = -p otherwise
        lam = f.div(y1 ^ y2, x1 ^ x2)
        x3 = f.sqr(lam) ^ lam ^ x1 ^ x2 ^ self.a
        y3 = f.mul(lam, x1 ^ x3) ^ x3 ^ y1
        return (x3, y3)

    def mul(self, k: int, p: Point) -> Point:
        """k·p by a width-4 NAF (about m doublings and m/5 additions)."""
        if k < 0:
            return self.mul(-k, self.neg(p))
        if p is None or k == 0:
            return None
        naf: list[int] = []
        while k:
            if k & 1:
                digit = k & 15
                if digit >= 8:
                    digit -= 16
                k -= digit
            else:
                digit = 0
            naf.append(digit)
            k >>= 1
        odd = {1: p}
        twice = self.double(p)
        for d in range(3, 8, 2):
            odd[d] = self.add(odd[d - 2], twice)
        result: Point = None
        for digit in reversed(naf):
            result = self.double(result)
            if digit > 0:
                result = self.add(result, odd[digit])
            elif digit < 0:
                result = self.add(result, self.neg(odd[-digit]))
        return result

    def base_mul(self, k: int) -> Point:
        """k·G from a table of d·16^i·G (fixed-base windowing): one addition per nonzero
        4-bit digit of k and no doubling, about a fifth of `mul`'s work. Every key pair and
        every exchange's ephemeral key is a multiple of G (two a side an exchange), so the
        table (made once per process: ~0.15 s for sect283k1) pays for itself within the first
        exchange. A k the table does not span (negative, or longer than n) goes through `mul`."""
        table = self.base_table
        if k < 0 or k.bit_length() > _WINDOW_BITS * len(table):
            return self.mul(k, self.g)
        result: Point = None
        for row in table:
            if not k:
                break
            if k & _WINDOW_MASK:
                result = self.add(result, row[k & _WINDOW_MASK])
            k >>= _WINDOW_BITS
        return result

    @functools.cached_property
    def base_table(self) -> list[list[Point]]:
        """Row i holds d·16^i·G for d = 0..15 (made on first use, then kept with the curve)."""
        table = []
        base: Point = self.g
        for _ in range((self.n.bit_length() + _WINDOW_BITS - 1) // _WINDOW_BITS):
            row: list[Point] = [None, base]
            for _d in range(2, _WINDOW_MASK + 1):
                row.append(self.add(row[-1], base))
            table.append(row)
            for _ in range(_WINDOW_BITS):
                base = self.double(base)
        return table

    # -- SEC 1 encoding --------------------------------------------------------------
    def compress(self, p: Point) -> bytes:
        if p is None:
            raise InvalidPoint("the point at infinity has no compressed form")
        f = self.field
        x, y = p
        y_bit = 0 if x == 0 else f.div(y, x) & 1
        return bytes([2 | y_bit]) + x.to_bytes(f.octets, "big")

    def decompress(self, data: bytes, what: str = "point") -> tuple[int, int]:
        """The point a compressed octet string names; InvalidPoint says why there is none."""
        f = self.field
        if len(data) != self.point_octets:
            raise InvalidPoint(f"{what}: {len(data)} octets, a compressed {self.name} point has {self.point_octets}")
        if data[0] not in (2, 3):
            raise InvalidPoint(f"{what}: prefix 0x{data[0]:02x}, a compressed point starts 0x02 or 0x03")
        x = int.from_bytes(data[1:], "big")
        if not f.contains(x):
            raise InvalidPoint(f"{what}: x has more than {f.m} bits, not an element of the {self.name} field")
        if x == 0:
            point = (0, f.sqrt(self.b))
        else:
            # y = x·z with z^2 + z = x + a + b/x^2 (SEC 1 2.3.4)
            beta = x ^ self.a ^ f.mul(self.b, f.inv(f.sqr(x)))
            if f.trace(beta):
                raise InvalidPoint(f"{what}: no point of {self.name} has this x")
            z = f.half_trace(beta)
            if z & 1 != data[0] & 1:
                z ^= 1
            point = (x, f.mul(x, z))
        if not self.on_curve(point):  # a guard on the arithmetic itself
            raise InvalidPoint(f"{what}: decompressed point is not on {self.name}")
        return point


SECT163K1 = KoblitzCurve(
    name="sect163k1",
    suite=1,
    field=BinaryField(163, (7, 6, 3, 0)),
    a=1,
    b=1,
    g=(
        0x02FE13C0537BBC11ACAA07D793DE4E6D5E5C94EEE8,
        0x0289070FB05D38FF58321F2E800536D538CCDAA3D9,
    ),
    n=0x04000000000000000000020108A2E0CC0D99F8A5EF,
    h=2,
)

SECT283K1 = KoblitzCurve(
    name="sect283k1",
    suite=2,
    field=BinaryField(283, (12, 7, 5, 0)),
    a=0,
    b=1,
    g=(
        0x0503213F78CA44883F1A3B8162F188E553CD265F23C1567A16876913B0C2AC2458492836,
        0x01CCDA380F1C9E318D90F95D07E5426FE87E45C0E8184698E45962364E34116177DD2259,
    ),
    n=0x01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFE9AE2ED07577265DFF7F94451E061E163C61,
    h=4,
)

CURVES = {1: SECT163K1, 2: SECT283K1}


def curve_for_suite(suite: int) -> KoblitzCurve:
    try:
        return CURVES[suite]
    except KeyError:
        raise UnsupportedSuite(
            f"crypto suite {suite}: Smart Energy defines suite 1 (sect163k1) and suite 2 (sect283k1)"
        ) from None
