"""The binary field GF(2^m) with a polynomial basis: elements are Python ints, bit i the
coefficient of z^i.

Python's big ints make carry-less arithmetic short: multiplication by a 4-bit window
table, squaring by spreading bits through a byte table, inversion by the binary extended
Euclidean algorithm (Hankerson, Menezes, Vanstone, Guide to ECC, 2.48). Not constant-time:
this is a test bench's trust centre, not a product holding long-lived secrets.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def _spread(byte: int) -> int:
    """Bit i of `byte` to bit 2i: squaring in characteristic 2."""
    out = 0
    for i in range(8):
        if byte >> i & 1:
            out |= 1 << (2 * i)
    return out


_SPREAD = tuple(_spread(b).to_bytes(2, "little") for b in range(256))


@dataclass(frozen=True)
class BinaryField:
    """GF(2^m) modulo f(z) = z^m + sum(z^k for k in taps); taps include 0."""

    m: int
    taps: tuple[int, ...]
    _mask: int = field(init=False, repr=False)
    _modulus: int = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_mask", (1 << self.m) - 1)
        object.__setattr__(self, "_modulus", (1 << self.m) | sum(1 << k for k in self.taps))

    @property
    def octets(self) -> int:
        """Length of an element as an octet string (SEC 1 2.3.5)."""
        return (self.m + 7) // 8

    def contains(self, a: int) -> bool:
        return 0 <= a < (1 << self.m)

    def reduce(self, a: int) -> int:
        m, mask, taps = self.m, self._mask, self.taps
        # z^m = sum(z^k for k in taps): fold the high part down until it is gone; with the
        # SEC 2 trinomials and pentanomials that takes two passes at most.
        while a >> m:
            high = a >> m
            a &= mask
            for k in taps:
                a ^= high << k
        return a

    def add(self, a: int, b: int) -> int:
        return a ^ b

    def mul(self, a: int, b: int) -> int:
        if a.bit_length() < b.bit_length():
            a, b = b, a
        table = [0, a]
        for i in range(2, 16):
            table.append(table[i >> 1] << 1 if i % 2 == 0 else table[i - 1] ^ a)
        result = 0
        shift = 0
        while b:
            result ^= table[b & 15] << shift
            b >>= 4
            shift += 4
        return self.reduce(result)

    def sqr(self, a: int) -> int:
        raw = a.to_bytes(self.octets, "little")
        return self.reduce(int.from_bytes(b"".join(_SPREAD[b] for b in raw), "little"))

    def inv(self, a: int) -> int:
        if a == 0:
            raise ZeroDivisionError("0 has no inverse in GF(2^m)")
        u, v = a, self._modulus
        g1, g2 = 1, 0
        while u != 1:
            j = u.bit_length() - v.bit_length()
            if j < 0:
                u, v = v, u
                g1, g2 = g2, g1
                j = -j
            u ^= v << j
            g1 ^= g2 << j
        return self.reduce(g1)

    def div(self, a: int, b: int) -> int:
        return self.mul(a, self.inv(b))

    def sqrt(self, a: int) -> int:
        """a^(2^(m-1)): the unique square root in characteristic 2."""
        for _ in range(self.m - 1):
            a = self.sqr(a)
        return a

    def trace(self, a: int) -> int:
        t = a
        for _ in range(self.m - 1):
            a = self.sqr(a)
            t ^= a
        return t

    def half_trace(self, a: int) -> int:
        """For odd m, a root z of z^2 + z = a when trace(a) is 0 (the other is z + 1)."""
        h = a
        for _ in range((self.m - 1) // 2):
            a = self.sqr(self.sqr(a))
            h ^= a
        return h
