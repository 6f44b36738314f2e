"""The demo catalogue's content: institutions, teams, datasets and offers.

DEMO DATA. Titles and descriptions describe the kind of dataset each institution holds;
the sample files are small stand-ins generated here, not the institutions' real data.
"""

from __future__ import annotations

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
    ("naver", "네이버클라우드 컨소시엄", "Naver Cloud consortium",
     ["Naver Cloud", "Seoul National University"], 20_000_000_000),
    ("upstage", "업스테이지 컨소시엄", "Upstage consortium",
     ["Upstage", "KAIST"], 15_000_000_000),
    ("skt", "SK텔레콤 컨소시엄", "SK Telecom consortium",
     ["SK Telecom", "Krafton"], 18_000_000_000),
    ("ncai", "NC AI 컨소시엄", "NC AI consortium",
     ["NC AI", "Korea University"], 12_000_000_000),
    ("lgai", "LG AI연구원 컨소시엄", "LG AI Research consortium",
     ["LG AI Research", "Yonsei University"], 16_000_000_000),
]

ALL_USES = ["ai_training", "commercial_model", "redistribution", "derivative_datasets",
            "publish_excerpts"]

# Each dataset: fields of Dataset, plus "offers" (fields of Offer) and "files"
# (key -> text content of a small sample file).
DATASETS: list[dict] = [
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
            {"mode": "joint", "price_krw": 600_000_000, "term_months": 24, "min_teams": 2,
             "max_teams": 5, "join_window_days": 30,
             "uses": ["ai_training", "commercial_model", "derivative_datasets", "publish_excerpts"],
             "attribution": "국사편찬위원회 조선왕조실록", "survives_elimination": True},
            {"mode": "individual", "price_krw": 450_000_000, "term_months": 12,
             "uses": ["ai_training", "commercial_model"],
             "attribution": "국사편찬위원회 조선왕조실록", "survives_elimination": False},
        ],
        "files": {
            "README.txt": "조선왕조실록 원문 샘플 (DEMO). Annals of the Joseon Dynasty, original text sample.\n",
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
            {"mode": "joint", "price_krw": 900_000_000, "term_months": 24, "min_teams": 2,
             "max_teams": 5, "join_window_days": 30,
             "uses": ["ai_training", "commercial_model", "derivative_datasets"],
             "attribution": "국사편찬위원회 조선왕조실록 국역", "survives_elimination": True},
        ],
        "files": {
            "README.txt": "조선왕조실록 국역본 샘플 (DEMO).\n",
            "taejo/001.jsonl": '{"id":"waa_10107017_001","ko":"태조 강헌 지인 계운 성문 신무 대왕이 수창궁에서 즉위하였다."}\n',
        },
    },
]
