"""The dataset card's texts: the README as safe HTML, language names, citations to copy."""

from __future__ import annotations

import re
from typing import Any

from babel import Locale, UnknownLocaleError
from markdown_it import MarkdownIt
from markupsafe import Markup

# CommonMark with raw HTML off: any HTML in a README is shown as text, never run, and
# markdown-it refuses javascript: and data: links by itself. Line breaks are kept, as most
# READMEs here are plain text.
_MD = MarkdownIt(
    "commonmark", {"html": False, "linkify": False, "typographer": False, "breaks": True}
)


def render_markdown(text: str) -> Markup:
    return Markup(_MD.render(text))  # noqa: S704 - markdown-it escapes everything it is given


# Names the locale data lacks (CLDR has no Korean name for Literary Chinese).
EXTRA_NAMES = {("lzh", "ko"): "한문(고전 중국어)"}


def language_name(code: str, locale: str) -> str:
    """``ko`` → 한국어 / Korean; a code babel does not know stays as it is."""
    lang = locale[:2]
    if (code, lang) in EXTRA_NAMES:
        return EXTRA_NAMES[(code, lang)]
    try:
        names = Locale.parse(lang).languages
    except (UnknownLocaleError, ValueError):
        return code
    return names.get(code) or code


def _year(dataset: Any, version: Any) -> int:
    stamp = version.published_at if version is not None and version.published_at else None
    return (stamp or dataset.created_at).year


def citation_ko(dataset: Any, version: Any, base: str) -> str:
    """출처 표시: institution, title, version, where to get it, year."""
    label = f", {version.label}" if version is not None else ""
    return (
        f"{dataset.institution.name_ko}, 「{dataset.title_ko}」{label}, K-Data Catalog, "
        f"{base}/datasets/{dataset.slug} ({_year(dataset, version)})."
    )


def _bib(text: str) -> str:
    return re.sub(r"([{}%&$#_\\])", r"\\\1", text)


def bibtex(dataset: Any, version: Any, base: str) -> str:
    key = re.sub(r"[^a-z0-9]+", "_", dataset.slug.lower())
    fields = [
        ("title", f"{_bib(dataset.title_en)} ({_bib(dataset.title_ko)})"),
        ("author", "{" + _bib(dataset.institution.name_en) + "}"),
        ("year", str(_year(dataset, version))),
        ("publisher", "K-Data Catalog"),
        ("howpublished", f"\\url{{{base}/datasets/{dataset.slug}}}"),
    ]
    if version is not None:
        fields.append(("version", _bib(version.label)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{key},\n{body}\n}}"
