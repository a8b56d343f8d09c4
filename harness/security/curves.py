"""The two Koblitz curves of Smart Energy key establishment (SEC 2 2.4): y^2 + xy = x^3 + ax^2 + b
over GF(2^m), with affine points, SEC 1 point compression and scalar multiplication (τ-adic).

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
        """k·p by the τ-adic NAF of k reduced modulo τ^m − 1 (Solinas; Hankerson, Menezes,
        Vanstone, Guide to ECC, 3.4). On a Koblitz curve the Frobenius map τ(x, y) = (x², y²)
        is two squarings, and τ satisfies τ² = μτ − 2 on every point; writing k in base τ with
        digits 0, ±1 replaces the ~m doublings of a binary method (each an inversion) by ~m
        Frobenius maps, leaving ~m/3 additions: 2.5-3.5 times faster for a full-size scalar,
        the trust centre's ECMQV h·s. τ^m − 1 maps every point of E(GF(2^m)) to infinity
        (τ^m is the identity there), so the reduction holds for any point, not only for the
        subgroup of G: a peer's key outside it gives the same k·p as any method would."""
        if k < 0:
            return self.mul(-k, self.neg(p))
        if p is None or k == 0:
            return None
        sqr, add = self.field.sqr, self.add
        minus = self.neg(p)
        result: Point = None
        for digit in reversed(self._tau_naf(k)):
            if result is not None:
                result = (sqr(result[0]), sqr(result[1]))
            if digit == 1:
                result = add(result, p)
            elif digit == -1:
                result = add(result, minus)
        return result

    @functools.cached_property
    def _mu(self) -> int:
        """μ = (−1)^(1−a): τ² = μτ − 2 in Z[τ]."""
        return 1 if self.a == 1 else -1

    @functools.cached_property
    def _tau_m_minus_1(self) -> tuple[int, int, int]:
        """τ^m − 1 as r0 + r1·τ, and its norm (#E(GF(2^m)) = h·n: checked, a wrong constant
        would give wrong products silently)."""
        mu, x, y = self._mu, 1, 0
        for _ in range(self.field.m):
            x, y = -2 * y, x + mu * y  # τ·(x + yτ) = −2y + (x + μy)τ
        r0, r1 = x - 1, y
        norm = r0 * r0 + mu * r0 * r1 + 2 * r1 * r1
        if norm != self.h * self.n:
            raise ArithmeticError(f"{self.name}: N(τ^m − 1) = {norm}, not h·n")
        return r0, r1, norm

    def _tau_naf(self, k: int) -> list[int]:
        """The τ-adic NAF of k mod τ^m − 1, least significant digit first (Guide to ECC,
        Algorithm 3.61), from the remainder of k divided by τ^m − 1 with the quotient
        rounded to the nearest element of Z[τ] (its norm then at most about h·n: m digits)."""
        mu = self._mu
        m0, m1, norm = self._tau_m_minus_1

        def nearest(numerator: int) -> int:
            return (2 * numerator + norm) // (2 * norm)

        # k / (m0 + m1τ) = k·conj(m0 + m1τ) / norm, conj(x + yτ) = (x + μy) − yτ
        q0, q1 = nearest(k * (m0 + mu * m1)), nearest(-k * m1)
        r0 = k - (q0 * m0 - 2 * q1 * m1)
        r1 = -(q0 * m1 + q1 * m0 + mu * q1 * m1)
        digits: list[int] = []
        while r0 or r1:
            if r0 & 1:
                digit = 2 - ((r0 - 2 * r1) & 3)
                r0 -= digit
            else:
                digit = 0
            digits.append(digit)
            r0, r1 = r1 + mu * (r0 >> 1), -(r0 >> 1)  # (r0 + r1τ) / τ, r0 even
        return digits

    def base_mul(self, k: int) -> Point:
        """k·G from a table of d·16^i·G (fixed-base windowing): one addition per nonzero
        4-bit digit of k and no doubling, less work than `mul`. Every key pair and
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
