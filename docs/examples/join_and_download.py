"""Worked example (docs/api.md): find a dataset, join its joint purchase, download it.

Uses only the HTTP API and httpx, so it can be adapted to any language:

    KDC_URL=http://127.0.0.1:5000 KDC_TOKEN=kdc_… \
        python docs/examples/join_and_download.py 실록 --dest ./annals

1. search the catalogue for QUERY and take the first dataset with a joint offer;
2. if the team holds no active licence for it: join the open joint purchase of that
   dataset on the board (or open one), with an ``Idempotency-Key`` so a retry is safe,
   and stop — the purchase still has to close and be approved by the provider;
3. once licensed: page through the manifest, download every file and check its SHA-256.

Exit status: 0 downloaded (or joined and waiting), 1 error (the problem's detail is printed).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import uuid
from pathlib import Path

import httpx


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("query")
    parser.add_argument("--dest", required=True, type=Path)
    parser.add_argument(
        "--accept-terms",
        action="store_true",
        help="accept the licence's terms for your team if nobody has yet",
    )
    args = parser.parse_args()

    api = httpx.Client(
        base_url=os.environ.get("KDC_URL", "http://127.0.0.1:5000"),
        headers={"Authorization": f"Bearer {os.environ['KDC_TOKEN']}"},
        timeout=60,
    )

    def call(method: str, url: str, **kw) -> dict:
        resp = api.request(method, url, **kw)
        if resp.status_code >= 400:
            problem = resp.json()  # application/problem+json
            raise SystemExit(f"error: {problem['detail']} ({problem['code']})")
        return resp.json()

    # 1. Find a dataset with a joint offer.
    found = call("GET", "/api/v1/datasets", params={"q": args.query, "limit": 20})
    dataset = next(
        (d for d in found["items"] if any(o["mode"] == "joint" for o in d["offers"])), None
    )
    if dataset is None:
        print(f"no dataset with a joint offer matches {args.query!r}", file=sys.stderr)
        return 1
    slug = dataset["slug"]
    offer = next(o for o in dataset["offers"] if o["mode"] == "joint")
    print(
        f"dataset: {slug} — {dataset['title_en']}; joint offer {offer['id']}: "
        f"₩{offer['price_krw']:,} for {offer['min_teams']}–{offer['max_teams']} teams"
    )

    # 2. Licensed already? If not, join (or open) the joint purchase.
    licences = call("GET", "/api/v1/licenses", params={"dataset": slug, "status": "active"})
    if not licences["items"]:
        board = call(
            "GET", "/api/v1/purchases", params={"dataset": slug, "mode": "joint", "status": "open"}
        )
        key = {"Idempotency-Key": str(uuid.uuid4())}
        # `actions`: what this token's user may do now; a participant may leave or cancel.
        mine = [
            p
            for p in board["items"]
            if {"leave", "cancel", "close", "confirm"} & set(p["actions"] or [])
        ]
        joinable = [p for p in board["items"] if "join" in (p["actions"] or [])]
        if mine:
            purchase = mine[0]
        elif joinable:
            purchase = call(
                "POST", f"/api/v1/purchases/{joinable[0]['id']}/join", json={}, headers=key
            )
        else:
            purchase = call(
                "POST",
                "/api/v1/purchases",
                headers=key,
                json={"dataset": slug, "offer": offer["id"], "mode": "joint"},
            )
        shares = ", ".join(f"{p['team']} ₩{p['share_krw']:,}" for p in purchase["participants"])
        print(f"purchase {purchase['id']} is {purchase['status']}; shares now: {shares}")
        print("run again once the purchase is approved to download")
        return 0

    # 3. The team accepts the licence's terms once before its first download (in the web UI,
    #    or here: running this script with --accept-terms means you accept them for the team).
    licence = licences["items"][0]
    if licence.get("terms_accepted_at") is None:
        if not args.accept_terms:
            print(
                f"licence {licence['id']}: accept its terms first (uses: "
                f"{', '.join(licence['terms']['uses'])}); rerun with --accept-terms"
            )
            return 0
        call("POST", f"/api/v1/licenses/{licence['id']}/accept-terms")

    # 4. Download page by page: each page's URLs are fresh; verify every file.
    url: str | None = f"/api/v1/datasets/{slug}/manifest"
    files = 0
    with httpx.Client(timeout=60) as storage:  # presigned URLs: no bearer token
        while url:
            page = call("GET", url)
            for obj in page["objects"]:
                target = args.dest / obj["key"]
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                with (
                    storage.stream(
                        "GET", str(api.base_url.join(obj["url"])), follow_redirects=True
                    ) as resp,
                    target.open("wb") as out,
                ):
                    resp.raise_for_status()
                    for chunk in resp.iter_bytes():
                        out.write(chunk)
                        digest.update(chunk)
                if digest.hexdigest() != obj["sha256"]:
                    target.unlink()
                    raise SystemExit(f"error: {obj['key']}: SHA-256 mismatch")
                files += 1
            url = page["next"]
    print(f"downloaded {files} files of {slug} into {args.dest}, all SHA-256 verified")
    return 0


if __name__ == "__main__":
    sys.exit(main())
