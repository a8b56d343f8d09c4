"""base_mul's fixed-base table gives k·G exactly as the general scalar multiplication does,
for both suites' curves, at every edge of the table's span."""

from __future__ import annotations

import random

import pytest

from harness.security.curves import SECT163K1, SECT283K1, KoblitzCurve


@pytest.mark.parametrize("curve", [SECT163K1, SECT283K1], ids=lambda c: c.name)
def test_the_table_gives_what_mul_gives(curve: KoblitzCurve) -> None:
    rng = random.Random(curve.name)
    span = 4 * len(curve.base_table)
    edges = [0, 1, 2, 15, 16, 17, 255, 256, curve.n - 1, curve.n, curve.n + 1, (1 << span) - 1]
    for k in edges + [rng.randrange(1 << span) for _ in range(40)]:
        assert curve.base_mul(k) == curve.mul(k, curve.g), hex(k)
    assert curve.base_mul(curve.n) is None  # n·G is the point at infinity


@pytest.mark.parametrize("curve", [SECT163K1, SECT283K1], ids=lambda c: c.name)
def test_outside_the_table_it_is_mul(curve: KoblitzCurve) -> None:
    span = 4 * len(curve.base_table)
    for k in (-1, -curve.n + 5, 1 << span, (1 << (span + 9)) + 12345):
        assert curve.base_mul(k) == curve.mul(k, curve.g)


def test_each_row_is_a_multiple_of_g_by_its_digit_and_place() -> None:
    curve = SECT163K1
    table = curve.base_table
    for i in (0, 1, len(table) - 1):
        for d in (0, 1, 7, 15):
            assert table[i][d] == curve.mul(d << (4 * i), curve.g)
