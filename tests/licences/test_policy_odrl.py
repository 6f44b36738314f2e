"""The ODRL policy says what the broker does: one source of truth, checked two ways.

An evaluator written here, independently of ``catalog.odrl``, reads a policy as RDF (parsed
by rdflib from the JSON-LD the service serves) and answers, for an action and a situation,
whether some permission's constraints all hold and no prohibition applies. For every demo
policy and for terms and situations hypothesis generates, that answer must equal
``licence_terms.decide`` — the function the access broker calls before issuing URLs.
The documents also expand with pyld, and pyld's RDF and rdflib's are the same graph.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import rdflib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyld import jsonld
from rdflib import RDF, XSD, Literal, URIRef
from rdflib.compare import isomorphic
from sqlalchemy import select

from catalog import licence_terms, odrl
from catalog.db import get_session
from catalog.models.datasets import Dataset
from catalog.models.licenses import License
from catalog.models.offers import Use
from catalog.services.licensing import add_months
from tests.conftest import make_token

ODRL = rdflib.Namespace(odrl.ODRL)
BASE = "https://data.example.kr"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


# --------------------------------------------------------------------------- the evaluator


def graph_of(doc: dict | str) -> rdflib.Graph:
    text = doc if isinstance(doc, str) else json.dumps(doc, ensure_ascii=False)
    return rdflib.Graph().parse(data=text, format="json-ld")


def _policy_node(g: rdflib.Graph) -> rdflib.term.Node:
    nodes = [
        s
        for s in g.subjects(RDF.type, None)
        if (s, RDF.type, ODRL.Agreement) in g or (s, RDF.type, ODRL.Offer) in g
    ]
    assert len(nodes) == 1, nodes
    return nodes[0]


def _value(node):
    return node.toPython() if isinstance(node, Literal) else node


def _months(duration) -> int:
    """Whole months of an ``xsd:duration`` literal (rdflib reads P12M as one year)."""
    value = duration.toPython()
    months = int(getattr(value, "years", 0)) * 12 + int(getattr(value, "months", 0))
    assert months > 0 and not getattr(value, "tdelta", None), duration
    return months


class Request:
    """What the evaluator is asked: the moment, who asks, what was and is issued."""

    def __init__(self, now, assignee, start, used_objects=0, used_bytes=0, objects=0, nbytes=0):
        self.now, self.assignee, self.start = now, assignee, start
        self.count = used_objects + objects
        self.bytes = used_bytes + nbytes


def _holds(g: rdflib.Graph, constraint, req: Request, vocab: str) -> bool:
    left = g.value(constraint, ODRL.leftOperand)
    op = g.value(constraint, ODRL.operator)
    right = g.value(constraint, ODRL.rightOperand)
    if left == ODRL.dateTime:
        actual, expected = req.now, _value(right)
    elif left == ODRL.elapsedTime:
        actual, expected = req.now, add_months(req.start, _months(right))
    elif left == ODRL["count"]:
        actual, expected = req.count, _value(right)
    elif left == URIRef(vocab + "bytes"):
        actual, expected = req.bytes, _value(right)
    elif left == ODRL.recipient:
        actual, expected = URIRef(req.assignee), right
    else:
        raise AssertionError(f"unknown left operand {left}")
    return {
        ODRL.eq: lambda: actual == expected,
        ODRL.lt: lambda: actual < expected,
        ODRL.lteq: lambda: actual <= expected,
        ODRL.gteq: lambda: actual >= expected,
    }[op]()


def policy_allows(g: rdflib.Graph, action: str, req: Request) -> bool:
    """Does the policy permit ``action`` (a name of our vocabulary) for this request?"""
    policy = _policy_node(g)
    vocab = str(g.namespace_manager.expand_curie("kdc:x"))[:-1]
    act = URIRef(vocab + action)
    for rule in g.objects(policy, ODRL.prohibition):
        if (rule, ODRL.action, act) in g:
            return False
    for rule in g.objects(policy, ODRL.permission):
        if (rule, ODRL.action, act) in g and all(
            _holds(g, c, req, vocab) for c in g.objects(rule, ODRL.constraint)
        ):
            return True
    return False


# --------------------------------------------------------------------------- generated terms

uses = st.frozensets(st.sampled_from([u.value for u in Use]))
quota = st.one_of(st.none(), st.integers(min_value=1, max_value=60))
quota_bytes = st.one_of(st.none(), st.integers(min_value=1, max_value=5000))


@st.composite
def terms_and_requests(draw):
    terms = licence_terms.Terms.from_frozen(
        {
            "uses": sorted(draw(uses)),
            "download_quota": draw(quota),
            "download_quota_bytes": draw(quota_bytes),
            "kogl_type": draw(st.one_of(st.none(), st.sampled_from([1, 2, 3, 4]))),
            "attribution": draw(st.sampled_from(["", "출처: 국사편찬위원회"])),
            "term_months": draw(st.integers(min_value=1, max_value=36)),
            "price_krw": 100_000_000,
        }
    )
    valid_until = add_months(T0, terms.term_months)
    # Around the edges of the term, to the second.
    offset = draw(
        st.one_of(
            st.integers(min_value=-5, max_value=5),
            st.integers(min_value=-3 * 86400, max_value=40 * 31 * 86400),
        )
    )
    now = draw(st.sampled_from([T0, valid_until])) + timedelta(seconds=offset)
    objects = draw(st.integers(min_value=0, max_value=20))
    nbytes = draw(st.integers(min_value=0, max_value=2000))

    def used(cap: int | None, asked: int, spread: int) -> int:
        # Often right at the cap (used + asked = cap ± 1), where off-by-one errors live.
        near = cap is not None and draw(st.booleans())
        if near:
            return max(0, cap - asked + draw(st.integers(min_value=-1, max_value=1)))
        return draw(st.integers(min_value=0, max_value=spread))

    situation = licence_terms.Situation(
        now=now,
        valid_from=T0,
        valid_until=valid_until,
        used_objects=used(terms.quota_objects, objects, 70),
        used_bytes=used(terms.quota_bytes, nbytes, 6000),
        objects=objects,
        bytes=nbytes,
    )
    return terms, situation


def _facts(terms, situation, *, team: str | None = "naver") -> odrl.PolicyFacts:
    return odrl.PolicyFacts(
        base_url=BASE,
        uid=f"{BASE}/api/v1/licenses/7/policy",
        dataset_slug="joseon-annals-original",
        dataset_title_ko="조선왕조실록 원문",
        dataset_title_en="Annals of the Joseon Dynasty",
        institution_code="NIKH",
        institution_ko="국사편찬위원회",
        institution_en="National Institute of Korean History",
        versions=("2025.1",),
        year=2025,
        team_code=team,
        valid_from=situation.valid_from if team else None,
        valid_until=situation.valid_until if team else None,
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(terms_and_requests())
def test_for_generated_terms_the_policy_and_the_broker_agree(case):
    terms, s = case
    facts = _facts(terms, s)
    g = graph_of(odrl.policy(terms, facts))
    req = Request(
        s.now, facts.team_iri(), s.valid_from, s.used_objects, s.used_bytes, s.objects, s.bytes
    )
    for action in licence_terms.ACTION_NAMES:
        decided = licence_terms.decide(terms, action, s).permitted
        assert policy_allows(g, action, req) is decided, (action, terms, s)


@settings(max_examples=60, deadline=None)
@given(terms_and_requests())
def test_an_offers_policy_says_what_a_licence_sold_under_it_would_allow(case):
    terms, s = case
    if s.now < s.valid_from:
        s = replace(s, now=s.valid_from)  # an offer's term counts from the sale
    g = graph_of(odrl.policy(terms, _facts(terms, s, team=None)))
    assert (_policy_node(g), RDF.type, ODRL.Offer) in g
    req = Request(
        s.now, f"{BASE}/teams/naver", s.valid_from, s.used_objects, s.used_bytes, s.objects, s.bytes
    )
    for action in licence_terms.ACTION_NAMES:
        if action == "download":
            continue  # an offer names no recipient: the broker decides only for licensees
        decided = licence_terms.decide(terms, action, s).permitted
        assert policy_allows(g, action, req) is decided, (action, terms, s)


def test_the_evaluator_is_not_a_rubber_stamp():
    terms = licence_terms.Terms.from_frozen(
        {"uses": ["ai_training"], "download_quota": 10, "term_months": 12}
    )
    s = licence_terms.Situation(
        now=T0 + timedelta(days=1), valid_from=T0, valid_until=add_months(T0, 12)
    )
    facts = _facts(terms, s)
    g = graph_of(odrl.policy(terms, facts))
    team = facts.team_iri()
    assert policy_allows(g, "train", Request(s.now, team, T0))
    assert not policy_allows(g, "redistribute", Request(s.now, team, T0))
    assert not policy_allows(g, "train", Request(add_months(T0, 12), team, T0))
    assert policy_allows(g, "download", Request(s.now, team, T0, used_objects=9, objects=1))
    assert not policy_allows(g, "download", Request(s.now, team, T0, used_objects=9, objects=2))
    assert not policy_allows(g, "download", Request(s.now, f"{BASE}/teams/skt", T0))


# --------------------------------------------------------------------------- the demo's policies


def _situations(terms: licence_terms.Terms, start: datetime, end: datetime):
    inside = start + (end - start) / 2
    for now in (inside, start - timedelta(seconds=1), end, end - timedelta(seconds=1)):
        for used, asked in ((0, 1), (terms.quota_objects or 0, 1), (0, 0)):
            yield licence_terms.Situation(
                now=now,
                valid_from=start,
                valid_until=end,
                used_objects=used,
                objects=asked,
                used_bytes=0,
                bytes=asked * 100,
            )


def test_every_demo_offers_policy_agrees_with_the_broker(demo_app):
    client = demo_app.test_client()
    with demo_app.app_context():
        datasets = get_session().scalars(select(Dataset)).all()
        offers = [(d.slug, o.id, o.terms()) for d in datasets for o in d.offers]
    assert len(offers) >= 30
    for slug, offer_id, frozen in offers:
        r = client.get(f"/datasets/{slug}/offers/{offer_id}/policy.jsonld")
        assert r.status_code == 200 and r.mimetype == "application/ld+json"
        g = graph_of(r.get_data(as_text=True))
        terms = licence_terms.Terms.from_frozen(frozen)
        end = add_months(T0, terms.term_months)
        for s in _situations(terms, T0, end):
            if s.now < T0:
                continue  # an offer's term counts from the sale
            req = Request(s.now, "https://x/teams/naver", T0, s.used_objects, 0, s.objects, s.bytes)
            for action in licence_terms.ACTION_NAMES:
                if action == "download":
                    continue
                assert (
                    policy_allows(g, action, req)
                    is licence_terms.decide(terms, action, s).permitted
                )


def test_every_demo_licences_policy_agrees_with_the_broker(licensed_demo_app):
    app = licensed_demo_app
    client = app.test_client()
    with app.app_context():
        lics = [
            (lic.id, lic.team.code, lic.terms, lic.valid_from, lic.valid_until)
            for lic in get_session().scalars(select(License))
        ]
    assert len(lics) >= 3
    for lic_id, team, frozen, start, end in lics:
        headers = {"Authorization": f"Bearer {make_token(app, f'{team}-member@kdc.test')}"}
        r = client.get(f"/api/v1/licenses/{lic_id}/policy", headers=headers)
        assert r.status_code == 200 and r.mimetype == "application/ld+json"
        g = graph_of(r.get_data(as_text=True))
        terms = licence_terms.Terms.from_frozen(frozen)
        team_iri = str(g.value(_policy_node(g), ODRL.assignee))
        assert team_iri.endswith(f"/teams/{team}")
        for s in _situations(terms, start, end):
            req = Request(s.now, team_iri, start, s.used_objects, 0, s.objects, s.bytes)
            for action in licence_terms.ACTION_NAMES:
                assert (
                    policy_allows(g, action, req)
                    is licence_terms.decide(terms, action, s).permitted
                )


# --------------------------------------------------------------------------- JSON-LD itself


@pytest.fixture
def kogl_policy():
    terms = licence_terms.Terms.from_frozen(
        {
            "uses": ["ai_training", "publish_excerpts"],
            "download_quota": 50,
            "download_quota_bytes": 10**9,
            "kogl_type": 2,
            "term_months": 12,
        }
    )
    s = licence_terms.Situation(now=T0, valid_from=T0, valid_until=add_months(T0, 12))
    facts = _facts(terms, s)
    facts = odrl.PolicyFacts(
        **{
            **facts.__dict__,
            "text_url": f"{BASE}/datasets/x/offers/1/licence.txt?version=2",
            "text_sha256": "a" * 64,
        }
    )
    return odrl.policy(terms, facts)


def test_the_json_ld_expands_with_pyld_to_full_odrl_iris(kogl_policy):
    expanded = jsonld.expand(kogl_policy)
    assert len(expanded) == 1
    policy = expanded[0]
    o = "http://www.w3.org/ns/odrl/2/"
    assert policy["@id"] == f"{BASE}/api/v1/licenses/7/policy"
    assert policy["@type"] == [o + "Agreement"]
    assert policy[o + "assignee"][0]["@id"] == f"{BASE}/teams/naver"
    actions = {p[o + "action"][0]["@id"] for p in policy[o + "permission"]}
    assert actions == {
        f"{BASE}/vocab#{a}" for a in ("download", "train", "fineTune", "publishExcerpts")
    }
    prohibited = {p[o + "action"][0]["@id"] for p in policy[o + "prohibition"]}
    assert f"{BASE}/vocab#commercialModel" in prohibited  # KOGL type 2: no commercial use
    assert f"{BASE}/vocab#redistribute" in prohibited
    duties = {d[o + "action"][0]["@id"] for d in policy[o + "obligation"]}
    assert duties == {o + "attribute", o + "delete"}


def test_pyld_and_rdflib_read_the_same_graph(kogl_policy):
    nquads = jsonld.to_rdf(kogl_policy, {"format": "application/n-quads"})
    from_pyld = rdflib.Graph().parse(data=nquads, format="nt")  # default graph only
    assert isomorphic(from_pyld, graph_of(kogl_policy))


def test_the_graph_holds_the_expected_triples(kogl_policy):
    g = graph_of(kogl_policy)
    kdc = rdflib.Namespace(f"{BASE}/vocab#")
    policy = URIRef(f"{BASE}/api/v1/licenses/7/policy")
    assert (policy, RDF.type, ODRL.Agreement) in g
    assert (policy, ODRL.assigner, URIRef(f"{BASE}/institutions/NIKH")) in g
    assert (policy, ODRL.assignee, URIRef(f"{BASE}/teams/naver")) in g
    assert (
        policy,
        ODRL.target,
        URIRef(f"{BASE}/datasets/joseon-annals-original/versions/2025.1"),
    ) in g
    assert (policy, ODRL.profile, URIRef(f"{BASE}/vocab")) in g
    assert (
        policy,
        URIRef("http://purl.org/dc/terms/license"),
        URIRef(f"{BASE}/datasets/x/offers/1/licence.txt?version=2"),
    ) in g
    download = next(
        p for p in g.objects(policy, ODRL.permission) if (p, ODRL.action, kdc.download) in g
    )
    bounds = {
        (g.value(c, ODRL.leftOperand), g.value(c, ODRL.operator), g.value(c, ODRL.rightOperand))
        for c in g.objects(download, ODRL.constraint)
    }
    assert (ODRL["count"], ODRL.lteq, Literal(50, datatype=XSD.integer)) in bounds
    assert (kdc.bytes, ODRL.lteq, Literal(10**9, datatype=XSD.integer)) in bounds
    assert (ODRL.recipient, ODRL.eq, URIRef(f"{BASE}/teams/naver")) in bounds
    assert (
        ODRL.dateTime,
        ODRL.lt,
        Literal(add_months(T0, 12).isoformat().replace("+00:00", "Z"), datatype=XSD.dateTime),
    ) in bounds
    attribute = next(
        d for d in g.objects(policy, ODRL.obligation) if (d, ODRL.action, ODRL.attribute) in g
    )
    text = str(g.value(attribute, kdc.attributionText))
    assert "공공누리 제2유형" in text and "국사편찬위원회" in text
    assert (attribute, kdc.kogl, URIRef("https://www.kogl.or.kr/info/licenseType2.do")) in g
    delete = next(
        d for d in g.objects(policy, ODRL.obligation) if (d, ODRL.action, ODRL.delete) in g
    )
    assert (delete, kdc.duty, kdc.deleteAtEnd) in g


def test_the_vocabulary_is_served_as_a_page_and_as_json_ld(demo_app):
    client = demo_app.test_client()
    page = client.get("/vocab")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for a in licence_terms.ACTION_NAMES:
        assert f'id="{a}"' in html
    doc = client.get("/vocab.jsonld")
    assert doc.mimetype == "application/ld+json"
    g = graph_of(doc.get_data(as_text=True))
    base = demo_app.config["BASE_URL"].rstrip("/")
    assert (URIRef(f"{base}/vocab#train"), RDF.type, ODRL.Action) in g
    assert (URIRef(f"{base}/vocab#train"), ODRL.includedIn, ODRL.use) in g
