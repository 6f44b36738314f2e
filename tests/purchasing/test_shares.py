"""``split_price``: equal shares in whole won that always sum exactly to the price."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.services.shares import split_price


@settings(max_examples=500, deadline=None)
@given(price=st.integers(min_value=0, max_value=10**12), n=st.integers(min_value=1, max_value=50))
def test_shares_sum_to_price_and_differ_by_at_most_one_won(price, n):
    shares = split_price(price, n)
    assert len(shares) == n
    assert sum(shares) == price
    assert all(isinstance(s, int) and s >= 0 for s in shares)
    assert max(shares) - min(shares) <= 1
    # Largest remainder in join order: the first `price % n` teams pay the extra won.
    remainder = price % n
    assert shares == [price // n + 1] * remainder + [price // n] * (n - remainder)
    # Non-increasing in join order: nobody who joined later pays more.
    assert all(a >= b for a, b in zip(shares, shares[1:], strict=False))


def test_examples():
    assert split_price(100, 3) == [34, 33, 33]
    assert split_price(101, 3) == [34, 34, 33]
    assert split_price(600_000_000, 5) == [120_000_000] * 5
    assert split_price(10**12, 7) == [142_857_142_858] + [142_857_142_857] * 6
    assert split_price(7, 1) == [7]


@pytest.mark.parametrize(
    "price, n, exc",
    [
        (100, 0, ValueError),
        (-1, 2, ValueError),
        (1.5, 2, TypeError),
        (100, True, TypeError),
        (True, 2, TypeError),
        ("100", 2, TypeError),
    ],
)
def test_bad_arguments_are_refused(price, n, exc):
    with pytest.raises(exc):
        split_price(price, n)
