"""Datasets, their versions and each version's object manifest."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.db import Base, utcnow
from catalog.models._types import BigId, JSONType, UTCDateTime, str_enum
from catalog.models.institutions import Institution
from storage.sigv4 import quote_key

if TYPE_CHECKING:
    from catalog.models.offers import Offer


def _quoted_key(context: DefaultExecutionContext) -> str:
    params: dict[str, str] = context.get_current_parameters()  # type: ignore[no-untyped-call]
    return quote_key(params["key"])


class Modality(enum.StrEnum):
    TEXT = "text"
    TABULAR = "tabular"
    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"
    MULTIMODAL = "multimodal"


class Sensitivity(enum.StrEnum):
    OPEN = "open"
    RESTRICTED = "restricted"
    DEIDENTIFIED = "deidentified_personal"


class DatasetStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class VersionStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Dataset(Base):
    __tablename__ = "datasets"
    __table_args__ = (
        CheckConstraint("record_count >= 0", name="record_count_non_negative"),
        CheckConstraint("total_bytes >= 0", name="total_bytes_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    title_ko: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    description_ko: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    modality: Mapped[Modality] = mapped_column(str_enum(Modality, "modality"))
    languages: Mapped[list[str]] = mapped_column(JSONType, default=list)
    formats: Mapped[list[str]] = mapped_column(JSONType, default=list)
    record_count: Mapped[int] = mapped_column(BigInteger, default=0)
    total_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    coverage_start: Mapped[str | None] = mapped_column(String(10))
    coverage_end: Mapped[str | None] = mapped_column(String(10))
    keywords: Mapped[list[str]] = mapped_column(JSONType, default=list)
    sensitivity: Mapped[Sensitivity] = mapped_column(
        str_enum(Sensitivity, "sensitivity"), default=Sensitivity.OPEN
    )
    status: Mapped[DatasetStatus] = mapped_column(
        str_enum(DatasetStatus, "dataset_status"), default=DatasetStatus.DRAFT
    )
    is_demo: Mapped[bool] = mapped_column(default=False)
    # The dataset card's free fields (catalog.services.previews.CARD_FIELDS): update
    # frequency, contact department, intended uses, limitations, personal-data note and the
    # provider's column descriptions ({"file key": {"column": "description"}}).
    card: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, server_default="{}")
    # Titles, descriptions and keywords, lower-cased and expanded into character
    # bigrams by catalog.services.search; the only text the search queries.
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    institution: Mapped[Institution] = relationship(back_populates="datasets")
    versions: Mapped[list[DatasetVersion]] = relationship(
        back_populates="dataset", order_by="DatasetVersion.id"
    )
    offers: Mapped[list[Offer]] = relationship(back_populates="dataset", order_by="Offer.id")


class DatasetVersion(Base):
    __tablename__ = "dataset_versions"
    __table_args__ = (
        UniqueConstraint("dataset_id", "label"),
        CheckConstraint("object_count >= 0", name="object_count_non_negative"),
        CheckConstraint("total_bytes >= 0", name="total_bytes_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    label: Mapped[str] = mapped_column(String(50))
    # Where the bytes live: the store named by KDC_STORAGE_URL when the version was
    # made ("file" or "s3"), the bucket, and the key prefix under which objects sit.
    storage_backend: Mapped[str] = mapped_column(String(16), default="file")
    bucket: Mapped[str] = mapped_column(String(255), default="")
    prefix: Mapped[str] = mapped_column(String(1024))
    status: Mapped[VersionStatus] = mapped_column(
        str_enum(VersionStatus, "version_status"), default=VersionStatus.DRAFT
    )
    release_notes: Mapped[str] = mapped_column(Text, default="")
    object_count: Mapped[int] = mapped_column(BigInteger, default=0)
    total_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    dataset: Mapped[Dataset] = relationship(back_populates="versions")


class DatasetObject(Base):
    __tablename__ = "dataset_objects"
    __table_args__ = (
        UniqueConstraint("version_id", "key"),
        CheckConstraint("size >= 0", name="size_non_negative"),
        CheckConstraint("length(sha256) = 64", name="sha256_length"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("dataset_versions.id"))
    key: Mapped[str] = mapped_column(String(1024))
    # The key percent-encoded as it appears in a URL path (RFC 3986, "/" kept), written
    # once when the object is registered so that presigning a manifest page does not
    # re-encode every Korean key (see storage.sigv4.quote_key). Null: encode on the fly.
    quoted_key: Mapped[str | None] = mapped_column(Text, default=_quoted_key)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(200), default="application/octet-stream")
    # A sample anyone who may see the dataset may read before buying (within the preview
    # byte cap), through the preview route; every other object needs a licence.
    preview: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
