"""A dataset as a Croissant 1.1 JSON-LD document (MLCommons), with the RAI fields we know.

Every object of the latest published version is a ``FileObject`` (name, size, SHA-256);
preview files that fit within the preview cap get the preview route as ``contentUrl`` and,
when tabular, a ``RecordSet`` whose fields are the columns the preview service inferred, so
that a Croissant reader can load the sample rows without a licence. The other objects name
the dataset page as where they are licensed.
"""

from __future__ import annotations

import posixpath
from typing import Any

from catalog.services.previews import JSONL_EXTS, Preview

CONFORMS_TO = "http://mlcommons.org/croissant/1.1"
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}
DATA_TYPES = {
    "integer": "sc:Integer",
    "number": "sc:Float",
    "boolean": "sc:Boolean",
    "date": "sc:Date",
    "text": "sc:Text",
    "empty": "sc:Text",
}
ENCODINGS = {
    ".csv": "text/csv",
    ".tsv": "text/tab-separated-values",
    ".jsonl": "application/jsonlines",
    ".ndjson": "application/jsonlines",
}


def _file_id(key: str) -> str:
    return "file/" + key


def document(
    ds: Any,
    version: Any,
    objects: list[Any],
    previews: list[Preview],
    *,
    base: str,
    licence_url: str | None,
    cite_as: str,
) -> dict[str, Any]:
    """The Croissant document of ``ds`` at ``version`` (``objects``: its whole manifest)."""
    page = f"{base}/datasets/{ds.slug}"
    card = ds.card or {}
    fitted = {p.obj.id: p for p in previews if p.fits}
    distribution = []
    for obj in objects:
        ext = posixpath.splitext(obj.key.lower())[1]
        is_preview = obj.id in fitted
        distribution.append(
            {
                "@type": "cr:FileObject",
                "@id": _file_id(obj.key),
                "name": obj.key,
                "description": (
                    "Preview file, readable before purchase."
                    if is_preview
                    else "Licensed file: download it with a licence from the dataset page."
                ),
                "contentUrl": (
                    f"{page}/preview/{obj.id}" if is_preview else f"{page}#file={obj.key}"
                ),
                "contentSize": f"{obj.size} B",
                "encodingFormat": ENCODINGS.get(ext) or obj.content_type,
                "sha256": obj.sha256,
            }
        )
    record_sets = []
    for p in previews:
        if p.kind != "table" or not p.fits or not p.columns:
            continue
        jsonl = posixpath.splitext(p.obj.key.lower())[1] in JSONL_EXTS
        rs_id = "preview/" + p.obj.key
        fields = []
        for col in p.columns:
            extract = {"jsonPath": f"$.{col.name}"} if jsonl else {"column": col.name}
            fields.append(
                {
                    "@type": "cr:Field",
                    "@id": f"{rs_id}/{col.name}",
                    "name": col.name,
                    "description": col.description or f"Column {col.name} ({col.kind}).",
                    "dataType": DATA_TYPES[col.kind] if not jsonl else "sc:Text",
                    "source": {"fileObject": {"@id": _file_id(p.obj.key)}, "extract": extract},
                }
            )
        record_sets.append(
            {
                "@type": "cr:RecordSet",
                "@id": rs_id,
                "name": rs_id,
                "description": f"The preview rows of {p.obj.key}.",
                "field": fields,
            }
        )
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": ds.slug,
        "alternateName": [ds.title_en, ds.title_ko],
        "description": ds.description_en or ds.title_en,
        "url": page,
        "version": _semver(version.label) if version is not None else "0.0.0",
        "datePublished": (
            version.published_at.date().isoformat()
            if version is not None and version.published_at
            else ds.created_at.date().isoformat()
        ),
        "dateModified": ds.updated_at.date().isoformat(),
        "inLanguage": list(ds.languages),
        "keywords": list(ds.keywords),
        "creator": {
            "@type": "sc:Organization",
            "name": ds.institution.name_en,
            "alternateName": ds.institution.name_ko,
        },
        "publisher": {"@type": "sc:Organization", "name": "K-Data Catalog"},
        "citeAs": cite_as,
        "isLiveDataset": False,
        "distribution": distribution,
        "recordSet": record_sets,
    }
    if licence_url:
        doc["license"] = licence_url
    # RAI: what the provider's card says, as the Croissant RAI vocabulary names it.
    for prop, name in (
        ("rai:dataUseCases", "intended_uses"),
        ("rai:dataLimitations", "limitations"),
        ("rai:personalSensitiveInformation", "personal_data"),
    ):
        if card.get(name):
            doc[prop] = card[name]
    if ds.coverage_start or ds.coverage_end:
        doc["temporalCoverage"] = f"{ds.coverage_start or '..'}/{ds.coverage_end or '..'}"
    return doc


def _semver(label: str) -> str:
    """A version label as the MAJOR.MINOR.PATCH Croissant expects (``v2`` → ``2.0.0``)."""
    digits = [p for p in label.lstrip("vV").split(".") if p.isdigit()]
    return ".".join((digits + ["0", "0", "0"])[:3]) if digits else "0.0.0"
