"""Previews before purchase: the files a provider marks as samples, read within a byte cap.

Anyone who may see a dataset (everyone, once it is published) may read its preview files:
the first rows of CSV/TSV/JSON Lines as a table with a column view, excerpts of text and
subtitles, images and sounds, the README. Only objects flagged ``preview`` of the dataset's
latest published version are ever read; asking for any other object is ``preview_not_found``
(404), as if it did not exist. Reading never returns more than ``cap`` bytes of a file.
"""

from __future__ import annotations

import csv
import io
import json
import posixpath
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import policy
from catalog.db import transaction
from catalog.errors import InvalidInput, NotFound
from catalog.models.audit import AuditAction
from catalog.models.datasets import (
    Dataset,
    DatasetObject,
    DatasetStatus,
    DatasetVersion,
)
from catalog.services.audit import record_event
from catalog.services.catalog import licensed_team_codes
from catalog.services.context import Actor
from catalog.services.versions import (
    full_key,
    get_dataset,
    get_version,
    latest_published_version,
    storage_errors,
    store_for_version,
)
from storage.base import ObjectNotFound, ObjectStore

# Rows shown per tabular preview; the column view reads every row within the cap.
PREVIEW_ROWS = 10
# Characters of a text or subtitle excerpt.
EXCERPT_CHARS = 2000
EXAMPLES = 3

TABLE_EXTS = {".csv": ",", ".tsv": "\t"}
JSONL_EXTS = (".jsonl", ".ndjson")
TEXT_EXTS = (".txt", ".md", ".srt", ".vtt", ".json", ".xml")
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
AUDIO_TYPES = {
    ".wav": "audio/wav",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".flac": "audio/flac",
}

# The card's free fields, which a provider fills (all text).
CARD_FIELDS = (
    "update_frequency",
    "contact_department",
    "intended_uses",
    "limitations",
    "personal_data",
)


def kind_of(key: str) -> str:
    """``table``, ``readme``, ``text``, ``image``, ``audio`` or ``other`` by the file name."""
    name = posixpath.basename(key).lower()
    ext = posixpath.splitext(name)[1]
    if ext in TABLE_EXTS or ext in JSONL_EXTS:
        return "table"
    if name.startswith("readme"):
        return "readme"
    if ext in TEXT_EXTS:
        return "text"
    if ext in IMAGE_TYPES:
        return "image"
    if ext in AUDIO_TYPES:
        return "audio"
    return "other"


def served_type(key: str) -> str:
    """The content type the preview route answers with: never one a browser would run."""
    ext = posixpath.splitext(key.lower())[1]
    if ext in IMAGE_TYPES:
        return IMAGE_TYPES[ext]
    if ext in AUDIO_TYPES:
        return AUDIO_TYPES[ext]
    if kind_of(key) in ("table", "text", "readme"):
        return "text/plain; charset=utf-8"
    return "application/octet-stream"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # integer, number, boolean, date, text, empty
    description: str
    examples: list[str]
    null_share: float


@dataclass(frozen=True)
class Preview:
    obj: DatasetObject
    kind: str
    truncated: bool
    columns: list[Column] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    row_count: int = 0  # rows read within the cap (the column view's basis)
    text: str = ""
    fits: bool = True  # the whole file is within the cap (images are shown only then)


@dataclass(frozen=True)
class PreviewBytes:
    obj: DatasetObject
    data: bytes
    content_type: str
    truncated: bool


# --- finding the preview objects ---------------------------------------------------------------


def _visible(session: Session, actor: Actor, slug: str) -> Dataset:
    dataset = (
        session.scalar(select(Dataset).where(Dataset.slug == slug)) if len(slug) <= 100 else None
    )
    if dataset is None or (
        dataset.status != DatasetStatus.PUBLISHED
        and not policy.can(actor, "dataset.view_drafts", dataset)
    ):
        raise NotFound(f"No published dataset {slug!r}.")
    return dataset


def preview_objects(
    session: Session, actor: Actor, slug: str
) -> tuple[DatasetVersion | None, list[DatasetObject]]:
    """The latest published version and its preview objects, README first."""
    dataset = _visible(session, actor, slug)
    version = latest_published_version(session, dataset)
    if version is None:
        return None, []
    objects = list(
        session.scalars(
            select(DatasetObject)
            .where(DatasetObject.version_id == version.id, DatasetObject.preview.is_(True))
            .order_by(DatasetObject.key)
        )
    )
    objects.sort(key=lambda o: (kind_of(o.key) != "readme", o.key))
    return version, objects


def read_preview(
    session: Session, actor: Actor, store: ObjectStore, slug: str, object_id: int, cap: int
) -> PreviewBytes:
    """At most ``cap`` bytes of one preview object; any other object is ``preview_not_found``."""
    version, objects = preview_objects(session, actor, slug)
    obj = next((o for o in objects if o.id == object_id), None)
    if version is None or obj is None:
        raise NotFound(
            f"Dataset {slug!r} has no preview file {object_id}.", code="preview_not_found"
        )
    data = _read(store, version, obj, cap)
    return PreviewBytes(
        obj=obj, data=data, content_type=served_type(obj.key), truncated=obj.size > len(data)
    )


def _read(store: ObjectStore, version: DatasetVersion, obj: DatasetObject, cap: int) -> bytes:
    ver_store = store_for_version(store, version)
    try:
        with storage_errors(), ver_store.open(full_key(version, obj.key)) as stream:
            return stream.read(cap)
    except ObjectNotFound as exc:
        raise NotFound(
            f"The preview file {obj.key!r} is missing from the store.", code="preview_not_found"
        ) from exc


# --- what the dataset page shows ------------------------------------------------------------


def dataset_previews(
    session: Session, actor: Actor, store: ObjectStore, slug: str, cap: int
) -> list[Preview]:
    """Each preview object read and parsed within ``cap`` bytes, for the dataset page."""
    version, objects = preview_objects(session, actor, slug)
    if version is None:
        return []
    descriptions = _column_descriptions(version.dataset)
    previews = []
    for obj in objects:
        kind = kind_of(obj.key)
        fits = obj.size <= cap
        if kind in ("image", "audio", "other"):
            previews.append(Preview(obj=obj, kind=kind, truncated=not fits, fits=fits))
            continue
        data = _read(store, version, obj, cap)
        truncated = obj.size > len(data)
        if kind == "table":
            header, rows = parse_table(obj.key, data, truncated)
            previews.append(
                Preview(
                    obj=obj,
                    kind=kind,
                    truncated=truncated,
                    columns=infer_columns(header, rows, descriptions.get(obj.key, {})),
                    rows=rows[:PREVIEW_ROWS],
                    row_count=len(rows),
                    fits=fits,
                )
            )
        else:
            text = _decode(data, truncated)
            previews.append(
                Preview(
                    obj=obj,
                    kind=kind,
                    truncated=truncated or len(text) > EXCERPT_CHARS,
                    text=text if kind == "readme" else text[:EXCERPT_CHARS],
                    fits=fits,
                )
            )
    return previews


def _column_descriptions(dataset: Dataset) -> dict[str, dict[str, str]]:
    raw = (dataset.card or {}).get("columns") or {}
    return {
        str(k): {str(c): str(d) for c, d in v.items()}
        for k, v in raw.items()
        if isinstance(v, dict)
    }


def _decode(data: bytes, truncated: bool) -> str:
    text = data.decode("utf-8", errors="replace")
    if truncated and "\n" in text:
        text = text[: text.rindex("\n") + 1]  # no half line at the cut
    return text.lstrip("\ufeff")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def parse_table(key: str, data: bytes, truncated: bool) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV, TSV or JSON Lines file's first bytes (whole lines only)."""
    text = _decode(data, truncated)
    ext = posixpath.splitext(key.lower())[1]
    if ext in JSONL_EXTS:
        header: list[str] = []
        records: list[dict[str, object]] = []
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except ValueError:
                continue
            record = value if isinstance(value, dict) else {"value": value}
            records.append(record)
            header.extend(k for k in record if k not in header)
        return header, [[_cell(r.get(h)) for h in header] for r in records]
    reader = csv.reader(io.StringIO(text), delimiter=TABLE_EXTS.get(ext, ","))
    lines = [row for row in reader if row]
    if not lines:
        return [], []
    header = lines[0]
    width = len(header)
    rows = [(row + [""] * width)[:width] for row in lines[1:]]
    return header, rows


_INT = re.compile(r"^[+-]?\d+$")
_NUM = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][\d:.+Z-]+)?$")
_NULLS = ("", "null", "none", "na", "n/a", "nan")


def _kind(value: str) -> str:
    if _INT.match(value):
        return "integer"
    if _NUM.match(value):
        return "number"
    if value.lower() in ("true", "false"):
        return "boolean"
    if _DATE.match(value):
        return "date"
    return "text"


def infer_columns(
    header: list[str], rows: list[list[str]], descriptions: dict[str, str]
) -> list[Column]:
    """Per column: the type every non-empty value fits, examples and the share of empties."""
    columns = []
    for i, name in enumerate(header):
        values = [row[i] if i < len(row) else "" for row in rows]
        present = [v for v in values if v.strip().lower() not in _NULLS]
        kinds = {_kind(v.strip()) for v in present}
        if not kinds:
            kind = "empty"
        elif len(kinds) == 1:
            kind = kinds.pop()
        elif kinds == {"integer", "number"}:
            kind = "number"
        else:
            kind = "text"
        examples: list[str] = []
        for v in present:
            short = v if len(v) <= 40 else v[:39] + "…"
            if short not in examples:
                examples.append(short)
            if len(examples) == EXAMPLES:
                break
        columns.append(
            Column(
                name=name,
                kind=kind,
                description=descriptions.get(name, ""),
                examples=examples,
                null_share=(len(values) - len(present)) / len(values) if values else 0.0,
            )
        )
    return columns


# --- what providers change ---------------------------------------------------------------------


def set_preview(
    session: Session, actor: Actor, slug: str, label: str, key: str, preview: bool
) -> DatasetObject:
    """Mark (or unmark) one object of a version as a preview file."""
    with transaction(session):
        dataset = get_dataset(session, slug)
        policy.require(actor, "dataset.manage", dataset)
        version = get_version(session, dataset, label)
        obj = session.scalar(
            select(DatasetObject).where(
                DatasetObject.version_id == version.id, DatasetObject.key == key
            )
        )
        if obj is None:
            raise NotFound(f"Version {label} has no file {key!r}.", code="object_not_found")
        _mark(session, actor, slug, label, obj, preview)
    return obj


def _mark(
    session: Session, actor: Actor, slug: str, label: str, obj: DatasetObject, preview: bool
) -> None:
    if obj.preview != preview:
        obj.preview = preview
        record_event(
            session,
            actor,
            AuditAction.DATASET_UPDATE,
            "dataset",
            slug,
            {"version": label, "key": obj.key, "preview": preview},
        )


def set_card(
    session: Session,
    actor: Actor,
    slug: str,
    values: dict[str, str],
    columns: dict[str, dict[str, str]] | None = None,
) -> Dataset:
    """Replace the card's free fields (CARD_FIELDS) of a dataset, and with ``columns`` the
    provider's column descriptions ({file key: {column: description}}); unknown fields are
    refused."""
    unknown = sorted(set(values) - set(CARD_FIELDS))
    if unknown:
        raise InvalidInput(f"Unknown card fields: {', '.join(unknown)}.", code="invalid_input")
    with transaction(session):
        dataset = get_dataset(session, slug)
        policy.require(actor, "dataset.manage", dataset)
        card = dict(dataset.card or {})
        for name in CARD_FIELDS:
            if name in values:
                card[name] = values[name].strip()[:2000]
        if columns is not None:
            card["columns"] = {
                key: {col: desc.strip()[:500] for col, desc in cols.items() if desc.strip()}
                for key, cols in columns.items()
                if any(desc.strip() for desc in cols.values())
            }
        dataset.card = card
        changed = sorted(values) + (["columns"] if columns is not None else [])
        record_event(session, actor, AuditAction.DATASET_UPDATE, "dataset", slug, {"card": changed})
    return dataset


# --- the dataset card ---------------------------------------------------------------------------


@dataclass
class Folder:
    name: str
    size: int = 0
    files: int = 0
    folders: dict[str, Folder] = field(default_factory=dict)
    leaves: list[DatasetObject] = field(default_factory=list)


@dataclass(frozen=True)
class Card:
    dataset: Dataset
    version: DatasetVersion | None
    objects: list[DatasetObject]  # the version's manifest (up to MANIFEST_LIMIT)
    tree: Folder
    last_updated: datetime
    holders: int
    holder_names: list[str] | None  # None: the actor may not see which teams hold it
    related: list[Dataset]


MANIFEST_LIMIT = 500


def folder_tree(objects: list[DatasetObject]) -> Folder:
    """The version's files as folders, each with the total size and count of what it holds."""
    root = Folder("")
    for obj in objects:
        parts = obj.key.split("/")
        node = root
        node.size += obj.size
        node.files += 1
        for part in parts[:-1]:
            node = node.folders.setdefault(part, Folder(part))
            node.size += obj.size
            node.files += 1
        node.leaves.append(obj)
    return root


def dataset_card(session: Session, actor: Actor, slug: str) -> Card:
    """What the dataset page's card shows, with team names only for those who may see them."""
    dataset = _visible(session, actor, slug)
    version = latest_published_version(session, dataset)
    objects = (
        list(
            session.scalars(
                select(DatasetObject)
                .where(DatasetObject.version_id == version.id)
                .order_by(DatasetObject.key)
                .limit(MANIFEST_LIMIT)
            )
        )
        if version is not None
        else []
    )
    teams = licensed_team_codes(session, dataset)
    stamps = [dataset.updated_at] + [
        v.published_at for v in dataset.versions if v.published_at is not None
    ]
    related = list(
        session.scalars(
            select(Dataset)
            .where(
                Dataset.status == DatasetStatus.PUBLISHED,
                Dataset.id != dataset.id,
                Dataset.institution_id == dataset.institution_id,
            )
            .order_by(Dataset.slug)
            .limit(20)
        )
    )
    keywords = set(dataset.keywords)
    if len(related) < 4 and keywords:
        others = session.scalars(
            select(Dataset)
            .where(Dataset.status == DatasetStatus.PUBLISHED, Dataset.id != dataset.id)
            .order_by(Dataset.slug)
        )
        related += [d for d in others if d not in related and keywords & set(d.keywords)]
    related.sort(key=lambda d: -len(keywords & set(d.keywords)))
    return Card(
        dataset=dataset,
        version=version,
        objects=objects,
        tree=folder_tree(objects),
        last_updated=max(stamps),
        holders=len(teams),
        holder_names=(teams if policy.can(actor, "dataset.view_holders", dataset) else None),
        related=related[:4],
    )


def edit_view(session: Session, actor: Actor, slug: str) -> tuple[Dataset, DatasetVersion | None]:
    """The dataset and its newest version (draft or published), for the provider's card form."""
    dataset = get_dataset(session, slug)
    policy.require(actor, "dataset.manage", dataset)
    version = session.scalar(
        select(DatasetVersion)
        .where(DatasetVersion.dataset_id == dataset.id)
        .order_by(DatasetVersion.id.desc())
        .limit(1)
    )
    return dataset, version


def save_card(
    session: Session,
    actor: Actor,
    slug: str,
    values: dict[str, str],
    label: str | None,
    preview_keys: set[str],
    columns: dict[str, dict[str, str]] | None = None,
) -> Dataset:
    """The provider's card form in one unit of work: card fields, column descriptions and
    which files are previews."""
    with transaction(session):
        dataset = set_card(session, actor, slug, values, columns)
        if label is not None:
            version = get_version(session, dataset, label)
            objects = list(
                session.scalars(select(DatasetObject).where(DatasetObject.version_id == version.id))
            )
            unknown = sorted(preview_keys - {obj.key for obj in objects})
            if unknown:
                raise InvalidInput(
                    f"Version {label} has no file {unknown[0]!r}.", code="object_not_found"
                )
            for obj in objects:
                _mark(session, actor, slug, label, obj, obj.key in preview_keys)
    return dataset
