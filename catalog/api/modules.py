"""The list of API blueprints, in the order they appear in the OpenAPI document."""

from __future__ import annotations


def blueprints():
    from catalog.api import datasets, institutions, teams

    return [datasets.blp, institutions.blp, teams.blp]
