"""The catalogue as DCAT-AP 3: one graph written as JSON-LD and as Turtle.

Catalogue, datasets, distributions (one per published version), publishers (the
institutions, as ``foaf:Agent``) and, for each active offer, ``odrl:hasPolicy`` pointing at
the offer's ODRL policy (``/datasets/{slug}/offers/{id}/policy.jsonld``). The same triples
give both serialisations, so they never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from catalog import licence_terms

PREFIXES = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "odrl": "http://www.w3.org/ns/odrl/2/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "spdx": "http://spdx.org/rdf/terms#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
}
DCAT_AP = "http://data.europa.eu/r5r/"
LANGUAGE = "http://publications.europa.eu/resource/authority/language/"
# ISO 639 codes the demo uses → the EU language authority's codes.
EU_LANGUAGES = {"ko": "KOR", "en": "ENG", "lzh": "LZH", "zh": "ZHO", "ja": "JPN"}


@dataclass(frozen=True)
class Iri:
    value: str


@dataclass(frozen=True)
class Literal:
    value: str
    datatype: str | None = None  # a prefixed name such as "xsd:dateTime"
    lang: str | None = None


Value = Iri | Literal


@dataclass
class Node:
    iri: str
    types: list[str]
    props: dict[str, list[Value]] = field(default_factory=dict)

    def add(self, predicate: str, value: Value | None) -> None:
        if value is not None and (not isinstance(value, Literal) or value.value != ""):
            self.props.setdefault(predicate, []).append(value)


def catalogue_nodes(datasets: list[Any], base: str, title: str, description: str) -> list[Node]:
    """The catalogue's nodes; ``datasets`` are published datasets with institution, offers
    and versions loaded."""
    cat = Node(f"{base}/catalog", ["dcat:Catalog"])
    cat.add("dct:title", Literal(title, lang="en"))
    cat.add("dct:title", Literal("K-Data Catalog", lang="ko"))
    cat.add("dct:description", Literal(description, lang="en"))
    cat.add("foaf:homepage", Iri(f"{base}/"))
    programme = Node(f"{base}/catalog#publisher", ["foaf:Agent"])
    programme.add("foaf:name", Literal("K-Data Catalog programme office", lang="en"))
    cat.add("dct:publisher", Iri(programme.iri))
    nodes = [cat, programme]
    agents: dict[str, Node] = {}
    for ds in datasets:
        inst = ds.institution
        agent = agents.get(inst.code)
        if agent is None:
            agent = Node(f"{base}/institutions/{inst.code}", ["foaf:Agent"])
            agent.add("foaf:name", Literal(inst.name_ko, lang="ko"))
            agent.add("foaf:name", Literal(inst.name_en, lang="en"))
            agents[inst.code] = agent
        page = f"{base}/datasets/{ds.slug}"
        node = Node(f"{page}#dataset", ["dcat:Dataset"])
        cat.add("dcat:dataset", Iri(node.iri))
        node.add("dct:identifier", Literal(ds.slug))
        node.add("dct:title", Literal(ds.title_ko, lang="ko"))
        node.add("dct:title", Literal(ds.title_en, lang="en"))
        node.add("dct:description", Literal(ds.description_ko or ds.title_ko, lang="ko"))
        node.add("dct:description", Literal(ds.description_en or ds.title_en, lang="en"))
        node.add("dct:publisher", Iri(agent.iri))
        node.add("dcat:landingPage", Iri(page))
        node.add("dct:modified", Literal(ds.updated_at.isoformat(), "xsd:dateTime"))
        for word in ds.keywords:
            node.add("dcat:keyword", Literal(word))
        for code in ds.languages:
            if code in EU_LANGUAGES:
                node.add("dct:language", Iri(LANGUAGE + EU_LANGUAGES[code]))
        offers = [o for o in ds.offers if o.active]
        for offer in offers:
            node.add("odrl:hasPolicy", Iri(f"{page}/offers/{offer.id}/policy.jsonld"))
        licence = licence_iri(offers, page)
        nodes.append(node)
        for version in ds.versions:
            if version.status.value != "published":
                continue
            dist = Node(f"{page}/versions/{version.label}#distribution", ["dcat:Distribution"])
            node.add("dcat:distribution", Iri(dist.iri))
            dist.add("dct:title", Literal(f"{ds.title_en} — {version.label}", lang="en"))
            dist.add("dcat:accessURL", Iri(page))
            dist.add("dcat:byteSize", Literal(str(version.total_bytes), "xsd:nonNegativeInteger"))
            if version.published_at is not None:
                dist.add("dct:issued", Literal(version.published_at.isoformat(), "xsd:dateTime"))
            dist.add("dct:license", Iri(licence) if licence else None)
            for offer in offers:
                dist.add("odrl:hasPolicy", Iri(f"{page}/offers/{offer.id}/policy.jsonld"))
            nodes.append(dist)
    nodes.extend(agents.values())
    return nodes


def licence_iri(offers: list[Any], page: str) -> str | None:
    for offer in offers:
        if offer.kogl_type in licence_terms.KOGL:
            return licence_terms.KOGL[offer.kogl_type].url
    return f"{page}/offers/{offers[0].id}/licence" if offers else None


# --- serialisations ---------------------------------------------------------------------------


def _jsonld_value(value: Value) -> dict[str, str]:
    if isinstance(value, Iri):
        return {"@id": value.value}
    out = {"@value": value.value}
    if value.datatype:
        out["@type"] = value.datatype
    if value.lang:
        out["@language"] = value.lang
    return out


def to_jsonld(nodes: list[Node]) -> dict[str, Any]:
    return {
        "@context": dict(PREFIXES),
        "@graph": [
            {
                "@id": n.iri,
                "@type": n.types,
                **{p: [_jsonld_value(v) for v in vs] for p, vs in n.props.items()},
            }
            for n in nodes
        ],
    }


def _turtle_string(text: str) -> str:
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    )
    return f'"{escaped}"'


def _turtle_iri(iri: str) -> str:
    for ch in '<>"{}|^`\\ ':
        iri = iri.replace(ch, f"%{ord(ch):02X}")
    return f"<{iri}>"


def _turtle_value(value: Value) -> str:
    if isinstance(value, Iri):
        return _turtle_iri(value.value)
    out = _turtle_string(value.value)
    if value.datatype:
        out += "^^" + value.datatype
    elif value.lang:
        out += "@" + value.lang
    return out


def to_turtle(nodes: list[Node]) -> str:
    lines = [f"@prefix {p}: <{iri}> ." for p, iri in PREFIXES.items()]
    for n in nodes:
        lines.append("")
        parts = [f"    a {', '.join(n.types)}"]
        for p, vs in n.props.items():
            parts.append(f"    {p} " + ", ".join(_turtle_value(v) for v in vs))
        lines.append(_turtle_iri(n.iri))
        lines.append(" ;\n".join(parts) + " .")
    return "\n".join(lines) + "\n"
