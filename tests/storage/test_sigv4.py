"""The hand-written SigV4 presigner produces exactly botocore's URLs.

moto's server accepts any signature, so the signing is proven here instead: for the same
instant (botocore's clock patched), key, credentials and parameters, our URL and
botocore's ``generate_presigned_url`` must be equal byte for byte.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from unittest import mock

import boto3
import botocore.auth
import pytest

from storage.base import check_key, content_disposition
from storage.s3 import S3Store

ALPHABET = (
    list("abcXYZ019 -_.~/+=&!'()*,;:@$%#?[]{}^`|\"<>")
    + list("가한국어조선실록")
    + ["é", "ü", "中", "日", "😀", "\u00a0"]
)
FIXED = [
    "plain.txt",
    "a b/c d.txt",
    "한국어/조선왕조실록 원문.txt",
    "x+y=z&w~v.csv",
    "+=&~!'()*,;:@$%.bin",
    "dir/sub dir/+plus+/파일 (1).jsonl",
    "%20already%2Fencoded",
    "trailing space ",
    "multiple   spaces",
    "tab\tand\nnewline",
    "emoji 😀.png",
]


def _random_keys(n: int, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    keys = []
    for _ in range(n):
        parts = [
            "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 12)))
            for _ in range(rng.randint(1, 4))
        ]
        key = "/".join(p for p in parts)
        try:
            keys.append(check_key(key))
        except ValueError:
            keys.append(key.replace("/", "-").strip(".") or "x")
    return keys


KEYS = FIXED + _random_keys(300)


def _store(url: str, token: str | None = None) -> S3Store:
    session = boto3.session.Session(
        aws_access_key_id="AKIAKDCEXAMPLE",
        aws_secret_access_key="wJalr/XUtnFEMI+K7MDENG=bPxRfiCY",
        aws_session_token=token,
        region_name="ap-northeast-2",
    )
    parsed = S3Store.from_url(url)
    return S3Store(
        parsed.bucket,
        parsed.prefix,
        session=session,
        **{k: v for k, v in parsed.options.items() if k != "profile"},
    )


def _boto(store: S3Store, op: str, when: datetime, expires: int, **params) -> str:
    with mock.patch.object(
        botocore.auth, "get_current_datetime", return_value=when.replace(tzinfo=None)
    ):
        return store.client.generate_presigned_url(
            op, Params={"Bucket": store.bucket, **params}, ExpiresIn=expires
        )


STORES = [
    "s3://kdc-data/prefix?endpoint_url=http://127.0.0.1:9000&region=ap-northeast-2"
    "&addressing_style=path",
    "s3://kdc-data?endpoint_url=https://kr.object.ncloudstorage.com&region=kr-standard"
    "&addressing_style=virtual",
    "s3://kdc-data/나의 prefix?region=ap-northeast-2",
    "s3://kdc-data?endpoint_url=https://s3.example.com:443&region=us-east-1&addressing_style=path",
]


@pytest.mark.parametrize("url", STORES)
@pytest.mark.parametrize("token", [None, "FwoGZXIvYXdzE+token/with=chars"])
def test_get_urls_equal_botocore_with_and_without_disposition(url, token):
    store = _store(url, token)
    when = datetime(2026, 3, 1, 12, 34, 56, tzinfo=UTC)
    keys = KEYS if url == STORES[0] and token is None else KEYS[:60]
    items = [(k, k.rsplit("/", 1)[-1] if i % 2 else None) for i, k in enumerate(keys)]
    ours = store.presign_get_many(items, 900, issued_at=when)
    for (key, filename), url_ in zip(items, ours, strict=True):
        params = {"Key": store._key(key)}
        if filename:
            params["ResponseContentDisposition"] = content_disposition(filename)
        assert url_ == _boto(store, "get_object", when, 900, **params), key
    # Every key also without the filename, and the single-URL call.
    for key in keys[:50]:
        with mock.patch("storage.sigv4.datetime") as dt:
            dt.now.return_value = when
            single = store.presign_get(key, 3600, filename=key.rsplit("/", 1)[-1])
        assert single == _boto(
            store,
            "get_object",
            when,
            3600,
            Key=store._key(key),
            ResponseContentDisposition=content_disposition(key.rsplit("/", 1)[-1]),
        )


def test_upload_part_urls_equal_botocore():
    store = _store(STORES[0])
    when = datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)
    for i, key in enumerate(KEYS[:100]):
        upload_id = f"2~{i}+/=id.{key[:3]}"
        ours = store.presigner.presign_many(
            "PUT",
            [(store._key(key), [("uploadId", upload_id), ("partNumber", str(i + 1))])],
            21600,
            now=when,
        )[0]
        assert ours == _boto(
            store,
            "upload_part",
            when,
            21600,
            Key=store._key(key),
            UploadId=upload_id,
            PartNumber=i + 1,
        )


def test_signing_key_follows_the_utc_day():
    store = _store(STORES[0])
    before = datetime(2026, 6, 30, 23, 59, 59, tzinfo=UTC)
    after = before + timedelta(seconds=1)
    for when in (before, after, before):
        ours = store.presign_get_many([("k/a b.txt", None)], 60, issued_at=when)[0]
        assert ours == _boto(store, "get_object", when, 60, Key=store._key("k/a b.txt"))
    # A different secret never reuses the cached key.
    other = _store(STORES[0])
    other.session = boto3.session.Session(
        aws_access_key_id="AKIAKDCEXAMPLE",
        aws_secret_access_key="another-secret",
        region_name="ap-northeast-2",
    )
    other.client = other.session.client(
        "s3",
        endpoint_url="http://127.0.0.1:9000",
        region_name="ap-northeast-2",
        config=store.client.meta.config,
    )
    other._presigner = None
    a = store.presign_get_many([("x", None)], 60, issued_at=before)[0]
    b = other.presign_get_many([("x", None)], 60, issued_at=before)[0]
    assert a.split("X-Amz-Signature=")[1] != b.split("X-Amz-Signature=")[1]
    assert b == _boto(other, "get_object", before, 60, Key=other._key("x"))


def test_changed_key_or_expiry_changes_the_signature():
    store = _store(STORES[0])
    when = datetime(2026, 3, 1, tzinfo=UTC)
    a, b = store.presign_get_many([("a.txt", None), ("b.txt", None)], 60, issued_at=when)
    c = store.presign_get_many([("a.txt", None)], 61, issued_at=when)[0]
    sig = {u.split("X-Amz-Signature=")[1] for u in (a, b, c)}
    assert len(sig) == 3 and all(len(s) == 64 for s in sig)


@pytest.mark.parametrize(
    "filename",
    [
        "a.txt",
        "a b.txt",
        "조선왕조실록 1 +=&.jsonl",
        'q"uote.txt',
        "back\\slash.txt",
        "100%.csv",
        "tab\tname",
        "emoji-😀.png",
        "~tilde~",
        "!#$&'()*+,;=:@.bin",
        "",
    ],
)
def test_pre_encoded_disposition_equals_quoting_the_whole_header(filename):
    from storage.sigv4 import _quote_param, encoded_content_disposition

    assert encoded_content_disposition(filename) == _quote_param(content_disposition(filename))


@pytest.mark.parametrize("url", STORES)
def test_download_urls_from_stored_quoted_keys_equal_botocore(url):
    from storage.sigv4 import quote_key

    store = _store(url)
    when = datetime(2026, 3, 1, 12, 34, 56, tzinfo=UTC)
    keys = KEYS[:200]
    ours = store.presign_downloads(
        "datasets/v 1", [(k, quote_key(k)) for k in keys], 900, issued_at=when
    )
    unquoted = store.presign_downloads(
        "datasets/v 1", [(k, None) for k in keys], 900, issued_at=when
    )
    assert ours == unquoted
    for key, url_ in zip(keys, ours, strict=True):
        params = {
            "Key": store._key(f"datasets/v 1/{key}"),
            "ResponseContentDisposition": content_disposition(key.rsplit("/", 1)[-1]),
        }
        assert url_ == _boto(store, "get_object", when, 900, **params), key
