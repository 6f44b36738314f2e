"""``flask --app app demo``: load the demo catalogue (idempotent).

Creates what is missing and leaves what exists: institutions, teams with their initial
budget grant, demo accounts (password ``kdc-demo``), datasets with offers (each with its
licence text) and one published version each whose sample files are written to the
configured store; with ``licences=True`` (the ``demo`` command) also a few demo licences
(``catalog.demo.licences``: one with a quota in use, one ending soon, one ended with a
destruction attestation due).
"""

from __future__ import annotations

import hashlib
import mimetypes

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.db import transaction, utcnow
from catalog.demo import data as demo_data
from catalog.models.audit import AuditAction
from catalog.models.datasets import (
    Dataset,
    DatasetObject,
    DatasetStatus,
    DatasetVersion,
    Modality,
    Sensitivity,
    VersionStatus,
)
from catalog.models.institutions import Institution, InstitutionKind
from catalog.models.offers import Offer, OfferMode
from catalog.models.teams import EvaluationPhase, Team
from catalog.models.users import Role
from catalog.services import licence_texts
from catalog.services.audit import record_event
from catalog.services.context import Actor
from catalog.services.ledger import grant_budget
from catalog.services.search import reindex_dataset
from catalog.services.users import create_user, find_user, hash_password
from storage import ObjectStore

DEMO_PASSWORD = "kdc-demo"
DEMO_VERSION = "2025.1"


def _ensure_institutions(session: Session, actor: Actor) -> dict[str, Institution]:
    out = {}
    for code, name_ko, name_en, kind in demo_data.INSTITUTIONS:
        inst = session.scalar(select(Institution).where(Institution.code == code))
        if inst is None:
            inst = Institution(
                code=code, name_ko=name_ko, name_en=name_en, kind=InstitutionKind(kind)
            )
            session.add(inst)
            session.flush()
            record_event(
                session,
                actor,
                AuditAction.INSTITUTION_CREATE,
                "institution",
                inst.code,
                {"name_en": name_en, "kind": kind, "demo": True},
            )
        out[code] = inst
    return out


def _ensure_teams(session: Session, actor: Actor) -> None:
    if session.scalar(select(EvaluationPhase).where(EvaluationPhase.number == 1)) is None:
        session.add(EvaluationPhase(number=1, name="1차 평가 (2026 상반기)"))
        session.add(EvaluationPhase(number=2, name="2차 평가 (2026 하반기)"))
        session.add(EvaluationPhase(number=3, name="3차 평가 (2027 상반기)"))
    for code, name_ko, name_en, orgs, budget in demo_data.TEAMS:
        team = session.scalar(select(Team).where(Team.code == code))
        if team is None:
            team = Team(code=code, name_ko=name_ko, name_en=name_en, organisations=orgs)
            session.add(team)
            session.flush()
            record_event(
                session,
                actor,
                AuditAction.TEAM_CREATE,
                "team",
                code,
                {"name_en": name_en, "demo": True},
            )
            grant_budget(session, actor, code, budget, memo="demo: initial data budget")


def _ensure_users(session: Session, actor: Actor) -> None:
    accounts = [
        ("admin@kdc.test", "Programme office (demo)", Role.ADMIN, None, None),
        ("auditor@kdc.test", "Audit office (demo)", Role.AUDITOR, None, None),
    ]
    for code, _ko, name_en, _kind in [(i[0], i[1], i[2], i[3]) for i in demo_data.INSTITUTIONS]:
        accounts.append(
            (f"{code.lower()}@kdc.test", f"{name_en} staff (demo)", Role.PROVIDER, None, code)
        )
    for code, *_rest in demo_data.TEAMS:
        accounts.append(
            (f"{code}-lead@kdc.test", f"{code} team lead (demo)", Role.TEAM_LEAD, code, None)
        )
        accounts.append(
            (f"{code}-member@kdc.test", f"{code} team member (demo)", Role.TEAM_MEMBER, code, None)
        )
    shared_hash = None  # one argon2 hash for all: hashing is most of the demo's load time
    for email, name, role, team, inst in accounts:
        if find_user(session, email) is None:
            shared_hash = shared_hash or hash_password(DEMO_PASSWORD)
            create_user(
                session,
                actor,
                email=email,
                name=name,
                password="",
                password_hash=shared_hash,
                role=role,
                team_code=team,
                institution_code=inst,
            )


def preview_keys(files: dict) -> set[str]:
    """The demo's preview files: the README and the first file of each other kind.

    The rest stay licensed-only, so that every demo dataset with two files of a kind shows
    the difference between a sample and the data."""
    keys: set[str] = set()
    seen: set[str] = set()
    for key in sorted(files):
        ext = key.rsplit(".", 1)[-1].lower()
        if key.lower().startswith("readme") or ext not in seen:
            keys.add(key)
            seen.add(ext)
    return keys


def demo_card(spec: dict) -> dict:
    """The card fields of a demo dataset, said the same way for every one."""
    personal = {
        "open": "개인정보 없음. No personal data.",
        "restricted": "개인정보 없음; 이용 범위 제한. No personal data; use is restricted.",
        "deidentified_personal": (
            "가명처리된 개인정보 포함: 재식별 시도 금지 (개인정보 보호법 제28조의2). "
            "Pseudonymised personal data: never try to re-identify anyone."
        ),
    }[spec["sensitivity"]]
    return {
        "update_frequency": "연 1회 (매년 12월) · yearly, in December",
        "contact_department": f"{spec['institution']} 데이터개방팀 · Open Data Team",
        "intended_uses": (
            "파운데이션 모델 사전학습·미세조정과 평가. "
            "Pre-training, fine-tuning and evaluating foundation models."
        ),
        "limitations": (
            "데모 샘플이며 실제 분포를 대표하지 않습니다. "
            "Demo samples: they do not represent the real data's distribution."
        ),
        "personal_data": personal,
    }


def _ensure_dataset(
    session: Session,
    actor: Actor,
    store: ObjectStore,
    institutions: dict[str, Institution],
    spec: dict,
) -> bool:
    if session.scalar(select(Dataset).where(Dataset.slug == spec["slug"])) is not None:
        return False
    fields = {
        k: v for k, v in spec.items() if k not in ("offers", "files", "institution", "preview")
    }
    fields.setdefault("card", demo_card(spec))
    fields["modality"] = Modality(fields["modality"])
    fields["sensitivity"] = Sensitivity(fields["sensitivity"])
    ds = Dataset(
        **fields,
        institution=institutions[spec["institution"]],
        status=DatasetStatus.PUBLISHED,
        is_demo=True,
    )
    reindex_dataset(ds)
    session.add(ds)
    session.flush()
    offers = []
    for offer_spec in spec["offers"]:
        offer = Offer(dataset_id=ds.id, **{**offer_spec, "mode": OfferMode(offer_spec["mode"])})
        session.add(offer)
        offers.append(offer)
    prefix = f"demo/{ds.slug}/{DEMO_VERSION}"
    version = DatasetVersion(
        dataset_id=ds.id,
        label=DEMO_VERSION,
        storage_backend=store.scheme,
        bucket=store.bucket,
        prefix=prefix,
        release_notes="Demo sample files / 데모 샘플 파일",
    )
    session.add(version)
    session.flush()
    total = 0
    previews = spec.get("preview") or preview_keys(spec["files"])
    for key, text in sorted(spec["files"].items()):
        data = text.encode("utf-8") if isinstance(text, str) else text
        ctype = mimetypes.guess_type(key)[0] or "application/octet-stream"
        if key.endswith(".jsonl"):
            ctype = "application/x-ndjson"
        store.put(f"{prefix}/{key}", data, content_type=ctype)
        session.add(
            DatasetObject(
                version_id=version.id,
                key=key,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                content_type=ctype,
                preview=key in previews,
            )
        )
        total += len(data)
    version.object_count = len(spec["files"])
    version.total_bytes = total
    version.status = VersionStatus.PUBLISHED
    version.published_at = utcnow()
    session.flush()
    documents = [
        licence_texts.add_document(session, actor, offer, "", "", record=False) for offer in offers
    ]
    record_event(
        session,
        actor,
        AuditAction.DATASET_CREATE,
        "dataset",
        ds.slug,
        {
            "institution": spec["institution"],
            "demo": True,
            # Each offer's licence text, generated from its terms, as the chain's witness.
            "licence_texts": [{"offer_id": d.offer_id, "sha256": d.sha256} for d in documents],
        },
    )
    record_event(
        session,
        actor,
        AuditAction.VERSION_PUBLISH,
        "dataset_version",
        version.id,
        {
            "dataset": ds.slug,
            "label": DEMO_VERSION,
            "objects": version.object_count,
            "bytes": total,
        },
    )
    return True


def load_demo(session: Session, store: ObjectStore, *, licences: bool = False) -> int:
    """Load whatever of the demo catalogue is missing; return the number of datasets added.

    ``licences``: also the demo licences (the ``demo`` command loads them; the test
    suites' shared demo database does not, so that their figures start from nothing).
    """
    actor = Actor.system("demo")
    with transaction(session):
        institutions = _ensure_institutions(session, actor)
        _ensure_teams(session, actor)
        _ensure_users(session, actor)
        added = 0
        for spec in demo_data.DATASETS:
            added += _ensure_dataset(session, actor, store, institutions, spec)
    if licences:
        from catalog.demo.licences import load_demo_licences

        load_demo_licences(session, store)
    return added
