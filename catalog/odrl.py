"""The ODRL 2.2 policy of an offer or a licence, in JSON-LD, written from ``catalog.licence_terms``.

An offer's policy is an ``Offer`` (the term as a duration, no assignee); a licence's is an
``Agreement`` between the institution (assigner) and the team (assignee) over the
dataset's published versions (target). Both state:

- one permission per action the terms allow, each valid only in the licence's term
  (``dateTime`` ≥ start and < end, or ``elapsedTime`` < the term for an offer); the
  ``download`` permission also carries the assignee as ``recipient`` and the quotas as
  ``count`` (objects) and ``kdc:bytes`` ≤ the cap, counted per term including the request;
- one prohibition per action they do not allow (redistribution unless permitted …);
- the duties: the attribution text (KOGL's prescribed sentence when the offer declares a
  KOGL type), deletion when the licence ends, and the usage report the broker keeps.

The context is written out in the document (no remote context to fetch: institutions run
on closed networks) and matches the terms of the ODRL context. Our own actions and operands
live under ``<base>/vocab#`` (``VOCAB_PATH``), described at ``/vocab``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from catalog.licence_terms import (
    ACTIONS,
    DUTIES,
    Terms,
    kogl_attribution,
)

ODRL = "http://www.w3.org/ns/odrl/2/"
VOCAB_PATH = "/vocab"
MEDIA_TYPE = "application/ld+json"


def vocab_iri(base_url: str) -> str:
    return base_url.rstrip("/") + VOCAB_PATH + "#"


def context(base_url: str) -> dict[str, Any]:
    """The JSON-LD context: the ODRL terms the policies use, and our vocabulary as ``kdc:``."""
    odrl_terms = {
        "uid": "@id",
        "type": "@type",
        "Policy": "odrl:Policy",
        "Offer": "odrl:Offer",
        "Agreement": "odrl:Agreement",
        "Party": "odrl:Party",
        "Asset": "odrl:Asset",
        "AssetCollection": "odrl:AssetCollection",
        "profile": {"@id": "odrl:profile", "@type": "@id"},
        "assigner": {"@id": "odrl:assigner", "@type": "@id"},
        "assignee": {"@id": "odrl:assignee", "@type": "@id"},
        "target": {"@id": "odrl:target", "@type": "@id"},
        "partOf": {"@id": "odrl:partOf", "@type": "@id"},
        "action": {"@id": "odrl:action", "@type": "@vocab"},
        "permission": {"@id": "odrl:permission", "@type": "@id"},
        "prohibition": {"@id": "odrl:prohibition", "@type": "@id"},
        "obligation": {"@id": "odrl:obligation", "@type": "@id"},
        "duty": {"@id": "odrl:duty", "@type": "@id"},
        "constraint": {"@id": "odrl:constraint", "@type": "@id"},
        "leftOperand": {"@id": "odrl:leftOperand", "@type": "@vocab"},
        "operator": {"@id": "odrl:operator", "@type": "@vocab"},
        "rightOperand": "odrl:rightOperand",
        "unit": {"@id": "odrl:unit", "@type": "@vocab"},
        "dateTime": "odrl:dateTime",
        "elapsedTime": "odrl:elapsedTime",
        "count": "odrl:count",
        "recipient": "odrl:recipient",
        "eq": "odrl:eq",
        "lt": "odrl:lt",
        "lteq": "odrl:lteq",
        "gteq": "odrl:gteq",
        "attribute": "odrl:attribute",
        "delete": "odrl:delete",
        "inform": "odrl:inform",
    }
    return {
        "odrl": ODRL,
        "kdc": vocab_iri(base_url),
        "dcterms": "http://purl.org/dc/terms/",
        "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        **odrl_terms,
    }


@dataclass(frozen=True)
class PolicyFacts:
    """What a policy names besides the terms: the parties, the target, the dates, the text."""

    base_url: str
    uid: str  # the policy's own IRI
    dataset_slug: str
    dataset_title_ko: str
    dataset_title_en: str
    institution_code: str
    institution_ko: str
    institution_en: str
    versions: tuple[str, ...]  # labels of the published versions (the target)
    year: int  # the year the work was made (KOGL attribution)
    team_code: str | None = None  # the assignee; None for an offer
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    text_url: str | None = None  # the full licence text
    text_sha256: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return self.base_url.rstrip("/")

    def dataset_iri(self) -> str:
        return f"{self.base}/datasets/{self.dataset_slug}"

    def version_iri(self, label: str) -> str:
        return f"{self.dataset_iri()}/versions/{label}"

    def institution_iri(self) -> str:
        return f"{self.base}/institutions/{self.institution_code}"

    def team_iri(self) -> str | None:
        return f"{self.base}/teams/{self.team_code}" if self.team_code else None


def attribution_text(terms: Terms, facts: PolicyFacts) -> str:
    """The attribution a licensee shows: KOGL's prescribed sentence, else the offer's text."""
    if terms.kogl_type:
        return kogl_attribution(
            terms.kogl_type,
            institution_ko=facts.institution_ko,
            title_ko=facts.dataset_title_ko,
            year=facts.year,
            url=facts.dataset_iri(),
        )
    return terms.attribution


def _datetime(value: datetime) -> dict[str, str]:
    text = value.isoformat().replace("+00:00", "Z")
    return {"@value": text, "@type": "xsd:dateTime"}


def _integer(value: int) -> dict[str, str]:
    return {"@value": str(value), "@type": "xsd:integer"}


def term_constraints(terms: Terms, facts: PolicyFacts) -> list[dict[str, Any]]:
    """The licence's term: between its dates (a licence), or its length (an offer)."""
    if facts.valid_from is not None and facts.valid_until is not None:
        return [
            {
                "leftOperand": "dateTime",
                "operator": "gteq",
                "rightOperand": _datetime(facts.valid_from),
            },
            {
                "leftOperand": "dateTime",
                "operator": "lt",
                "rightOperand": _datetime(facts.valid_until),
            },
        ]
    return [
        {
            "leftOperand": "elapsedTime",
            "operator": "lt",
            "rightOperand": {"@value": f"P{terms.term_months}M", "@type": "xsd:duration"},
        }
    ]


def policy(terms: Terms, facts: PolicyFacts) -> dict[str, Any]:
    """The ODRL policy as a JSON-LD document (a dict ready for ``json.dumps``)."""
    when = term_constraints(terms, facts)
    team = facts.team_iri()
    permissions: list[dict[str, Any]] = []
    for action in terms.permitted_actions():
        rule: dict[str, Any] = {"action": f"kdc:{action}", "constraint": list(when)}
        if action == "download":
            if team:
                rule["constraint"].append(
                    {"leftOperand": "recipient", "operator": "eq", "rightOperand": {"@id": team}}
                )
            if terms.quota_objects is not None:
                rule["constraint"].append(
                    {
                        "leftOperand": "count",
                        "operator": "lteq",
                        "rightOperand": _integer(terms.quota_objects),
                    }
                )
            if terms.quota_bytes is not None:
                rule["constraint"].append(
                    {
                        "leftOperand": "kdc:bytes",
                        "operator": "lteq",
                        "rightOperand": _integer(terms.quota_bytes),
                    }
                )
            rule["duty"] = [{"action": "inform", "kdc:duty": {"@id": "kdc:usageReport"}}]
        permissions.append(rule)
    prohibitions = [{"action": f"kdc:{a}"} for a in terms.prohibited_actions()]
    obligations: list[dict[str, Any]] = []
    attribution = attribution_text(terms, facts)
    if attribution:
        duty: dict[str, Any] = {"action": "attribute", "kdc:attributionText": attribution}
        if terms.kogl:
            duty["kdc:kogl"] = {"@id": terms.kogl.url}
        obligations.append(duty)
    end: list[dict[str, Any]] = (
        [
            {
                "leftOperand": "dateTime",
                "operator": "gteq",
                "rightOperand": _datetime(facts.valid_until),
            }
        ]
        if facts.valid_until is not None
        else []
    )
    delete: dict[str, Any] = {"action": "delete", "kdc:duty": {"@id": "kdc:deleteAtEnd"}}
    if end:
        delete["constraint"] = end
    obligations.append(delete)
    for rule in [*permissions, *prohibitions, *obligations]:
        rule["target"] = [facts.version_iri(v) for v in facts.versions] or facts.dataset_iri()
        rule["assigner"] = facts.institution_iri()
        if team:
            rule["assignee"] = team
    doc: dict[str, Any] = {
        "@context": context(facts.base_url),
        "uid": facts.uid,
        "type": "Agreement" if team else "Offer",
        "profile": facts.base + "/vocab",
        "assigner": {
            "uid": facts.institution_iri(),
            "type": "Party",
            "rdfs:label": [
                {"@value": facts.institution_ko, "@language": "ko"},
                {"@value": facts.institution_en, "@language": "en"},
            ],
        },
        "target": [
            {"uid": facts.version_iri(v), "type": "Asset", "partOf": facts.dataset_iri()}
            for v in facts.versions
        ]
        or [{"uid": facts.dataset_iri(), "type": "AssetCollection"}],
        "dcterms:title": [
            {"@value": facts.dataset_title_ko, "@language": "ko"},
            {"@value": facts.dataset_title_en, "@language": "en"},
        ],
        "permission": permissions,
        "prohibition": prohibitions,
        "obligation": obligations,
    }
    if team:
        doc["assignee"] = {"uid": team, "type": "Party"}
    if facts.text_url:
        doc["dcterms:license"] = {"@id": facts.text_url}
    if facts.text_sha256:
        doc["kdc:textSha256"] = facts.text_sha256
    if terms.kogl:
        doc["kdc:kogl"] = {"@id": terms.kogl.url}
    doc.update(facts.extra)
    return doc


def vocabulary(base_url: str) -> dict[str, Any]:
    """Our vocabulary as JSON-LD (``/vocab.jsonld``): actions, duties and operands."""
    ns = vocab_iri(base_url)
    terms: list[dict[str, Any]] = []
    for a in ACTIONS:
        terms.append(
            {
                "@id": ns + a.name,
                "@type": "odrl:Action",
                "rdfs:label": [
                    {"@value": a.label_en, "@language": "en"},
                    {"@value": a.label_ko, "@language": "ko"},
                ],
                "rdfs:comment": a.definition,
                "odrl:includedIn": {"@id": a.included_in},
            }
        )
    for name, label, comment in DUTIES:
        terms.append({"@id": ns + name, "rdfs:label": label, "rdfs:comment": comment})
    ontology = {
        "@id": base_url.rstrip("/") + VOCAB_PATH,
        "@type": "owl:Ontology",
        "rdfs:label": "K-Data Catalog licence vocabulary",
        "rdfs:comment": "Actions, duties and operands of the catalogue's ODRL 2.2 policies.",
    }
    return {
        "@context": {
            "odrl": ODRL,
            "owl": "http://www.w3.org/2002/07/owl#",
            "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
        },
        "@graph": [ontology, *terms],
    }
