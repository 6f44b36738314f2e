"""The demo catalogue's content: institutions, teams, datasets and offers.

DEMO DATA. Titles and descriptions describe the kind of dataset each institution holds;
the sample files are small stand-ins generated here, not the institutions' real data.
Sentences in the samples were written for the demo, records are synthetic, and images
and sounds are made below with the standard library (PNG with zlib + struct, WAV with
``wave``), so the whole catalogue loads in a moment and needs no asset files.
"""

from __future__ import annotations

import csv
import io
import json
import math
import struct
import wave
import zlib
from collections.abc import Callable

INSTITUTIONS = [
    # code, name_ko, name_en, kind
    ("NAK", "국가기록원", "National Archives of Korea", "archive"),
    ("NIKH", "국사편찬위원회", "National Institute of Korean History", "history"),
    ("KOSTAT", "통계청", "Statistics Korea", "statistics"),
    ("KIPO", "특허청", "Korean Intellectual Property Office", "patent"),
    ("KBS", "한국방송공사", "Korean Broadcasting System", "broadcaster"),
    ("MBC", "문화방송", "Munhwa Broadcasting Corporation", "broadcaster"),
    ("SBS", "에스비에스", "Seoul Broadcasting System", "broadcaster"),
    ("EBS", "한국교육방송공사", "Educational Broadcasting System", "broadcaster"),
]

TEAMS = [
    # code, name_ko, name_en, member organisations, initial budget (KRW)
    (
        "naver",
        "네이버클라우드 컨소시엄",
        "Naver Cloud consortium",
        ["Naver Cloud", "Seoul National University"],
        20_000_000_000,
    ),
    ("upstage", "업스테이지 컨소시엄", "Upstage consortium", ["Upstage", "KAIST"], 15_000_000_000),
    (
        "skt",
        "SK텔레콤 컨소시엄",
        "SK Telecom consortium",
        ["SK Telecom", "Krafton"],
        18_000_000_000,
    ),
    ("ncai", "NC AI 컨소시엄", "NC AI consortium", ["NC AI", "Korea University"], 12_000_000_000),
    (
        "lgai",
        "LG AI연구원 컨소시엄",
        "LG AI Research consortium",
        ["LG AI Research", "Yonsei University"],
        16_000_000_000,
    ),
]

ALL_USES = [
    "ai_training",
    "commercial_model",
    "redistribution",
    "derivative_datasets",
    "publish_excerpts",
    "release_weights",
]


# --- small synthetic sample files -------------------------------------------------------

RGB = tuple[int, int, int]


def png(width: int, height: int, pixel: Callable[[int, int], RGB]) -> bytes:
    """A valid 8-bit RGB PNG whose colour at (x, y) is ``pixel(x, y)``."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + tag
            + data
            + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        )

    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type: none
        for x in range(width):
            rows.extend(max(0, min(255, int(c))) for c in pixel(x, y))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


def wav(
    seconds: float,
    pitch_hz: float,
    *,
    syllables_per_s: float = 4.0,
    rate: int = 8000,
    seed: int = 0,
) -> bytes:
    """A valid 16-bit mono WAV of a speech-like buzz: harmonics under a syllable envelope."""
    frames = bytearray()
    n = int(seconds * rate)
    for i in range(n):
        t = i / rate
        f0 = pitch_hz * (1 + 0.08 * math.sin(2 * math.pi * 0.7 * t + seed))
        envelope = abs(math.sin(math.pi * syllables_per_s * t + seed)) ** 1.5
        fade = min(1.0, i / (0.02 * rate), (n - i) / (0.02 * rate))
        sample = sum(math.sin(2 * math.pi * f0 * k * t) / k for k in (1, 2, 3, 4))
        frames += struct.pack("<h", int(7000 * envelope * fade * sample))
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))
    return buf.getvalue()


def _noise(x: int, y: int, seed: int) -> int:
    h = (x * 73856093) ^ (y * 19349663) ^ (seed * 83492791)
    h = (h ^ (h >> 13)) * 1274126177
    return (h >> 8) & 0x1F


def _photo(seed: int) -> bytes:
    """A sepia 'archive photograph': sky gradient, ground, a dark figure, film grain."""
    cx, cy = 20 + seed * 9, 26

    def pixel(x: int, y: int) -> RGB:
        base = 200 - y * 2 if y < 28 else 120 - (y - 28) * 2
        if ((x - cx) / 6) ** 2 + ((y - cy) / 12) ** 2 < 1:
            base = 60
        v = base + _noise(x, y, seed) - 16
        return v + 20, v + 8, v - 12

    return png(64, 48, pixel)


def _logo(shape: str, colour: RGB) -> bytes:
    """A 48×48 trademark-style mark on white."""

    def inside(x: int, y: int) -> bool:
        dx, dy = x - 23.5, y - 23.5
        if shape == "circle":
            return dx * dx + dy * dy < 18**2
        if shape == "ring":
            return 11**2 < dx * dx + dy * dy < 19**2
        if shape == "triangle":
            return 6 <= y <= 42 and abs(dx) <= (y - 6) / 2
        if shape == "diamond":
            return abs(dx) + abs(dy) < 19
        return (x // 8) % 2 == 0 and 8 <= y <= 40  # bars

    return png(48, 48, lambda x, y: colour if inside(x, y) else (255, 255, 255))


def _drawing(kind: str) -> bytes:
    """A 48×48 black-on-white line drawing, as in a design registration's figures."""

    def ink(x: int, y: int) -> bool:
        if kind == "chair":
            seat = 24 <= y <= 26 and 10 <= x <= 38
            back = x in (10, 11) and 4 <= y <= 26
            legs = x in (10, 11, 37, 38) and 26 <= y <= 44
            return seat or back or legs
        # lamp: a shade, a stem and a base
        shade = (
            6 <= y <= 18
            and abs(x - 24) <= 4 + (y - 6) // 2
            and (y in (6, 18) or abs(x - 24) >= 3 + (y - 6) // 2)
        )
        stem = x in (23, 24) and 18 <= y <= 40
        base = 40 <= y <= 42 and 14 <= x <= 34
        return shade or stem or base

    return png(48, 48, lambda x, y: (20, 20, 20) if ink(x, y) else (255, 255, 255))


def _keyframe(seed: int, sky: RGB, ground: RGB) -> bytes:
    """A 64×36 video keyframe: a horizon, a subject, a lower-third caption bar."""

    def pixel(x: int, y: int) -> RGB:
        if y >= 30 and 4 <= x <= 59:
            return (16, 16, 16) if not (31 <= y <= 33 and x % 3) else (235, 235, 235)
        col = sky if y < 16 + seed % 4 else ground
        if abs(x - (18 + seed * 7) % 56) < 5 and 10 <= y < 28:
            col = (200, 170, 140)
        n = _noise(x, y, seed) // 4
        return col[0] + n, col[1] + n, col[2] + n

    return png(64, 36, pixel)


def _manuscript(seed: int) -> bytes:
    """A 48×64 page of hanji paper with vertical columns of brush strokes."""

    def pixel(x: int, y: int) -> RGB:
        col, within = divmod(x - 4, 8)
        stroke = (
            0 <= col < 5
            and 1 <= within <= 4
            and 6 <= y <= 58
            and ((y + col * 5 + seed) % 7 < 5)
            and _noise(x, y, seed) > 6
        )
        if stroke:
            return 40, 34, 30
        n = _noise(x, y, seed + 1) // 3
        return 232 + n, 219 + n, 190 + n

    return png(48, 64, pixel)


def _slide() -> bytes:
    """A 64×36 lecture slide: a title bar and a plotted curve."""
    curve = {x: int(22 - 8 * math.sin(x / 6)) for x in range(64)}

    def pixel(x: int, y: int) -> RGB:
        if y < 7:
            return 0, 94, 162
        if 4 <= x <= 60 and abs(y - curve[x]) <= 0:
            return 200, 40, 40
        if x == 4 or y == 32:
            return 80, 80, 80
        return 250, 250, 250

    return png(64, 36, pixel)


def _jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def _csv(header: list[str], rows: list[list], delimiter: str = ",") -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def _vtt(cues: list[tuple[str, str, str]]) -> str:
    body = "\n".join(f"{start} --> {end}\n{text}\n" for start, end, text in cues)
    return "WEBVTT\n\n" + body


def _srt(cues: list[tuple[str, str, str]]) -> str:
    return "\n".join(
        f"{i}\n{start} --> {end}\n{text}\n" for i, (start, end, text) in enumerate(cues, 1)
    )


def _readme(title_ko: str, title_en: str, lines: list[str]) -> str:
    return "\n".join(
        [
            f"{title_ko} — 데모 샘플 (DEMO)",
            f"{title_en} — demo sample (DEMO)",
            "",
            "이 파일들은 K-Data Catalog 체험용 데모 데이터이며 기관의 실제 데이터가 아닙니다.",
            "These files are demo data for trying K-Data Catalog, not the institution's real data.",
            "",
            *lines,
            "",
        ]
    )


class _Lcg:
    """A tiny deterministic generator, so that synthetic microdata is the same every load."""

    def __init__(self, seed: int):
        self.state = seed

    def pick(self, options: list):
        self.state = (self.state * 1103515245 + 12345) % 2**31
        return options[self.state % len(options)]


def _census_rows() -> list[list]:
    rng = _Lcg(2020)
    rows = []
    for household in range(1, 9):
        region = rng.pick(["11", "26", "27", "28", "41", "43", "46", "48"])
        for member in range(1, rng.pick([1, 2, 3, 4]) + 1):
            age = rng.pick(["00-04", "10-14", "25-29", "35-39", "40-44", "60-64", "75-79"])
            rows.append(
                [
                    f"H{household:06d}",
                    member,
                    region,
                    rng.pick(["1", "2"]),
                    age,
                    rng.pick(["1", "2", "3", "4"]),
                    rng.pick(["1", "2", "3", "4", "5", "6"]),
                    rng.pick(["1", "2", "3"]),
                ]
            )
    return rows


def _household_rows() -> list[list]:
    rng = _Lcg(2024)
    rows = []
    for i in range(1, 13):
        income = rng.pick([1_850_000, 2_930_000, 3_640_000, 4_720_000, 5_980_000, 8_150_000])
        spend = income * rng.pick([55, 62, 68, 74, 81]) // 100
        rows.append(
            [
                f"K{i:07d}",
                "2024",
                rng.pick(["1", "2", "3"]),
                rng.pick([1, 2, 3, 4, 5]),
                income,
                spend * 14 // 100,
                spend * 11 // 100,
                spend * 13 // 100,
                spend * 6 // 100,
                spend,
            ]
        )
    return rows


def _labour_rows() -> list[list]:
    rng = _Lcg(202406)
    rows = []
    for i in range(1, 16):
        status = rng.pick(["1", "1", "1", "2", "3"])
        hours = rng.pick([0, 20, 36, 40, 44, 52]) if status == "1" else 0
        rows.append(
            [
                f"P{i:08d}",
                "2024-06",
                rng.pick(["11", "41", "26", "47"]),
                rng.pick(["1", "2"]),
                rng.pick(["15-19", "20-29", "30-39", "40-49", "50-59", "60+"]),
                status,
                rng.pick(["C", "G", "J", "M", "Q", "-"]) if status == "1" else "-",
                hours,
            ]
        )
    return rows


# --- the datasets -------------------------------------------------------------------------


# Each dataset: fields of Dataset, plus "offers" (fields of Offer) and "files"
# (key -> content of a small sample file: text, or bytes for images and audio).
def _build_datasets() -> list[dict]:
    return [
        # --- National Institute of Korean History -----------------------------------------
        {
            "slug": "joseon-annals-original",
            "institution": "NIKH",
            "title_ko": "조선왕조실록 원문",
            "title_en": "Annals of the Joseon Dynasty — Original Classical Chinese Text",
            "description_ko": "태조부터 철종까지 25대 472년간의 역사를 편년체로 기록한 조선왕조실록의 한문 원문 전체와 기사 단위 메타데이터(왕대, 연월일, 분류).",
            "description_en": "The full Classical Chinese text of the Annals of the Joseon Dynasty, 472 years over 25 reigns from Taejo to Cheoljong, with article-level metadata (reign, date, classification).",
            "modality": "text",
            "languages": ["lzh", "ko"],
            "formats": ["jsonl", "xml"],
            "record_count": 413_000,
            "total_bytes": 2_400_000_000,
            "coverage_start": "1392",
            "coverage_end": "1863",
            "keywords": ["실록", "조선", "한문", "역사", "annals", "joseon", "history"],
            "sensitivity": "open",
            "offers": [
                {
                    "mode": "joint",
                    "price_krw": 600_000_000,
                    "term_months": 24,
                    "min_teams": 2,
                    "max_teams": 5,
                    "join_window_days": 30,
                    "uses": [
                        "ai_training",
                        "commercial_model",
                        "derivative_datasets",
                        "publish_excerpts",
                    ],
                    "attribution": "국사편찬위원회 조선왕조실록",
                    "survives_elimination": True,
                },
                {
                    "mode": "individual",
                    "price_krw": 450_000_000,
                    "term_months": 12,
                    "uses": ["ai_training", "commercial_model"],
                    "attribution": "국사편찬위원회 조선왕조실록",
                    "survives_elimination": False,
                },
            ],
            "files": {
                "README.txt": _readme(
                    "조선왕조실록 원문",
                    "Annals of the Joseon Dynasty, original text",
                    [
                        "왕대별 JSON Lines: id, reign, date, text (한문).",
                        "One JSON object per article: id, reign, date, text.",
                    ],
                ),
                "taejo/001.jsonl": '{"id":"waa_10107017_001","reign":"태조","date":"1392-07-17","text":"太祖康獻至仁啓運聖文神武大王即位于壽昌宮。"}\n',
                "sejong/001.jsonl": '{"id":"wda_12508010_001","reign":"세종","date":"1426-08-10","text":"上御經筵。"}\n',
            },
        },
        {
            "slug": "joseon-annals-translation",
            "institution": "NIKH",
            "title_ko": "조선왕조실록 국역본",
            "title_en": "Annals of the Joseon Dynasty — Korean Translation",
            "description_ko": "조선왕조실록 전체의 현대 한국어 번역문과 원문 대응 정렬. 한문-한국어 병렬 말뭉치로 활용할 수 있습니다.",
            "description_en": "The modern Korean translation of the whole Annals, aligned article by article with the original: a Classical Chinese–Korean parallel corpus.",
            "modality": "text",
            "languages": ["ko", "lzh"],
            "formats": ["jsonl"],
            "record_count": 413_000,
            "total_bytes": 5_100_000_000,
            "coverage_start": "1392",
            "coverage_end": "1863",
            "keywords": ["실록", "번역", "병렬 말뭉치", "annals", "translation", "parallel corpus"],
            "sensitivity": "open",
            "offers": [
                {
                    "mode": "joint",
                    "price_krw": 900_000_000,
                    "term_months": 24,
                    "min_teams": 2,
                    "max_teams": 5,
                    "join_window_days": 30,
                    "uses": ["ai_training", "commercial_model", "derivative_datasets"],
                    "attribution": "국사편찬위원회 조선왕조실록 국역",
                    "survives_elimination": True,
                },
            ],
            "files": {
                "README.txt": _readme(
                    "조선왕조실록 국역본",
                    "Annals of the Joseon Dynasty, Korean translation",
                    [
                        "기사 id는 원문 데이터셋(joseon-annals-original)의 id와 같습니다.",
                        "Article ids match those of joseon-annals-original.",
                    ],
                ),
                "taejo/001.jsonl": '{"id":"waa_10107017_001","ko":"태조 강헌 지인 계운 성문 신무 대왕이 수창궁에서 즉위하였다."}\n',
            },
        },
        {
            "slug": "seungjeongwon-diaries",
            "institution": "NIKH",
            "title_ko": "승정원일기 원문·탈초본",
            "title_en": "Diaries of the Royal Secretariat (Seungjeongwon Ilgi) — Transcribed Text",
            "description_ko": "인조부터 순종까지 왕명 출납을 맡은 승정원이 날마다 기록한 일기의 탈초 원문. 날짜·날씨·입시 기사 단위로 구조화했습니다.",
            "description_en": "The transcribed Classical Chinese text of the daily diaries kept by the Royal Secretariat from King Injo to Sunjong, structured by day, weather note and audience entry.",
            "modality": "text",
            "languages": ["lzh"],
            "formats": ["jsonl"],
            "record_count": 1_260_000,
            "total_bytes": 3_900_000_000,
            "coverage_start": "1623",
            "coverage_end": "1910",
            "keywords": [
                "승정원일기",
                "일기",
                "한문",
                "탈초",
                "조선",
                "역사",
                "diary",
                "royal secretariat",
                "history",
            ],
            "sensitivity": "open",
            "offers": [
                {
                    "mode": "joint",
                    "price_krw": 700_000_000,
                    "term_months": 24,
                    "min_teams": 2,
                    "max_teams": 5,
                    "join_window_days": 30,
                    "uses": ["ai_training", "commercial_model", "derivative_datasets"],
                    "attribution": "국사편찬위원회 승정원일기",
                    "survives_elimination": True,
                },
                {
                    "mode": "individual",
                    "price_krw": 550_000_000,
                    "term_months": 12,
                    "uses": ["ai_training"],
                    "attribution": "국사편찬위원회 승정원일기",
                    "survives_elimination": False,
                },
            ],
            "files": {
                "README.txt": _readme(
                    "승정원일기 원문·탈초본",
                    "Seungjeongwon Ilgi, transcribed text",
                    [
                        "형식: 하루 한 줄(JSON Lines). 필드 id, reign, date, weather, entries.",
                        "Format: one JSON object per day; fields id, reign, date, weather, entries.",
                    ],
                ),
                "injo/1623-03.jsonl": _jsonl(
                    [
                        {
                            "id": "SJW-A01030140",
                            "reign": "인조 1",
                            "date": "1623-04-14",
                            "weather": "晴",
                            "entries": ["上在慶運宮。", "都承旨入侍。"],
                        },
                        {
                            "id": "SJW-A01030150",
                            "reign": "인조 1",
                            "date": "1623-04-15",
                            "weather": "陰",
                            "entries": ["上在慶運宮。", "停常參經筵。"],
                        },
                    ]
                ),
                "yeongjo/1760-01.jsonl": _jsonl(
                    [
                        {
                            "id": "SJW-F36010010",
                            "reign": "영조 36",
                            "date": "1760-02-17",
                            "weather": "雪",
                            "entries": ["上在慶熙宮。", "藥房入診。"],
                        },
                    ]
                ),
            },
        },
        {
            "slug": "historical-manuscripts-ocr",
            "institution": "NIKH",
            "title_ko": "한국 고문서 이미지·판독문",
            "title_en": "Korean Historical Manuscripts — Page Images with Transcriptions",
            "description_ko": "국사편찬위원회가 수집한 고문서(교지, 호적, 분재기, 간찰)의 쪽 이미지와 글자 단위 판독문. 초서 인식과 한문 OCR 학습에 쓸 수 있습니다.",
            "description_en": "Page images of historical documents collected by the Institute (royal certificates, household registers, inheritance records, letters) with character-level transcriptions, for cursive-script recognition and Classical Chinese OCR.",
            "modality": "multimodal",
            "languages": ["lzh", "ko"],
            "formats": ["png", "jsonl"],
            "record_count": 86_000,
            "total_bytes": 1_700_000_000_000,
            "coverage_start": "1500",
            "coverage_end": "1910",
            "keywords": [
                "고문서",
                "판독문",
                "초서",
                "이미지",
                "OCR",
                "manuscript",
                "transcription",
                "handwriting",
            ],
            "sensitivity": "restricted",
            "offers": [
                {
                    "mode": "individual",
                    "price_krw": 250_000_000,
                    "term_months": 18,
                    "uses": ["ai_training", "derivative_datasets"],
                    "attribution": "국사편찬위원회 한국사데이터베이스 고문서",
                    "survives_elimination": False,
                    "download_quota": 50,
                },
            ],
            "files": {
                "README.txt": _readme(
                    "한국 고문서 이미지·판독문",
                    "Korean historical manuscripts",
                    [
                        "pages/*.png 쪽 이미지, transcriptions.jsonl 판독문 (문서 id로 연결).",
                        "Rights of some documents rest with the families that hold them: no redistribution.",
                    ],
                ),
                "pages/GMS-0001-01.png": _manuscript(1),
                "pages/GMS-0002-01.png": _manuscript(2),
                "transcriptions.jsonl": _jsonl(
                    [
                        {
                            "page": "pages/GMS-0001-01.png",
                            "type": "교지",
                            "year": 1794,
                            "text": "敎旨 具某爲通訓大夫者 乾隆五十九年 月 日",
                        },
                        {
                            "page": "pages/GMS-0002-01.png",
                            "type": "간찰",
                            "year": 1852,
                            "text": "伏惟春寒 氣體候萬安 伏慕區區",
                        },
                    ]
                ),
            },
        },
        # --- National Archives of Korea -------------------------------------------------
        {
            "slug": "presidential-records",
            "institution": "NAK",
            "title_ko": "대통령기록물 공개 전자기록",
            "title_en": "Presidential Records — Disclosed Electronic Records",
            "description_ko": "대통령기록관이 관리하는 역대 대통령기록물 가운데 공개로 분류된 연설문, 보도자료, 회의록, 업무일지의 전자 원문과 기록물 철 단위 메타데이터. 지정·비공개 기록물은 포함하지 않습니다.",
            "description_en": "Disclosed records of past presidents held by the Presidential Archives — speeches, press releases, meeting minutes and work logs — as electronic text with file-level metadata. Designated and undisclosed records are excluded.",
            "modality": "text",
            "languages": ["ko"],
            "formats": ["jsonl", "csv"],
            "record_count": 1_850_000,
            "total_bytes": 410_000_000_000,
            "coverage_start": "1948",
            "coverage_end": "2022",
            "keywords": [
                "대통령기록물",
                "기록물",
                "연설문",
                "회의록",
                "공공기록",
                "presidential records",
                "speeches",
                "archives",
            ],
            "sensitivity": "restricted",
            "offers": [
                {
                    "mode": "joint",
                    "price_krw": 1_200_000_000,
                    "term_months": 36,
                    "min_teams": 2,
                    "max_teams": 5,
                    "join_window_days": 45,
                    "uses": ["ai_training", "derivative_datasets"],
                    "attribution": "대통령기록관",
                    "survives_elimination": True,
                },
                {
                    "mode": "individual",
                    "price_krw": 1_500_000_000,
                    "term_months": 24,
                    "uses": ["ai_training", "commercial_model"],
                    "attribution": "대통령기록관",
                    "survives_elimination": False,
                    "download_quota": 20,
                    "kogl_type": 3,
                },
            ],
            "files": {
                "README.txt": _readme(
                    "대통령기록물 공개 전자기록",
                    "Presidential records",
                    [
                        "records.jsonl 원문(데모용으로 작성한 문장), metadata.csv 기록물 철 메타데이터.",
                        "The sentences below were written for the demo; they are not real records.",
                    ],
                ),
                "records.jsonl": _jsonl(
                    [
                        {
                            "record_id": "PRA-DEMO-000001",
                            "type": "연설문",
                            "date": "2003-03-01",
                            "title": "(데모) 기념식 연설",
                            "text": "(데모 문장) 국민 여러분, 오늘 우리는 함께 지난 역사를 돌아봅니다.",
                        },
                        {
                            "record_id": "PRA-DEMO-000002",
                            "type": "보도자료",
                            "date": "2008-06-10",
                            "title": "(데모) 정책 브리핑",
                            "text": "(데모 문장) 정부는 지역 균형 발전을 위한 계획을 발표하였습니다.",
                        },
                        {
                            "record_id": "PRA-DEMO-000003",
                            "type": "회의록",
                            "date": "2017-11-21",
                            "title": "(데모) 국무회의 회의록",
                            "text": "(데모 문장) 의장: 제1호 안건을 상정합니다.",
                        },
                    ]
                ),
                "metadata.csv": _csv(
                    ["record_id", "title", "producer", "date", "category", "disclosure"],
                    [
                        [
                            "PRA-DEMO-000001",
                            "(데모) 기념식 연설",
                            "연설기록비서관실",
                            "2003-03-01",
                            "연설",
                            "공개",
                        ],
                        [
                            "PRA-DEMO-000002",
                            "(데모) 정책 브리핑",
                            "대변인실",
                            "2008-06-10",
                            "보도",
                            "공개",
                        ],
                        [
                            "PRA-DEMO-000003",
                            "(데모) 국무회의 회의록",
                            "국무조정실",
                            "2017-11-21",
                            "회의",
                            "공개",
                        ],
                    ],
                ),
            },
        },
        {
            "slug": "nak-photo-archive",
            "institution": "NAK",
            "title_ko": "국가기록원 기록사진 컬렉션",
            "title_en": "National Archives Photograph Collection",
            "description_ko": "정부 수립 이후 국가기록원이 수집·보존한 기록사진의 디지털 이미지와 촬영 일자, 장소, 설명문. 이미지-설명문 쌍으로 구성되어 있습니다.",
            "description_en": "Digitised photographs preserved by the National Archives since 1948, with date, place and a caption for each: image–caption pairs.",
            "modality": "image",
            "languages": ["ko"],
            "formats": ["png", "jpeg", "jsonl"],
            "record_count": 1_240_000,
            "total_bytes": 2_900_000_000_000,
            "coverage_start": "1948",
            "coverage_end": "2005",
            "keywords": [
                "사진",
                "기록사진",
                "이미지",
                "설명문",
                "photograph",
                "image",
                "caption",
                "archives",
            ],
            "sensitivity": "open",
            "offers": [
                {
                    "mode": "individual",
                    "price_krw": 350_000_000,
                    "term_months": 24,
                    "uses": ["ai_training", "commercial_model", "publish_excerpts"],
                    "attribution": "국가기록원 기록사진",
                    "survives_elimination": False,
                },
                {
                    "mode": "joint",
                    "price_krw": 500_000_000,
                    "term_months": 24,
                    "min_teams": 2,
                    "max_teams": 5,
                    "join_window_days": 30,
                    "uses": [
                        "ai_training",
                        "commercial_model",
                        "derivative_datasets",
                        "publish_excerpts",
                    ],
                    "attribution": "국가기록원 기록사진",
                    "survives_elimination": True,
                },
            ],
            "files": {
                "README.txt": _readme(
                    "국가기록원 기록사진 컬렉션",
                    "Photograph collection",
                    [
                        "images/*.png 사진(합성 이미지), captions.jsonl 설명문.",
                        "images are synthetic 64x48 stand-ins; the real collection is JPEG scans.",
                    ],
                ),
                "images/CET0001.png": _photo(0),
                "images/CET0002.png": _photo(2),
                "images/CET0003.png": _photo(4),
                "captions.jsonl": _jsonl(
                    [
                        {
                            "image": "images/CET0001.png",
                            "date": "1962-05-16",
                            "place": "서울",
                            "caption": "(데모) 시청 앞 광장의 행사 모습",
                        },
                        {
                            "image": "images/CET0002.png",
                            "date": "1970-07-07",
                            "place": "경기",
                            "caption": "(데모) 고속도로 개통식 현장",
                        },
                        {
                            "image": "images/CET0003.png",
                            "date": "1988-09-17",
                            "place": "서울",
                            "caption": "(데모) 올림픽 경기장 전경",
                        },
                    ]
                ),
            },
        },
        {
            "slug": "daehan-newsreels",
            "institution": "NAK",
            "title_ko": "대한뉴스 영상 기록",
            "title_en": "Daehan News Newsreels — Film Archive with Narration Transcripts",
            "description_ko": "1953년부터 1994년까지 극장에서 상영된 정부 뉴스 영화 대한뉴스의 디지털 영상과 내레이션 전사 자막, 꼭지별 메타데이터.",
            "description_en": "Digitised film of Daehan News, the government newsreel shown in cinemas from 1953 to 1994, with narration transcripts as subtitles and per-story metadata.",
            "modality": "video",
            "languages": ["ko"],
            "formats": ["mp4", "vtt", "csv"],
            "record_count": 2_040,
            "total_bytes": 6_300_000_000_000,
            "coverage_start": "1953",
            "coverage_end": "1994",
            "keywords": [
                "대한뉴스",
                "뉴스 영화",
                "영상",
                "필름",
                "자막",
                "내레이션",
                "newsreel",
                "film",
                "video",
                "subtitles",
            ],
            "sensitivity": "open",
            "offers": [
                {
                    "mode": "joint",
                    "price_krw": 800_000_000,
                    "term_months": 24,
                    "min_teams": 2,
                    "max_teams": 5,
                    "join_window_days": 30,
                    "uses": [
                        "ai_training",
                        "commercial_model",
                        "derivative_datasets",
                        "publish_excerpts",
                    ],
                    "attribution": "국가기록원 대한뉴스",
                    "survives_elimination": True,
                },
            ],
            "files": {
                "README.txt": _readme(
                    "대한뉴스 영상 기록",
                    "Daehan News newsreels",
                    [
                        "데모에는 영상 대신 키프레임 이미지와 자막(WebVTT)만 들어 있습니다.",
                        "The demo carries keyframes and WebVTT subtitles; the real dataset ships MP4 (H.264).",
                    ],
                ),
                "episodes.csv": _csv(
                    ["episode", "release_date", "stories", "duration_s", "file"],
                    [
                        ["K0001", "1953-01-01", 4, 612, "video/K0001.mp4"],
                        ["K0750", "1969-11-28", 6, 598, "video/K0750.mp4"],
                    ],
                ),
                "subtitles/K0001.vtt": _vtt(
                    [
                        ("00:00:00.000", "00:00:04.200", "(데모) 대한뉴스 제1호입니다."),
                        (
                            "00:00:04.200",
                            "00:00:09.000",
                            "(데모) 새해를 맞아 전국 각지에서 복구 작업이 한창입니다.",
                        ),
                    ]
                ),
                "keyframes/K0001_0001.png": _keyframe(1, (170, 170, 160), (90, 85, 80)),
            },
        },
        # --- Statistics Korea -----------------------------------------------------------
        {
            "slug": "census-microdata",
            "institution": "KOSTAT",
            "title_ko": "인구주택총조사 마이크로데이터 (2% 표본, 가명처리)",
            "title_en": "Population and Housing Census Microdata (2% sample, de-identified)",
            "description_ko": "인구주택총조사 2% 표본의 개인·가구 단위 마이크로데이터. 가구 식별자는 가명처리하고 연령은 5세 단위, 지역은 시도 단위로 범주화했습니다.",
            "description_en": "Person- and household-level microdata of the 2% sample of the Population and Housing Census. Household identifiers are pseudonymised, age is banded in five years and geography is coarsened to provinces.",
            "modality": "tabular",
            "languages": ["ko", "en"],
            "formats": ["csv"],
            "record_count": 1_030_000,
            "total_bytes": 210_000_000,
            "coverage_start": "2015",
            "coverage_end": "2020",
            "keywords": [
                "인구주택총조사",
                "센서스",
                "마이크로데이터",
                "가명처리",
                "인구",
                "census",
                "microdata",
                "de-identified",
            ],
            "sensitivity": "deidentified_personal",
            "offers": [
                {
                    "mode": "individual",
                    "price_krw": 180_000_000,
                    "term_months": 12,
                    "uses": ["ai_training"],
                    "attribution": "통계청 인구주택총조사 마이크로데이터",
                    "survives_elimination": False,
                    "download_quota": 10,
                },
                {
                    "mode": "joint",
                    "price_krw": 240_000_000,
                    "term_months": 12,
                    "min_teams": 2,
                    "max_teams": 5,
                    "join_window_days": 30,
                    "uses": ["ai_training", "derivative_datasets"],
                    "attribution": "통계청 인구주택총조사 마이크로데이터",
                    "survives_elimination": False,
                    "download_quota": 10,
                },
            ],
            "files": {
                "README.txt": _readme(
                    "인구주택총조사 마이크로데이터",
                    "Census microdata",
                    [
                        "재식별 시도 금지. 결과 공표 시 통계청 반출 심사 필요.",
                        "Re-identification is forbidden; published results need Statistics Korea's disclosure review.",
                        "sample_2020.csv rows are synthetic.",
                    ],
                ),
                "codebook.csv": _csv(
                    ["column", "name_ko", "name_en", "values"],
                    [
                        ["hh_id", "가구번호(가명)", "household id (pseudonym)", "H000001…"],
                        ["member", "가구원번호", "member number", "1–"],
                        [
                            "sido",
                            "시도코드",
                            "province code",
                            "11=서울 26=부산 27=대구 28=인천 41=경기 43=충북 46=전남 48=경남",
                        ],
                        ["sex", "성별", "sex", "1=남 2=여"],
                        ["age5", "연령(5세)", "age band", "00-04 … 85+"],
                        [
                            "marital",
                            "혼인상태",
                            "marital status",
                            "1=미혼 2=배우자있음 3=사별 4=이혼",
                        ],
                        ["education", "교육정도", "education", "1=안받았음 … 6=대학원"],
                        [
                            "activity",
                            "경제활동상태",
                            "economic activity",
                            "1=취업 2=실업 3=비경제활동",
                        ],
                    ],
                ),
                "sample_2020.csv": _csv(
                    ["hh_id", "member", "sido", "sex", "age5", "marital", "education", "activity"],
                    _census_rows(),
                ),
            },
        },
        {
            "slug": "household-income-expenditure",
            "institution": "KOSTAT",
            "title_ko": "가계동향조사 소득·지출 마이크로데이터",
            "title_en": "Household Income and Expenditure Survey Microdata",
            "description_ko": "가계동향조사의 분기별 가구 단위 소득·소비지출 항목 마이크로데이터. 가구 식별 정보는 제거하고 소득은 원 단위로 제공합니다.",
            "description_en": "Quarterly household-level microdata of income and consumption expenditure items from the Household Income and Expenditure Survey, with identifying information removed; amounts in won.",
            "modality": "tabular",
            "languages": ["ko", "en"],
            "formats": ["csv"],
            "record_count": 1_450_000,
            "total_bytes": 380_000_000,
            "coverage_start": "2006",
            "coverage_end": "2024",
            "keywords": [
                "가계동향조사",
                "소득",
                "지출",
                "가계",
                "마이크로데이터",
                "household",
                "income",
                "expenditure",
                "survey",
            ],
            "sensitivity": "deidentified_personal",
            "offers": [
                {
                    "mode": "individual",
                    "price_krw": 120_000_000,
                    "term_months": 24,
                    "uses": ["ai_training", "commercial_model"],
                    "attribution": "통계청 가계동향조사",
                    "survives_elimination": True,
                },
            ],
            "files": {
                "README.txt": _readme(
                    "가계동향조사 소득·지출",
                    "Household income and expenditure survey",
                    [
                        "금액 단위: 원/월. Amounts in KRW per month. Rows are synthetic.",
                    ],
                ),
                "sample_2024Q1.csv": _csv(
                    [
                        "hh_key",
                        "year",
                        "quarter",
                        "members",
                        "income_total",
                        "food",
                        "housing",
                        "transport",
                        "education",
                        "consumption_total",
                    ],
                    _household_rows(),
                ),
            },
        },
        {
            "slug": "economically-active-population",
            "institution": "KOSTAT",
            "title_ko": "경제활동인구조사 마이크로데이터",
            "title_en": "Economically Active Population Survey Microdata",
            "description_ko": "매월 약 3만 5천 가구를 조사하는 경제활동인구조사의 개인 단위 마이크로데이터: 취업·실업·비경제활동 상태, 산업, 주당 취업시간.",
            "description_en": "Person-level microdata of the monthly Economically Active Population Survey (about 35,000 households): employment status, industry and weekly hours worked.",
            "modality": "tabular",
            "languages": ["ko", "en"],
            "formats": ["csv", "tsv"],
            "record_count": 18_400_000,
            "total_bytes": 2_100_000_000,
            "coverage_start": "1999",
            "coverage_end": "2024",
            "keywords": [
                "경제활동인구조사",
                "고용",
                "실업",
                "취업",
                "노동",
                "labour force",
                "employment",
                "survey",
            ],
            "sensitivity": "deidentified_personal",
            "offers": [
                {
                    "mode": "joint",
                    "price_krw": 150_000_000,
                    "term_months": 12,
                    "min_teams": 2,
                    "max_teams": 5,
                    "join_window_days": 21,
                    "uses": ["ai_training", "derivative_datasets"],
                    "attribution": "통계청 경제활동인구조사",
                    "survives_elimination": True,
                },
                {
                    "mode": "individual",
                    "price_krw": 100_000_000,
                    "term_months": 12,
                    "uses": ["ai_training"],
                    "attribution": "통계청 경제활동인구조사",
                    "survives_elimination": False,
                },
            ],
            "files": {
                "README.txt": _readme(
                    "경제활동인구조사",
                    "Economically active population survey",
                    [
                        "status: 1=취업 employed, 2=실업 unemployed, 3=비경제활동 inactive. Rows are synthetic.",
                    ],
                ),
                "codebook.tsv": _csv(
                    ["column", "description_ko", "description_en"],
                    [
                        ["person_key", "개인 키(가명)", "person key (pseudonym)"],
                        ["month", "조사 월", "survey month"],
                        ["sido", "시도", "province"],
                        ["sex", "성별", "sex"],
                        ["age_band", "연령대", "age band"],
                        ["status", "경제활동상태", "activity status"],
                        ["industry", "산업 대분류(KSIC)", "industry section (KSIC)"],
                        ["hours", "주당 취업시간", "hours worked per week"],
                    ],
                    delimiter="\t",
                ),
                "sample_2024_06.csv": _csv(
                    [
                        "person_key",
                        "month",
                        "sido",
                        "sex",
                        "age_band",
                        "status",
                        "industry",
                        "hours",
                    ],
                    _labour_rows(),
                ),
            },
        },
        {
            "slug": "kosis-statistical-tables",
            "institution": "KOSTAT",
            "title_ko": "국가통계포털(KOSIS) 통계표·해설 말뭉치",
            "title_en": "KOSIS Statistical Tables with Explanatory Notes",
            "description_ko": "국가통계포털에 공표된 통계표와 표마다 붙은 해설, 용어 정의, 작성 방법. 표-문장 쌍 학습과 수치 질의응답에 활용할 수 있습니다.",
            "description_en": "Published statistical tables from the Korean Statistical Information Service with their explanatory notes, definitions and methodology: table–text pairs for numeric question answering.",
            "modality": "tabular",
            "languages": ["ko", "en"],
            "formats": ["csv", "jsonl"],
            "record_count": 148_000,
            "total_bytes": 46_000_000_000,
            "coverage_start": "1960",
            "coverage_end": "2024",
            "keywords": [
                "국가통계",
                "통계표",
                "KOSIS",
                "해설",
                "공표",
                "statistics",
                "tables",
                "official statistics",
            ],
            "sensitivity": "open",
            "offers": [
                {
                    "mode": "individual",
                    "price_krw": 50_000_000,
                    "term_months": 36,
                    "uses": list(ALL_USES),
                    "attribution": "통계청 국가통계포털(KOSIS)",
                    "survives_elimination": True,
                    "kogl_type": 1,
                },
            ],
            "files": {
                "README.txt": _readme(
                    "KOSIS 통계표·해설",
                    "KOSIS tables",
                    [
                        "tables/*.csv 통계표, notes.jsonl 해설. Figures are rounded demo values.",
                    ],
                ),
                "tables/DT_1B040A3.csv": _csv(
                    ["시도", "2022", "2023", "2024"],
                    [
                        ["서울특별시", 9_428_000, 9_386_000, 9_331_000],
                        ["부산광역시", 3_317_000, 3_293_000, 3_266_000],
                        ["경기도", 13_589_000, 13_630_000, 13_694_000],
                        ["세종특별자치시", 383_000, 386_000, 391_000],
                    ],
                ),
                "notes.jsonl": _jsonl(
                    [
                        {
                            "table": "DT_1B040A3",
                            "title_ko": "행정구역별 주민등록인구 (데모)",
                            "title_en": "Resident registration population by province (demo)",
                            "note_ko": "연말 기준 주민등록인구이며 외국인은 제외한다.",
                            "note_en": "Registered residents at year end, excluding foreign nationals.",
                        },
                    ]
                ),
            },
        },
        # --- Korean Intellectual Property Office -----------------------------------------
        {
            "slug": "patent-full-texts",
            "institution": "KIPO",
            "title_ko": "특허 전문 (공개·등록 명세서)",
            "title_en": "Korean Patent Full Texts — Published and Granted Specifications",
            "description_ko": "1983년 이후 공개·등록된 한국 특허의 전문: 서지사항, 청구범위, 발명의 설명, 요약, IPC·CPC 분류. 구조화된 XML과 정제된 JSONL로 제공합니다.",
            "description_en": "Full texts of Korean patent publications and grants since 1983: bibliographic data, claims, description, abstract and IPC/CPC classes, as structured XML and cleaned JSONL.",
            "modality": "text",
            "languages": ["ko"],
            "formats": ["xml", "jsonl"],
            "record_count": 4_870_000,
            "total_bytes": 3_400_000_000_000,
            "coverage_start": "1983",
            "coverage_end": "2024",
            "keywords": [
                "특허",
                "명세서",
                "청구범위",
                "전문",
                "IPC",
                "patent",
                "full text",
                "claims",
            ],
            "sensitivity": "open",
            "offers": [
                {
                    "mode": "joint",
                    "price_krw": 2_400_000_000,
                    "term_months": 36,
                    "min_teams": 2,
                    "max_teams": 5,
                    "join_window_days": 45,
                    "uses": ["ai_training", "commercial_model", "derivative_datasets"],
                    "attribution": "특허청 특허정보",
                    "survives_elimination": True,
                },
                {
                    "mode": "individual",
                    "price_krw": 3_000_000_000,
                    "term_months": 36,
                    "uses": ["ai_training", "commercial_model"],
                    "attribution": "특허청 특허정보",
                    "survives_elimination": True,
                },
            ],
            "files": {
                "README.txt": _readme(
                    "특허 전문",
                    "Patent full texts",
                    [
                        "2024/*.xml 명세서(간략화한 구조), specs.jsonl 정제본. Texts written for the demo.",
                    ],
                ),
                "2024/1020240001234.xml": (
                    '<?xml version="1.0" encoding="UTF-8"?>\n'
                    '<patent-document application-number="10-2024-0001234" kind="A" lang="ko">\n'
                    "  <invention-title>(데모) 다중 언어 음성 인식 장치 및 방법</invention-title>\n"
                    '  <classification ipc="G10L 15/00"/>\n'
                    "  <abstract><p>(데모) 입력 음성의 언어를 판별하고 언어별 음향 모델을 선택하는 장치.</p></abstract>\n"
                    '  <claims><claim num="1">(데모) 음성 신호를 입력받는 입력부; 및 언어를 판별하는 판별부를 포함하는 장치.</claim></claims>\n'
                    "</patent-document>\n"
                ),
                "specs.jsonl": _jsonl(
                    [
                        {
                            "application_number": "10-2024-0001234",
                            "kind": "A",
                            "ipc": ["G10L 15/00"],
                            "title": "(데모) 다중 언어 음성 인식 장치 및 방법",
                            "claims": [
                                "(데모) 음성 신호를 입력받는 입력부; 및 언어를 판별하는 판별부를 포함하는 장치."
                            ],
                        },
                        {
                            "application_number": "10-2023-0098765",
                            "kind": "B1",
                            "ipc": ["H01M 10/052"],
                            "title": "(데모) 리튬 이차전지용 양극 활물질",
                            "claims": ["(데모) 니켈 함량이 80몰% 이상인 양극 활물질."],
                        },
                    ]
                ),
            },
        },
        {
            "slug": "trademark-images",
            "institution": "KIPO",
            "title_ko": "상표 이미지·비엔나 도형 분류",
            "title_en": "Trademark Images with Vienna Figurative Classification",
            "description_ko": "출원·등록된 도형 상표의 이미지와 비엔나 도형 분류 코드, 니스 상품 분류, 상표 명칭. 유사 상표 검색과 이미지-텍스트 학습에 쓸 수 있습니다.",
            "description_en": "Images of filed and registered figurative trademarks with Vienna figurative codes, Nice classes and mark names, for similar-mark search and image–text learning.",
            "modality": "image",
            "languages": ["ko", "en"],
            "formats": ["png", "csv"],
            "record_count": 2_310_000,
            "total_bytes": 520_000_000_000,
            "coverage_start": "1990",
            "coverage_end": "2024",
            "keywords": [
                "상표",
                "이미지",
                "도형",
                "비엔나 분류",
                "로고",
                "trademark",
                "logo",
                "image",
                "vienna",
            ],
            "sensitivity": "open",
            "offers": [
                {
                    "mode": "individual",
                    "price_krw": 400_000_000,
                    "term_months": 24,
                    "uses": ["ai_training", "commercial_model"],
                    "attribution": "특허청 상표정보",
                    "survives_elimination": False,
                },
                {
                    "mode": "joint",
                    "price_krw": 600_000_000,
                    "term_months": 24,
                    "min_teams": 3,
                    "max_teams": 5,
                    "join_window_days": 30,
                    "uses": ["ai_training", "commercial_model", "derivative_datasets"],
                    "attribution": "특허청 상표정보",
                    "survives_elimination": True,
                },
            ],
            "files": {
                "README.txt": _readme(
                    "상표 이미지",
                    "Trademark images",
                    [
                        "images/*.png 상표 견본(합성 도형), labels.csv 분류. Marks are synthetic shapes.",
                    ],
                ),
                "images/4020240012345.png": _logo("circle", (200, 30, 45)),
                "images/4020240012346.png": _logo("triangle", (20, 90, 180)),
                "images/4020240012347.png": _logo("ring", (10, 130, 80)),
                "labels.csv": _csv(
                    ["application_number", "mark_name", "vienna_codes", "nice_classes", "image"],
                    [
                        [
                            "40-2024-0012345",
                            "(데모) 붉은해",
                            "01.03.01",
                            "30;43",
                            "images/4020240012345.png",
                        ],
                        [
                            "40-2024-0012346",
                            "(데모) 푸른산",
                            "06.01.04",
                            "09;42",
                            "images/4020240012346.png",
                        ],
                        [
                            "40-2024-0012347",
                            "(데모) 초록고리",
                            "26.01.03",
                            "35",
                            "images/4020240012347.png",
                        ],
                    ],
                ),
            },
        },
        {
            "slug": "design-registrations",
            "institution": "KIPO",
            "title_ko": "디자인 등록 공보 (도면·설명)",
            "title_en": "Registered Industrial Designs — Drawings and Descriptions",
            "description_ko": "등록 디자인 공보의 도면(6면도·사시도)과 디자인의 대상·설명, 로카르노 분류. 도면과 설명이 짝지어진 멀티모달 데이터입니다.",
            "description_en": "Drawings of registered industrial designs (six views and perspective) with the article, description and Locarno class: paired drawings and text.",
            "modality": "multimodal",
            "languages": ["ko"],
            "formats": ["png", "jsonl"],
            "record_count": 1_020_000,
            "total_bytes": 740_000_000_000,
            "coverage_start": "1995",
            "coverage_end": "2024",
            "keywords": [
                "디자인",
                "도면",
                "로카르노",
                "등록 공보",
                "design",
                "drawings",
                "industrial design",
            ],
            "sensitivity": "open",
            "offers": [
                {
                    "mode": "joint",
                    "price_krw": 450_000_000,
                    "term_months": 24,
                    "min_teams": 2,
                    "max_teams": 4,
                    "join_window_days": 30,
                    "uses": ["ai_training", "derivative_datasets", "publish_excerpts"],
                    "attribution": "특허청 디자인정보",
                    "survives_elimination": True,
                },
            ],
            "files": {
                "README.txt": _readme(
                    "디자인 등록 공보",
                    "Industrial designs",
                    [
                        "drawings/*.png 도면(합성), designs.jsonl 설명.",
                    ],
                ),
                "drawings/3020240001111_1.png": _drawing("chair"),
                "drawings/3020240002222_1.png": _drawing("lamp"),
                "designs.jsonl": _jsonl(
                    [
                        {
                            "registration": "30-2024-0001111",
                            "article": "의자",
                            "locarno": "06-01",
                            "description": "(데모) 등받이와 네 다리로 이루어진 간결한 형태의 의자",
                            "drawings": ["drawings/3020240001111_1.png"],
                        },
                        {
                            "registration": "30-2024-0002222",
                            "article": "조명등",
                            "locarno": "26-05",
                            "description": "(데모) 원뿔형 갓과 가는 기둥을 가진 탁상용 조명등",
                            "drawings": ["drawings/3020240002222_1.png"],
                        },
                    ]
                ),
            },
        },
        {
            "slug": "patent-abstracts-ko-en",
            "institution": "KIPO",
            "title_ko": "특허 초록 한영 병렬 말뭉치",
            "title_en": "Patent Abstracts — Korean–English Parallel Corpus",
            "description_ko": "한국 특허 초록과 영문 초록(KPA)을 문장 단위로 정렬한 한영 병렬 말뭉치. 기술 분야 기계 번역과 용어 학습에 적합합니다.",
            "description_en": "Korean patent abstracts aligned sentence by sentence with their English abstracts (KPA): a Korean–English parallel corpus for technical machine translation and terminology.",
            "modality": "text",
            "languages": ["ko", "en"],
            "formats": ["tsv", "jsonl"],
            "record_count": 3_600_000,
            "total_bytes": 4_800_000_000,
            "coverage_start": "1990",
            "coverage_end": "2024",
            "keywords": [
                "특허",
                "초록",
                "한영",
                "병렬",
                "번역",
                "patent",
                "abstracts",
                "parallel corpus",
                "machine translation",
            ],
            "sensitivity": "open",
            "offers": [
                {
                    "mode": "individual",
                    "price_krw": 300_000_000,
                    "term_months": 24,
                    "uses": [
                        "ai_training",
                        "commercial_model",
                        "derivative_datasets",
                        "redistribution",
                    ],
                    "attribution": "특허청 KPA 영문초록",
                    "survives_elimination": True,
                },
            ],
            "files": {
                "README.txt": _readme(
                    "특허 초록 한영 병렬",
                    "Patent abstracts ko-en",
                    [
                        "parallel.tsv: application_number<TAB>ko<TAB>en.",
                    ],
                ),
                "parallel.tsv": _csv(
                    ["application_number", "ko", "en"],
                    [
                        [
                            "10-2024-0001234",
                            "(데모) 입력 음성의 언어를 판별하는 장치가 개시된다.",
                            "(Demo) An apparatus for identifying the language of input speech is disclosed.",
                        ],
                        [
                            "10-2023-0098765",
                            "(데모) 니켈 함량이 높은 양극 활물질을 제공한다.",
                            "(Demo) A cathode active material with a high nickel content is provided.",
                        ],
                    ],
                    delimiter="\t",
                ),
            },
        },
        # --- Broadcasters ---------------------------------------------------------------
        {
            "slug": "kbs-news-speech",
            "institution": "KBS",
            "title_ko": "KBS 뉴스 음성·자막",
            "title_en": "KBS News Speech with Subtitles",
            "description_ko": "KBS 방송 뉴스의 앵커·기자 음성과 방송 자막을 문장 단위로 정렬한 음성 인식 학습용 데이터. 발화자 역할과 주제 분류를 함께 제공합니다.",
            "description_en": "Anchor and reporter speech from KBS broadcast news aligned sentence by sentence with the broadcast subtitles, for speech recognition; with speaker role and topic labels.",
            "modality": "audio",
            "languages": ["ko"],
            "formats": ["wav", "srt", "jsonl"],
            "record_count": 1_820_000,
            "total_bytes": 9_600_000_000_000,
            "coverage_start": "2010",
            "coverage_end": "2024",
            "keywords": [
                "뉴스",
                "음성",
                "자막",
                "방송",
                "음성인식",
                "news",
                "speech",
                "subtitles",
                "ASR",
                "broadcast",
            ],
            "sensitivity": "restricted",
            "offers": [
                {
                    "mode": "joint",
                    "price_krw": 1_800_000_000,
                    "term_months": 24,
                    "min_teams": 2,
                    "max_teams": 5,
                    "join_window_days": 30,
                    "uses": ["ai_training", "commercial_model"],
                    "attribution": "KBS 한국방송공사",
                    "survives_elimination": False,
                    "download_quota": 200,
                },
                {
                    "mode": "individual",
                    "price_krw": 2_200_000_000,
                    "term_months": 24,
                    "uses": ["ai_training", "commercial_model"],
                    "attribution": "KBS 한국방송공사",
                    "survives_elimination": False,
                    "download_quota": 200,
                },
            ],
            "files": {
                "README.txt": _readme(
                    "KBS 뉴스 음성·자막",
                    "KBS news speech",
                    [
                        "audio/*.wav 16-bit mono (데모는 8 kHz 합성음), subtitles/*.srt 자막, segments.jsonl 정렬.",
                        "The demo audio is a synthetic buzz; the real data is 16 kHz broadcast speech.",
                    ],
                ),
                "audio/20240315_0001.wav": wav(1.0, 120, seed=1),
                "subtitles/20240315_0001.srt": _srt(
                    [
                        ("00:00:00,000", "00:00:00,480", "(데모) 안녕하십니까."),
                        ("00:00:00,480", "00:00:01,000", "(데모) 9시 뉴스입니다."),
                    ]
                ),
                "segments.jsonl": _jsonl(
                    [
                        {
                            "audio": "audio/20240315_0001.wav",
                            "start": 0.0,
                            "end": 0.48,
                            "speaker": "anchor",
                            "topic": "opening",
                            "text": "(데모) 안녕하십니까.",
                        },
                        {
                            "audio": "audio/20240315_0001.wav",
                            "start": 0.48,
                            "end": 1.0,
                            "speaker": "anchor",
                            "topic": "opening",
                            "text": "(데모) 9시 뉴스입니다.",
                        },
                    ]
                ),
            },
        },
        {
            "slug": "kbs-sign-language-news",
            "institution": "KBS",
            "title_ko": "KBS 수어 뉴스 영상·한국어 자막",
            "title_en": "KBS Korean Sign Language News — Video with Korean Subtitles",
            "description_ko": "KBS 수어 뉴스의 수어 통역 영상과 한국어 자막, 수어 단어(글로스) 주석. 수어 인식·번역 연구를 위한 영상 데이터입니다.",
            "description_en": "Korean Sign Language interpretation video from KBS sign-language news with Korean subtitles and sign gloss annotations, for sign recognition and translation.",
            "modality": "video",
            "languages": ["kvk", "ko"],
            "formats": ["mp4", "vtt", "jsonl"],
            "record_count": 52_000,
            "total_bytes": 1_900_000_000_000,
            "coverage_start": "2015",
            "coverage_end": "2024",
            "keywords": [
                "수어",
                "한국수어",
                "영상",
                "자막",
                "글로스",
                "방송",
                "sign language",
                "KSL",
                "video",
                "gloss",
            ],
            "sensitivity": "restricted",
            "offers": [
                {
                    "mode": "individual",
                    "price_krw": 650_000_000,
                    "term_months": 24,
                    "uses": ["ai_training", "derivative_datasets"],
                    "attribution": "KBS 한국방송공사 수어 뉴스",
                    "survives_elimination": True,
                },
            ],
            "files": {
                "README.txt": _readme(
                    "KBS 수어 뉴스",
                    "KBS sign-language news",
                    [
                        "데모에는 키프레임과 자막, 글로스 주석만 들어 있습니다.",
                        "Keyframes, WebVTT subtitles and gloss annotations only; the real data is MP4.",
                    ],
                ),
                "keyframes/SL20240401_0001.png": _keyframe(3, (60, 90, 140), (40, 60, 100)),
                "subtitles/SL20240401.vtt": _vtt(
                    [
                        ("00:00:00.000", "00:00:02.500", "(데모) 오늘 전국이 대체로 맑겠습니다."),
                    ]
                ),
                "glosses.jsonl": _jsonl(
                    [
                        {
                            "clip": "SL20240401",
                            "start": 0.0,
                            "end": 2.5,
                            "gloss": ["오늘", "전국", "맑다"],
                            "subtitle": "(데모) 오늘 전국이 대체로 맑겠습니다.",
                        },
                    ]
                ),
            },
        },
        {
            "slug": "mbc-drama-scripts",
            "institution": "MBC",
            "title_ko": "MBC 드라마 대본·자막",
            "title_en": "MBC Drama Scripts and Subtitles",
            "description_ko": "MBC 방송 드라마의 최종 촬영 대본(지문·대사·인물)과 방송 자막 파일. 대화체 한국어와 인물별 말투 학습에 쓸 수 있습니다.",
            "description_en": "Final shooting scripts of MBC broadcast dramas (directions, lines and characters) with the broadcast subtitle files: conversational Korean with per-character style.",
            "modality": "text",
            "languages": ["ko"],
            "formats": ["txt", "srt", "csv"],
            "record_count": 24_500,
            "total_bytes": 9_800_000_000,
            "coverage_start": "1995",
            "coverage_end": "2024",
            "keywords": [
                "드라마",
                "대본",
                "자막",
                "대사",
                "방송",
                "drama",
                "scripts",
                "subtitles",
                "dialogue",
            ],
            "sensitivity": "restricted",
            "offers": [
                {
                    "mode": "individual",
                    "price_krw": 900_000_000,
                    "term_months": 24,
                    "uses": ["ai_training"],
                    "attribution": "MBC 문화방송",
                    "survives_elimination": False,
                    "download_quota": 20,
                },
                {
                    "mode": "joint",
                    "price_krw": 1_300_000_000,
                    "term_months": 24,
                    "min_teams": 2,
                    "max_teams": 5,
                    "join_window_days": 30,
                    "uses": ["ai_training", "commercial_model"],
                    "attribution": "MBC 문화방송",
                    "survives_elimination": False,
                },
            ],
            "files": {
                "README.txt": _readme(
                    "MBC 드라마 대본·자막",
                    "MBC drama scripts",
                    [
                        "대본과 자막은 데모용으로 새로 쓴 장면입니다. The scene was written for the demo.",
                    ],
                ),
                "episodes.csv": _csv(
                    ["drama_id", "title", "episode", "air_date", "script", "subtitle"],
                    [
                        [
                            "D0001",
                            "(데모) 봄날의 약속",
                            1,
                            "2019-03-04",
                            "scripts/D0001_E01.txt",
                            "subtitles/D0001_E01.srt",
                        ]
                    ],
                ),
                "scripts/D0001_E01.txt": (
                    "(DEMO) 봄날의 약속 1회\n\nS#1. 시장 골목 / 낮\n"
                    "지민, 장바구니를 든 채 가게 앞에 멈춰 선다.\n"
                    "지민: 사장님, 오늘 딸기 얼마예요?\n"
                    "상인: 한 바구니에 만 원. 아가씨는 특별히 두 바구니에 만 팔천 원!\n"
                ),
                "subtitles/D0001_E01.srt": _srt(
                    [
                        ("00:01:02,000", "00:01:04,200", "(데모) 사장님, 오늘 딸기 얼마예요?"),
                        ("00:01:04,400", "00:01:07,900", "(데모) 한 바구니에 만 원."),
                    ]
                ),
            },
        },
        {
            "slug": "mbc-radio-talk-speech",
            "institution": "MBC",
            "title_ko": "MBC 라디오 대담 음성·전사",
            "title_en": "MBC Radio Talk Speech with Transcripts",
            "description_ko": "MBC 라디오 시사·교양 프로그램의 대담 음성과 화자 분리 전사문. 여러 화자의 자연스러운 대화 음성을 담고 있습니다.",
            "description_en": "Conversation audio from MBC radio current-affairs and culture programmes with speaker-diarised transcripts: natural multi-speaker Korean speech.",
            "modality": "audio",
            "languages": ["ko"],
            "formats": ["wav", "jsonl"],
            "record_count": 310_000,
            "total_bytes": 2_700_000_000_000,
            "coverage_start": "2005",
            "coverage_end": "2024",
            "keywords": [
                "라디오",
                "대담",
                "음성",
                "전사",
                "화자 분리",
                "방송",
                "radio",
                "speech",
                "conversation",
                "diarisation",
            ],
            "sensitivity": "restricted",
            "offers": [
                {
                    "mode": "joint",
                    "price_krw": 700_000_000,
                    "term_months": 18,
                    "min_teams": 2,
                    "max_teams": 5,
                    "join_window_days": 30,
                    "uses": ["ai_training", "commercial_model"],
                    "attribution": "MBC 문화방송 라디오",
                    "survives_elimination": True,
                },
            ],
            "files": {
                "README.txt": _readme(
                    "MBC 라디오 대담",
                    "MBC radio talk",
                    [
                        "audio/*.wav (합성음), transcripts.jsonl 화자별 전사.",
                    ],
                ),
                "audio/R20230911_0001.wav": wav(0.9, 140, syllables_per_s=5, seed=2),
                "transcripts.jsonl": _jsonl(
                    [
                        {
                            "audio": "audio/R20230911_0001.wav",
                            "speaker": "진행자",
                            "start": 0.0,
                            "end": 0.45,
                            "text": "(데모) 오늘 모실 분은요,",
                        },
                        {
                            "audio": "audio/R20230911_0001.wav",
                            "speaker": "초대 손님",
                            "start": 0.45,
                            "end": 0.9,
                            "text": "(데모) 네, 반갑습니다.",
                        },
                    ]
                ),
            },
        },
        {
            "slug": "sbs-documentary-video",
            "institution": "SBS",
            "title_ko": "SBS 다큐멘터리 영상·자막",
            "title_en": "SBS Documentary Video with Captions",
            "description_ko": "SBS 자연·역사·과학 다큐멘터리의 고화질 영상과 한국어 자막, 영어 번역 자막, 장면 설명. 영상-언어 모델 학습용입니다.",
            "description_en": "High-definition SBS nature, history and science documentaries with Korean captions, English translated subtitles and scene descriptions, for video–language models.",
            "modality": "video",
            "languages": ["ko", "en"],
            "formats": ["mp4", "vtt", "csv"],
            "record_count": 3_900,
            "total_bytes": 8_200_000_000_000,
            "coverage_start": "2000",
            "coverage_end": "2024",
            "keywords": [
                "다큐멘터리",
                "영상",
                "자막",
                "장면 설명",
                "방송",
                "documentary",
                "video",
                "captions",
                "broadcast",
            ],
            "sensitivity": "restricted",
            "offers": [
                {
                    "mode": "joint",
                    "price_krw": 1_500_000_000,
                    "term_months": 24,
                    "min_teams": 2,
                    "max_teams": 5,
                    "join_window_days": 30,
                    "uses": ["ai_training", "commercial_model", "derivative_datasets"],
                    "attribution": "SBS",
                    "survives_elimination": True,
                },
                {
                    "mode": "individual",
                    "price_krw": 1_900_000_000,
                    "term_months": 24,
                    "uses": ["ai_training", "commercial_model"],
                    "attribution": "SBS",
                    "survives_elimination": False,
                    "download_quota": 50,
                },
            ],
            "files": {
                "README.txt": _readme(
                    "SBS 다큐멘터리",
                    "SBS documentaries",
                    [
                        "키프레임, 한국어·영어 자막(WebVTT), programmes.csv. The real data is MP4 1080p.",
                    ],
                ),
                "programmes.csv": _csv(
                    ["programme_id", "title_ko", "title_en", "genre", "duration_s"],
                    [
                        [
                            "DOC0001",
                            "(데모) 갯벌의 사계",
                            "(Demo) Four Seasons of the Tidal Flat",
                            "nature",
                            3120,
                        ]
                    ],
                ),
                "keyframes/DOC0001_0001.png": _keyframe(2, (120, 170, 210), (110, 100, 70)),
                "subtitles/DOC0001.ko.vtt": _vtt(
                    [
                        (
                            "00:00:01.000",
                            "00:00:04.000",
                            "(데모) 물이 빠지면 갯벌은 다시 살아난다.",
                        ),
                    ]
                ),
                "subtitles/DOC0001.en.vtt": _vtt(
                    [
                        (
                            "00:00:01.000",
                            "00:00:04.000",
                            "(Demo) When the tide goes out, the flat comes alive again.",
                        ),
                    ]
                ),
            },
        },
        {
            "slug": "ebs-lecture-video",
            "institution": "EBS",
            "title_ko": "EBS 교육 강의 영상·전사·판서",
            "title_en": "EBS Educational Lectures — Video, Transcripts and Slides",
            "description_ko": "EBS 수능·중학 강의의 영상과 강사 발화 전사, 판서·슬라이드 이미지, 과목·단원 메타데이터. 교육용 멀티모달 모델 학습에 쓸 수 있습니다.",
            "description_en": "EBS high-school and middle-school lecture video with transcripts of the teacher's speech, board and slide images and subject/unit metadata, for educational multimodal models.",
            "modality": "multimodal",
            "languages": ["ko"],
            "formats": ["mp4", "vtt", "png", "csv"],
            "record_count": 96_000,
            "total_bytes": 5_400_000_000_000,
            "coverage_start": "2008",
            "coverage_end": "2024",
            "keywords": [
                "강의",
                "교육",
                "영상",
                "전사",
                "자막",
                "판서",
                "방송",
                "lecture",
                "education",
                "video",
                "transcripts",
            ],
            "sensitivity": "open",
            "offers": [
                {
                    "mode": "individual",
                    "price_krw": 500_000_000,
                    "term_months": 24,
                    "uses": [
                        "ai_training",
                        "commercial_model",
                        "derivative_datasets",
                        "publish_excerpts",
                    ],
                    "attribution": "EBS 한국교육방송공사",
                    "survives_elimination": True,
                },
                {
                    "mode": "joint",
                    "price_krw": 700_000_000,
                    "term_months": 36,
                    "min_teams": 2,
                    "max_teams": 5,
                    "join_window_days": 30,
                    "uses": [
                        "ai_training",
                        "commercial_model",
                        "derivative_datasets",
                        "publish_excerpts",
                    ],
                    "attribution": "EBS 한국교육방송공사",
                    "survives_elimination": True,
                },
            ],
            "files": {
                "README.txt": _readme(
                    "EBS 교육 강의",
                    "EBS lectures",
                    [
                        "lectures.csv, transcripts/*.vtt, slides/*.png. The real data includes MP4 video.",
                    ],
                ),
                "lectures.csv": _csv(
                    ["lecture_id", "subject", "grade", "unit", "duration_s"],
                    [["MATH-H1-001", "수학", "고1", "삼각함수의 그래프", 1500]],
                ),
                "transcripts/MATH-H1-001.vtt": _vtt(
                    [
                        (
                            "00:00:00.000",
                            "00:00:03.500",
                            "(데모) 오늘은 사인 함수의 그래프를 그려 보겠습니다.",
                        ),
                        ("00:00:03.500", "00:00:07.000", "(데모) 주기는 2파이라는 것, 기억하시죠?"),
                    ]
                ),
                "slides/MATH-H1-001_01.png": _slide(),
            },
        },
        {
            "slug": "ebs-children-speech",
            "institution": "EBS",
            "title_ko": "EBS 어린이 발화 음성 (가명처리)",
            "title_en": "EBS Children's Speech (de-identified)",
            "description_ko": "EBS 유아·어린이 프로그램 제작 과정에서 보호자 동의를 받아 수집한 만 4–12세 어린이의 발화 음성과 전사. 이름 등 개인정보는 가명처리했습니다.",
            "description_en": "Speech of children aged 4–12 recorded with guardian consent during EBS children's programme production, with transcripts; names and other personal data are pseudonymised.",
            "modality": "audio",
            "languages": ["ko"],
            "formats": ["wav", "tsv", "csv"],
            "record_count": 128_000,
            "total_bytes": 410_000_000_000,
            "coverage_start": "2016",
            "coverage_end": "2024",
            "keywords": [
                "어린이",
                "아동",
                "음성",
                "발화",
                "전사",
                "가명처리",
                "방송",
                "children",
                "speech",
                "de-identified",
            ],
            "sensitivity": "deidentified_personal",
            "offers": [
                {
                    "mode": "individual",
                    "price_krw": 200_000_000,
                    "term_months": 12,
                    "uses": ["ai_training"],
                    "attribution": "EBS 한국교육방송공사",
                    "survives_elimination": False,
                    "download_quota": 10,
                    "download_quota_bytes": 50_000,
                    "kogl_type": 4,
                },
            ],
            "files": {
                "README.txt": _readme(
                    "EBS 어린이 발화 음성",
                    "EBS children's speech",
                    [
                        "화자 재식별 시도 금지. Re-identifying any speaker is forbidden.",
                        "audio/*.wav are synthetic; speakers.csv holds age band and region only.",
                    ],
                ),
                "audio/C0001_001.wav": wav(0.8, 260, syllables_per_s=3, seed=3),
                "audio/C0002_001.wav": wav(0.7, 300, syllables_per_s=3.5, seed=4),
                "transcripts.tsv": _csv(
                    ["audio", "speaker", "text"],
                    [
                        ["audio/C0001_001.wav", "C0001", "(데모) 공룡이 제일 좋아요."],
                        ["audio/C0002_001.wav", "C0002", "(데모) 우리 집 강아지는 흰색이에요."],
                    ],
                    delimiter="\t",
                ),
                "speakers.csv": _csv(
                    ["speaker", "age_band", "sex", "region"],
                    [["C0001", "04-06", "M", "수도권"], ["C0002", "07-09", "F", "영남"]],
                ),
            },
        },
    ]


_datasets: list[dict] | None = None


def __getattr__(name: str):
    # ``DATASETS`` is built on first use: generating the sample images and sounds takes a
    # fifth of a second, and every app start imports this module (CLI registration).
    global _datasets
    if name == "DATASETS":
        if _datasets is None:
            _datasets = _build_datasets()
        return _datasets
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
