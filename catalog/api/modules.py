"""The list of API blueprints, in the order they appear in the OpenAPI document."""

from __future__ import annotations


def blueprints():
    from catalog.api import datasets, institutions, teams

    blps = [datasets.blp, institutions.blp, teams.blp]
    from catalog.api import licenses, purchases  # issue 4: purchasing

    blps += [purchases.blp, licenses.blp]  # issue 4: purchasing
    from catalog.api import tokens  # issue 6: API tokens

    blps += [tokens.blp]  # issue 6
    from catalog.api import audit  # issue 5: audit log

    blps += [audit.blp]  # issue 5
    from catalog.api import manifest  # issue 3: storage broker

    blps += [manifest.blp]  # issue 3
    return blps
