"""What a licence's terms say, read in one place: the broker's decisions, the ODRL policy,
the licence text and the pages all come from here.

A licence keeps a frozen copy of its offer's terms (``Offer.terms()``). ``Terms.from_frozen``
reads that copy; a field a licence sold before it existed reads as "not stated": no cap on
objects or bytes, no KOGL type, no licence document.

``decide(terms, action, situation)`` is the one decision function. The access broker asks
it before issuing URLs (action ``download``: within the term, within the quota); the
pages and ``GET /api/v1/licenses/{id}`` ask it for the other actions (``train``,
``commercialModel`` …); ``catalog.odrl`` writes the same rules as an ODRL 2.2 policy, and a
property test checks that the two always agree.

Quotas count what the broker *issued*: a URL issued is a download permitted, whether or not
the bytes were fetched, and asking again for the same page counts again. A request that
would cross the quota is refused whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# --------------------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class ActionDef:
    """One action of our vocabulary (``<base>/vocab#<name>``)."""

    name: str
    use: str | None  # the permitted use of an offer that grants it; None: every licence
    label_en: str
    label_ko: str
    definition: str
    included_in: str  # the ODRL core action it refines


ACTIONS: tuple[ActionDef, ...] = (
    ActionDef(
        "download",
        None,
        "Download",
        "내려받기",
        "Obtain copies of the licensed dataset's objects through the catalogue's access "
        "broker (each issued URL counts against the quota).",
        "http://www.w3.org/ns/odrl/2/reproduce",
    ),
    ActionDef(
        "train",
        "ai_training",
        "Train models",
        "모델 학습",
        "Use the data to train (pre-train) machine-learning models.",
        "http://www.w3.org/ns/odrl/2/use",
    ),
    ActionDef(
        "fineTune",
        "ai_training",
        "Fine-tune models",
        "모델 미세조정",
        "Use the data to fine-tune or adapt an existing model.",
        "http://www.w3.org/ns/odrl/2/use",
    ),
    ActionDef(
        "commercialModel",
        "commercial_model",
        "Offer a commercial model",
        "상용 모델 제공",
        "Offer a model trained on the data commercially (products, paid services).",
        "http://www.w3.org/ns/odrl/2/commercialize",
    ),
    ActionDef(
        "releaseWeights",
        "release_weights",
        "Release model weights",
        "모델 가중치 공개",
        "Publish the weights of a model trained on the data.",
        "http://www.w3.org/ns/odrl/2/distribute",
    ),
    ActionDef(
        "deriveDataset",
        "derivative_datasets",
        "Create derivative datasets",
        "파생 데이터셋 작성",
        "Create and keep new datasets derived from the data (cleaned, annotated, "
        "synthesised from it).",
        "http://www.w3.org/ns/odrl/2/derive",
    ),
    ActionDef(
        "publishExcerpts",
        "publish_excerpts",
        "Publish excerpts",
        "발췌 공개",
        "Publish short excerpts of the data (papers, model cards, demonstrations).",
        "http://www.w3.org/ns/odrl/2/present",
    ),
    ActionDef(
        "redistribute",
        "redistribution",
        "Redistribute",
        "재배포",
        "Give copies of the data to anyone outside the licensed team.",
        "http://www.w3.org/ns/odrl/2/distribute",
    ),
)
ACTION_NAMES = tuple(a.name for a in ACTIONS)
ACTION_BY_NAME = {a.name: a for a in ACTIONS}

# Duties and operands of the vocabulary (documented in docs/licences.md and at /vocab).
DUTIES: tuple[tuple[str, str, str], ...] = (
    (
        "attributionText",
        "Attribution text",
        "The sentence a licensee shows where it uses the data.",
    ),
    (
        "deleteAtEnd",
        "Delete at the end",
        "When the licence ends (expiry, revocation, elimination without survival) the team "
        "deletes its copies and submits a destruction attestation.",
    ),
    (
        "usageReport",
        "Usage report",
        "The broker counts the objects and bytes issued under the licence; the team, the "
        "provider and the auditors see the figures.",
    ),
    (
        "bytes",
        "Bytes issued",
        "Left operand: the bytes of the objects whose URLs were issued in the licence's "
        "current term, including the request being decided.",
    ),
    (
        "textSha256",
        "Licence text SHA-256",
        "The SHA-256 of the exact licence text a team accepts.",
    ),
    ("kogl", "KOGL type", "The 공공누리 (Korea Open Government Licence) type the offer declares."),
)


# --------------------------------------------------------------------------- KOGL


@dataclass(frozen=True)
class Kogl:
    """공공누리 (Korea Open Government Licence): attribution always; types 2 and 4 forbid
    commercial use; types 3 and 4 forbid modification (derivative works)."""

    type: int
    name_ko: str
    name_en: str
    commercial: bool
    derivatives: bool

    @property
    def url(self) -> str:
        return f"https://www.kogl.or.kr/info/licenseType{self.type}.do"


KOGL: dict[int, Kogl] = {
    1: Kogl(1, "공공누리 제1유형: 출처표시", "KOGL Type 1: Attribution", True, True),
    2: Kogl(
        2,
        "공공누리 제2유형: 출처표시 + 상업적 이용금지",
        "KOGL Type 2: Attribution + No commercial use",
        False,
        True,
    ),
    3: Kogl(
        3,
        "공공누리 제3유형: 출처표시 + 변경금지",
        "KOGL Type 3: Attribution + No modification",
        True,
        False,
    ),
    4: Kogl(
        4,
        "공공누리 제4유형: 출처표시 + 상업적 이용금지 + 변경금지",
        "KOGL Type 4: Attribution + No commercial use + No modification",
        False,
        False,
    ),
}
# What a KOGL type forbids, by use of an offer.
_KOGL_FORBIDS = {"commercial": ("commercial_model",), "derivatives": ("derivative_datasets",)}


def kogl_forbidden_uses(kogl_type: int | None) -> tuple[str, ...]:
    """The uses an offer of this KOGL type may not permit."""
    if kogl_type is None:
        return ()
    kogl = KOGL[kogl_type]
    out: list[str] = []
    if not kogl.commercial:
        out += _KOGL_FORBIDS["commercial"]
    if not kogl.derivatives:
        out += _KOGL_FORBIDS["derivatives"]
    return tuple(out)


def kogl_attribution(
    kogl_type: int, *, institution_ko: str, title_ko: str, year: int | str, url: str
) -> str:
    """The attribution sentence KOGL prescribes (공공누리 출처표시 예시 1), filled in.

    The example's "무료로" is left out: the copies come from a paid licence.
    """
    return (
        f"본 저작물은 '{institution_ko}'에서 '{year}년' 작성하여 공공누리 제{kogl_type}유형으로 "
        f"개방한 '{title_ko}(작성자:{institution_ko})'을 이용하였으며, 해당 저작물은 "
        f"'{institution_ko}, {url}'에서 내려받으실 수 있습니다."
    )


def kogl_attribution_en(
    kogl_type: int, *, institution_en: str, title_en: str, year: int | str, url: str
) -> str:
    """The English rendering of the KOGL attribution sentence."""
    return (
        f"This work uses “{title_en}” (author: {institution_en}), created by {institution_en} "
        f"in {year} and released under KOGL Type {kogl_type}; it can be obtained from "
        f"{institution_en}, {url}."
    )


# --------------------------------------------------------------------------- the terms


def _positive_int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value


@dataclass(frozen=True)
class Terms:
    """A licence's (or an offer's) terms, every field read with its default."""

    uses: frozenset[str]
    quota_objects: int | None = None
    quota_bytes: int | None = None
    kogl_type: int | None = None
    attribution: str = ""
    survives_elimination: bool = False
    term_months: int = 0
    price_krw: int = 0
    mode: str = "individual"
    document: Mapping[str, Any] | None = None

    @classmethod
    def from_frozen(cls, terms: Mapping[str, Any] | None) -> Terms:
        """Read a frozen copy; absent new fields mean no cap, no KOGL, no document."""
        t = terms or {}
        kogl = t.get("kogl_type")
        document = t.get("licence_document")
        return cls(
            uses=frozenset(str(u) for u in (t.get("uses") or [])),
            quota_objects=_positive_int(t.get("download_quota")),
            quota_bytes=_positive_int(t.get("download_quota_bytes")),
            kogl_type=kogl if kogl in KOGL else None,
            attribution=str(t.get("attribution") or ""),
            survives_elimination=bool(t.get("survives_elimination")),
            term_months=int(t.get("term_months") or 0),
            price_krw=int(t.get("price_krw") or 0),
            mode=str(t.get("mode") or "individual"),
            document=document if isinstance(document, Mapping) else None,
        )

    @property
    def kogl(self) -> Kogl | None:
        return KOGL.get(self.kogl_type) if self.kogl_type else None

    def permits_use(self, action: str) -> bool:
        """Whether the terms permit ``action`` at all (the term and quotas aside)."""
        spec = ACTION_BY_NAME[action]
        if spec.use is None:
            return True
        if spec.use in kogl_forbidden_uses(self.kogl_type):
            return False
        return spec.use in self.uses

    def permitted_actions(self) -> tuple[str, ...]:
        return tuple(a for a in ACTION_NAMES if self.permits_use(a))

    def prohibited_actions(self) -> tuple[str, ...]:
        return tuple(a for a in ACTION_NAMES if not self.permits_use(a))


@dataclass(frozen=True)
class Situation:
    """What a decision depends on besides the terms.

    ``used_*``: what was already issued in the current term; ``objects``/``bytes``: what the
    request asks for now (a manifest page, one file).
    """

    now: datetime
    valid_from: datetime
    valid_until: datetime
    used_objects: int = 0
    used_bytes: int = 0
    objects: int = 0
    bytes: int = 0


@dataclass(frozen=True)
class Decision:
    permitted: bool
    code: str | None = None  # why not: license_expired, use_not_permitted, quota_exhausted
    detail: str = ""
    figures: Mapping[str, int | None] | None = None


PERMIT = Decision(True)


def decide(terms: Terms, action: str, s: Situation) -> Decision:
    """May the licensee do ``action`` now? The rule the broker applies and the policy states.

    Every action needs the licence's term (``valid_from`` ≤ now < ``valid_until``) and the
    terms' permission; ``download`` also needs the request to stay within the quotas
    (objects and bytes issued this term, this request included).
    """
    if action not in ACTION_BY_NAME:
        raise ValueError(f"unknown action {action!r}")
    if not s.valid_from <= s.now < s.valid_until:
        return Decision(False, "license_expired", "The licence is not in its term.")
    if not terms.permits_use(action):
        return Decision(
            False,
            "use_not_permitted",
            f"The licence does not permit {ACTION_BY_NAME[action].label_en.lower()}.",
        )
    if action == "download":
        return check_quota(terms, s)
    return PERMIT


def check_quota(terms: Terms, s: Situation) -> Decision:
    """Within the quotas once this request is counted? Refused whole when not."""
    figures = {
        "used_objects": s.used_objects,
        "allowed_objects": terms.quota_objects,
        "used_bytes": s.used_bytes,
        "allowed_bytes": terms.quota_bytes,
        "requested_objects": s.objects,
        "requested_bytes": s.bytes,
    }
    over = []
    if terms.quota_objects is not None and s.used_objects + s.objects > terms.quota_objects:
        over.append(
            f"{s.used_objects:,} of {terms.quota_objects:,} objects used, "
            f"{s.objects:,} more requested"
        )
    if terms.quota_bytes is not None and s.used_bytes + s.bytes > terms.quota_bytes:
        over.append(
            f"{s.used_bytes:,} of {terms.quota_bytes:,} bytes used, {s.bytes:,} more requested"
        )
    if over:
        return Decision(
            False,
            "quota_exhausted",
            "This request would exceed the licence's download quota for its term ("
            + "; ".join(over)
            + "). Nothing was issued.",
            figures,
        )
    return Decision(True, None, "", figures)


# --------------------------------------------------------------------------- the standard text


def standard_text(
    terms: Terms,
    *,
    dataset_ko: str,
    dataset_en: str,
    institution_ko: str,
    institution_en: str,
) -> tuple[str, str]:
    """The licence text an offer gets when its provider writes none: (Korean, English),
    generated from the terms (what they permit, forbid and require)."""
    labels = {a.name: (a.label_ko, a.label_en) for a in ACTIONS}
    permitted = [a for a in terms.permitted_actions() if a != "download"]
    prohibited = list(terms.prohibited_actions())
    ko = [
        f"데이터 이용 허락 계약서 — {dataset_ko}",
        "",
        f"제1조(당사자) 이용허락자는 {institution_ko}이며, 이용자는 이 이용허락을 구매한 팀이다.",
        f"제2조(기간) 이용 기간은 이용허락이 발효된 날부터 {terms.term_months}개월이다.",
        "제3조(허용되는 이용) "
        + (", ".join(labels[a][0] for a in permitted) or "내려받기 외의 이용은 허용되지 않는다")
        + ".",
        "제4조(금지되는 이용) "
        + (", ".join(labels[a][0] for a in prohibited) or "없음")
        + ". 팀 밖의 누구에게도 데이터를 제공하지 않는다(재배포가 허용된 경우는 제외).",
    ]
    en = [
        f"Data licence agreement — {dataset_en}",
        "",
        f"1. Parties. The licensor is {institution_en}; the licensee is the team that bought "
        "this licence.",
        f"2. Term. The licence runs {terms.term_months} month(s) from the day it takes effect.",
        "3. Permitted uses: "
        + (", ".join(labels[a][1] for a in permitted) or "none besides downloading")
        + ".",
        "4. Prohibited uses: "
        + (", ".join(labels[a][1] for a in prohibited) or "none")
        + ". The data is not given to anyone outside the team (unless redistribution is "
        "permitted).",
    ]
    quota_ko, quota_en = [], []
    if terms.quota_objects is not None:
        quota_ko.append(f"객체 {terms.quota_objects:,}개")
        quota_en.append(f"{terms.quota_objects:,} objects")
    if terms.quota_bytes is not None:
        quota_ko.append(f"{terms.quota_bytes:,}바이트")
        quota_en.append(f"{terms.quota_bytes:,} bytes")
    n = 5
    if quota_ko:
        ko.append(
            f"제{n}조(내려받기 한도) 이용 기간마다 "
            + ", ".join(quota_ko)
            + "까지 내려받기 주소를 발급받을 수 있다. 발급된 주소는 내려받은 것으로 본다."
        )
        en.append(
            f"{n}. Download quota. Per term, download URLs for up to "
            + " and ".join(quota_en)
            + " may be issued; a URL issued counts as a download."
        )
        n += 1
    attribution = terms.attribution or (
        f"출처: {institution_ko}, {dataset_ko}" if not terms.kogl else ""
    )
    if terms.kogl:
        ko.append(
            f"제{n}조(공공누리) 이 데이터는 {terms.kogl.name_ko}에 따른다. 이용자는 공공누리가 "
            "정한 출처표시 문구를 표시한다."
        )
        en.append(
            f"{n}. KOGL. The data follows {terms.kogl.name_en}; the licensee shows the "
            "attribution sentence KOGL prescribes."
        )
        n += 1
    if attribution:
        ko.append(f"제{n}조(출처표시) 이용자는 다음 문구를 표시한다: {attribution}")
        en.append(f"{n}. Attribution. The licensee shows: {attribution}")
        n += 1
    ko.append(
        f"제{n}조(종료 시 파기) 이용허락이 끝나면(만료, 취소, 생존 조건 없는 탈락) 이용자는 "
        "보유한 사본을 모두 파기하고 파기 확인서를 제출한다."
    )
    en.append(
        f"{n}. Deletion at the end. When the licence ends (expiry, revocation, elimination "
        "without survival) the licensee deletes every copy and submits a destruction "
        "attestation."
    )
    n += 1
    ko.append(
        f"제{n}조(팀 탈락) "
        + (
            "팀이 평가에서 탈락하여도 이 이용허락은 유지된다."
            if terms.survives_elimination
            else "팀이 평가에서 탈락하면 이 이용허락은 취소된다."
        )
    )
    en.append(
        f"{n}. Elimination. "
        + (
            "The licence survives the team's elimination from the programme."
            if terms.survives_elimination
            else "The licence is revoked if the team is eliminated from the programme."
        )
    )
    return "\n".join(ko), "\n".join(en)
