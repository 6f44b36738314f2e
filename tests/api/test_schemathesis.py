"""The API conforms to its own OpenAPI document: a schemathesis run over every operation.

Authenticated as a team member and as a provider, generated requests (valid ones, and
invalid ones for the negative phase) must never produce a server error, and every
response must match the documented status codes, content types, headers and schemas.
Bounded: a few examples per operation, no shrinking, so the run stays well under a minute.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.core.failures import FailureGroup
from schemathesis.openapi.checks import RejectedPositiveData

from tests.conftest import make_token

STATEFUL_SCENARIOS = 20  # per account, each up to 6 linked calls
EXAMPLES = {schemathesis.GenerationMode.POSITIVE: 4, schemathesis.GenerationMode.NEGATIVE: 3}
# A lead, a member, a provider and an auditor.
ACCOUNTS = ["naver-lead@kdc.test", "naver-member@kdc.test", "kbs@kdc.test", "auditor@kdc.test"]
LICENSED = "kbs-news-speech"


def test_openapi_document_is_complete(sqlite_demo_app):
    from openapi_spec_validator import validate

    spec = sqlite_demo_app.test_client().get("/api/v1/openapi.json").json
    validate(spec)  # a valid OpenAPI 3.0 document
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    operations = [
        (path, method, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "delete", "put")
    ]
    assert len(operations) >= 20
    for path, method, op in operations:
        where = f"{method.upper()} {path}"
        assert op.get("summary"), where
        responses = op["responses"]
        assert any(s.startswith(("2", "3")) for s in responses), where
        assert "default" in responses and "503" in responses, where
        for status, resp in responses.items():
            if status.startswith(("4", "5")) or status == "default":
                assert list(resp["content"]) == ["application/problem+json"], (where, status)
        if op.get("security"):
            assert {"401", "403"} <= set(responses), where
        if "{" in path:
            assert "404" in responses, where
        if "requestBody" in op:
            assert {"413", "422"} <= set(responses), where


def license_naver(app) -> None:
    """naver buys LICENSED, so that manifests and file URLs answer 200 too."""
    from sqlalchemy import select

    from catalog.db import get_session
    from catalog.models.offers import Offer, OfferMode
    from catalog.services import purchasing
    from catalog.services.catalog import get_published_dataset
    from catalog.services.context import Actor
    from catalog.services.users import find_user

    with app.app_context():
        session = get_session()
        ds = get_published_dataset(session, LICENSED)
        offer = session.scalar(
            select(Offer).where(Offer.dataset_id == ds.id, Offer.mode == OfferMode.INDIVIDUAL)
        )
        lead = Actor.for_user(find_user(session, "naver-lead@kdc.test"))
        provider = Actor.for_user(find_user(session, "kbs@kdc.test"))
        purchase = purchasing.request_purchase(session, lead, dataset=LICENSED, offer=offer.id)
        purchasing.approve_purchase(session, provider, purchase.id)
        from catalog.models.licenses import License
        from catalog.services import terms

        lic = session.scalar(select(License).where(License.purchase_id == purchase.id))
        terms.accept_terms(session, lead, lic.id)


def test_api_conforms_to_its_openapi_document(sqlite_demo_app):
    app = sqlite_demo_app
    license_naver(app)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    tokens = {email: make_token(app, email) for email in ACCOUNTS}
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        # Random slugs never name a dataset: also run with a real, licensed one.
        fixed = [{}]
        if "{slug}" in operation.path:
            fixed.append({"slug": LICENSED})
        for email, raw in tokens.items():
            auth = {"Authorization": f"Bearer {raw}"}
            for mode, examples in EXAMPLES.items():
                for path_parameters in fixed if mode.value == "positive" else [{}]:
                    try:
                        _run(operation, auth, mode, examples, path_parameters)
                    except Unsatisfiable:
                        pass  # nothing to make invalid (no parameters, free-form strings)
                    except Exception as exc:  # noqa: BLE001 - collected and reported below
                        failures.append(
                            f"{operation.label} as {email} ({mode.value}, {path_parameters}): {exc}"
                        )
    assert operations >= 20
    assert not failures, "\n\n".join(failures)


# 422s for rules across fields that a JSON schema cannot state (a purge lists what it
# deleted; a key must be a safe path; a quota cannot go below what was used …): requests
# that match the schema may still break them, and the problem names the rule.
CROSS_FIELD_RULES = {
    "invalid_attestation",
    "attestation_mismatch",
    "mode_mismatch",
    "quota_below_usage",
    "multipart_required",
    "invalid_part_size",
    "invalid_key",
    "invalid_label",
    "invalid_webhook_url",
    "invalid_kind",
    # A list's cursor is opaque: only one taken from a `next` link of the same list and sort
    # is a position (a JSON schema can say what it looks like, not where it came from).
    "invalid_cursor",
}


def _breaks_a_documented_rule(failure, response) -> bool:
    if not isinstance(failure, RejectedPositiveData) or response.status_code != 422:
        return False
    return response.json().get("code") in CROSS_FIELD_RULES


def _run(operation, auth: dict, mode, examples: int, path_parameters: dict) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(
        case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters or None)
    )
    def check(case):
        response = case.call(headers=auth)
        try:
            case.validate_response(response, headers=auth)  # every default check
        except FailureGroup as group:
            if not all(_breaks_a_documented_rule(f, response) for f in group.exceptions):
                raise

    check()


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__, "-q"])


STATEFUL_ACCOUNTS = ACCOUNTS


def test_api_conforms_in_sequences_of_linked_calls(sqlite_demo_app):
    """The stateful phase: scenarios that follow the document's links (search → dataset →
    purchase → confirm/approve → licences → terms → manifest; token → revoke), every
    default check on every response, as each kind of user."""
    app = sqlite_demo_app
    license_naver(app)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # Valid requests only: the sequences exercise the links between operations; invalid
    # data is sent to every operation by the stateless test above. (A negative case here
    # may drop the Authorization header, which the scenario then puts back.)
    schema.config.generation.update(modes=[schemathesis.GenerationMode.POSITIVE])
    failures: list[str] = []
    called: dict[str, set[str]] = {}
    for email in STATEFUL_ACCOUNTS:
        seen = called.setdefault(email, set())

        class Machine(schema.as_state_machine()):
            user = email
            calls = seen

            def setup(self):
                # A fresh token per scenario: a scenario may revoke the token it runs with.
                self.auth = {"Authorization": f"Bearer {make_token(app, self.user)}"}

            def get_call_kwargs(self, case):
                return {"headers": self.auth}

            def after_call(self, response, case):
                self.calls.add(f"{case.operation.label} {response.status_code}")

            def validate_response(self, response, case, additional_checks=None, **kwargs):
                try:
                    case.validate_response(response, headers=self.auth)
                except FailureGroup as group:
                    if not all(_breaks_a_documented_rule(f, response) for f in group.exceptions):
                        raise

        try:
            Machine.run(
                settings=settings(
                    max_examples=STATEFUL_SCENARIOS,
                    stateful_step_count=8,
                    deadline=None,
                    database=None,
                    derandomize=True,
                    phases=[Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
            )
        except Exception as exc:  # noqa: BLE001 - collected and reported below
            failures.append(f"as {email}: {exc}")
    assert not failures, "\n\n".join(failures)
    # The scenarios went past the first call, along links, as each kind of user.
    for email, seen in called.items():
        assert len(seen) >= 3, (email, seen)
    lead = called["naver-lead@kdc.test"]
    assert any("{" in c and c.rsplit(" ", 1)[1].startswith("2") for c in lead), "\n".join(
        sorted(lead)
    )
