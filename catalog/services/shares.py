"""Splitting a price between the teams of a joint purchase, in whole won.

Every team owes an equal share. Won are indivisible, so ``price // n`` is each team's
base share and ``price % n`` won remain; the largest-remainder (Hamilton) rule gives
them one each to the teams with the largest fractional parts. With equal quotas every
fractional part is the same, so the tie is broken by join order: the first
``remainder`` teams to join pay one won more. Shares always sum exactly to the price.
"""

from __future__ import annotations


def split_price(price_krw: int, n_teams: int) -> list[int]:
    """Shares of ``price_krw`` for ``n_teams`` teams, listed in join order."""
    if isinstance(price_krw, bool) or not isinstance(price_krw, int):
        raise TypeError("price_krw must be an int (whole won)")
    if isinstance(n_teams, bool) or not isinstance(n_teams, int):
        raise TypeError("n_teams must be an int")
    if price_krw < 0:
        raise ValueError("price_krw must not be negative")
    if n_teams < 1:
        raise ValueError("at least one team must share the price")
    base, remainder = divmod(price_krw, n_teams)
    return [base + 1 if i < remainder else base for i in range(n_teams)]
