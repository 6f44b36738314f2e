"""What the catalogue page shows beyond the search itself: the lowest price a team pays,
the matched words marked in titles and descriptions, and the links that remove a filter."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flask import url_for
from markupsafe import Markup, escape

from catalog.models.offers import OfferMode
from catalog.services.search import PRICE_BUCKETS, query_terms
from catalog.services.shares import split_price

# The multi-valued filters of the catalogue form, in the order the page shows them.
FACETS = ("institution", "modality", "use", "price", "sensitivity")
PRICE_ORDER = [name for name, _lo, _hi in PRICE_BUCKETS]


@dataclass(frozen=True)
class TeamPrice:
    """The least one team pays under any active offer: a joint offer's price is split
    between as many teams as it allows."""

    amount: int
    joint: bool
    teams: int


def lowest_team_price(offers: Iterable) -> TeamPrice | None:
    best: TeamPrice | None = None
    for offer in offers:
        if not offer.active:
            continue
        if offer.mode == OfferMode.JOINT:
            teams = max(1, offer.max_teams or offer.min_teams or 1)
            candidate = TeamPrice(split_price(int(offer.price_krw), teams)[0], True, teams)
        else:
            candidate = TeamPrice(int(offer.price_krw), False, 1)
        if best is None or candidate.amount < best.amount:
            best = candidate
    return best


def highlight(text: str | None, q: str | None) -> Markup:
    """``text`` escaped, with every query term wrapped in ``<mark>``, case-insensitively."""
    text = text or ""
    terms = sorted(set(query_terms(q)), key=len, reverse=True)
    if not terms:
        return escape(text)
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(Markup("<mark>%s</mark>") % match.group(0))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def ordered_facet(key: str, counts: Mapping[str, int], chosen: Iterable[str]) -> list:
    """A facet's ``(value, count)`` pairs, price ranges from cheap to dear, others by name;
    a chosen value with no match left stays listed (with 0) so that it can be unticked."""
    values = dict(counts)
    for value in chosen:
        values.setdefault(value, 0)
    if key == "price":
        rank = {name: i for i, name in enumerate(PRICE_ORDER)}
        return sorted(values.items(), key=lambda kv: rank.get(kv[0], len(rank)))
    return sorted(values.items())


def search_url(args: Mapping, drop: tuple[str, str] | None = None, clear: bool = False) -> str:
    """The catalogue URL for ``args`` without one filter value, or without any filter."""
    params: dict[str, object] = {}
    if args.get("q"):
        params["q"] = args["q"]
    if args.get("sort") and args["sort"] != "relevance":
        params["sort"] = args["sort"]
    if not clear:
        for key in FACETS:
            values = [v for v in args.get(key) or [] if drop != (key, v)]
            if values:
                params[key] = values
        if args.get("joint") and drop != ("joint", "1"):
            params["joint"] = "1"
        for key in ("min_price", "max_price"):
            if args.get(key) is not None and drop != (key, str(args[key])):
                params[key] = args[key]
    return url_for("web.index", **params)


def active_filters(args: Mapping) -> list[tuple[str, str]]:
    """``(key, value)`` for every filter in force, in the page's order."""
    chosen = [(key, v) for key in FACETS for v in args.get(key) or []]
    if args.get("joint"):
        chosen.append(("joint", "1"))
    for key in ("min_price", "max_price"):
        if args.get(key) is not None:
            chosen.append((key, str(args[key])))
    return chosen
