"""S3-compatible backend through boto3 (AWS S3, MinIO, Ceph RGW, NCP/NHN/KT object storage).

``KDC_STORAGE_URL=s3://bucket/prefix?endpoint_url=…&region=…&addressing_style=path``;
credentials come from boto3's usual chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``,
``AWS_PROFILE`` or ``profile=`` in the URL, instance roles). Keys are relative to the
prefix. boto3 does all the talking to the store; download and part URLs are presigned by
``storage.sigv4`` (byte-identical to botocore's, about 50× faster), single-PUT URLs by
boto3. Library errors never leave this module: missing keys become ``ObjectNotFound``,
refusals ``AccessDenied``, connection failures and server errors ``StorageUnavailable``.
"""

from __future__ import annotations

import builtins
import io
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, BinaryIO, Literal
from urllib.parse import parse_qs, urlsplit

import boto3
import botocore.exceptions
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.response import StreamingBody

from storage.base import (
    HASH_CHUNK,
    AccessDenied,
    ObjectInfo,
    ObjectNotFound,
    ObjectStore,
    StorageError,
    StorageUnavailable,
    UploadedPart,
    check_key,
    is_internal_key,
)
from storage.sigv4 import (
    Credentials,
    PreEncoded,
    SigV4Presigner,
    encoded_content_disposition,
    encoded_disposition_of_quoted,
    quote_key,
)

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer
    from mypy_boto3_s3 import S3Client

AddressingStyle = Literal["auto", "virtual", "path"]
_ADDRESSING_STYLES: dict[str, AddressingStyle] = {
    "auto": "auto",
    "virtual": "virtual",
    "path": "path",
}

_NOT_FOUND = {"404", "NoSuchKey", "NotFound", "NoSuchUpload"}
_DENIED = {
    "403",
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "AllAccessDisabled",
    "AccountProblem",
}
_PROBE_CACHE_SECONDS = 2.0


@dataclass(frozen=True)
class Timeouts:
    """How long the store may keep a request waiting, in seconds.

    ``short`` bounds every connection attempt, and the reading of the answer to the short
    calls a request waits on (the availability probe, HEAD, starting, listing and aborting
    uploads, deletes); those get one attempt, so an unreachable or silent store costs a
    request at most ``2 × short`` before it becomes a 503. ``transfer`` bounds each read of
    the data calls (GET, PUT, copy, completing an upload), which get three attempts.
    """

    short: float = 2.0
    transfer: float = 60.0


_URL_OPTIONS = ("endpoint_url", "region", "addressing_style", "profile")


@contextmanager
def _mapped_errors(what: str) -> Iterator[None]:
    """Translate boto3's exceptions into the storage interface's."""
    try:
        yield
    except botocore.exceptions.ClientError as exc:
        err = exc.response.get("Error", {})
        code = str(err.get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in _NOT_FOUND or (status == 404 and code != "NoSuchBucket"):
            raise ObjectNotFound(what) from None
        if code in _DENIED or status == 403:
            raise AccessDenied(f"the object store refused {what} ({code or status})") from None
        if code == "NoSuchBucket":
            raise StorageUnavailable(f"the bucket does not exist ({what})") from None
        if status >= 500 or code in ("SlowDown", "ServiceUnavailable", "InternalError"):
            raise StorageUnavailable(f"the object store failed {what} ({code or status})") from None
        raise StorageError(f"the object store refused {what}: {code or status}") from None
    except (
        botocore.exceptions.EndpointConnectionError,
        botocore.exceptions.ConnectionError,
        botocore.exceptions.HTTPClientError,
    ) as exc:
        raise StorageUnavailable(
            f"cannot reach the object store ({exc.__class__.__name__})"
        ) from None
    except botocore.exceptions.NoCredentialsError:
        raise StorageUnavailable("no credentials for the object store are configured") from None
    except botocore.exceptions.BotoCoreError as exc:
        raise StorageUnavailable(f"object store error ({exc.__class__.__name__})") from None


class _Body(io.RawIOBase):
    """A boto3 streaming body whose reads map errors like the rest of the store.

    ``open`` wraps it in an ``io.BufferedReader``, which makes it an ordinary binary stream.
    """

    def __init__(self, body: StreamingBody, key: str) -> None:
        super().__init__()
        self._body = body
        self._key = key

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        with _mapped_errors(f"reading {self._key}"):
            data = self._body.read(len(view))
        view[: len(data)] = data
        return len(data)

    def readall(self) -> bytes:
        with _mapped_errors(f"reading {self._key}"):
            return self._body.read()

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


class S3Store(ObjectStore):
    scheme = "s3"

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        addressing_style: AddressingStyle | None = None,
        profile: str | None = None,
        session: boto3.session.Session | None = None,
        timeouts: Timeouts | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url
        self.addressing_style = addressing_style
        self.options: dict[str, str | None] = {
            "endpoint_url": endpoint_url,
            "region": region,
            "addressing_style": addressing_style,
            "profile": profile,
        }
        self.session = session or boto3.session.Session(profile_name=profile)
        region = region or self.session.region_name or "us-east-1"
        self.region = region
        self.timeouts = timeouts = timeouts or Timeouts()
        common = Config(
            signature_version="s3v4",
            s3={"addressing_style": addressing_style or "auto"},
            connect_timeout=timeouts.short,
        )

        def client(read_timeout: float, attempts: int) -> S3Client:
            return self.session.client(
                "s3",
                endpoint_url=endpoint_url,
                region_name=region,
                config=common.merge(
                    Config(
                        read_timeout=read_timeout,
                        retries={"mode": "standard", "total_max_attempts": attempts},
                    )
                ),
            )

        # Data transfers: patient reads, retried.
        self.client = client(timeouts.transfer, 3)
        # Short calls a request waits on: one bounded attempt, then a 503 with Retry-After.
        self.control = client(timeouts.short, 1)
        self._presigner: SigV4Presigner | None = None
        self._probe_ok_until = 0.0

    @classmethod
    def from_url(cls, url: str, timeouts: Timeouts | None = None) -> S3Store:
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        unknown = sorted(set(query) - set(_URL_OPTIONS))
        if unknown:
            raise ValueError(
                f"unknown s3:// option(s): {', '.join(unknown)}; known: {', '.join(_URL_OPTIONS)}"
            )
        style = query.get("addressing_style")
        if style is not None and style not in _ADDRESSING_STYLES:
            raise ValueError("addressing_style must be path, virtual or auto")
        return cls(
            parts.netloc,
            parts.path,
            endpoint_url=query.get("endpoint_url"),
            region=query.get("region"),
            addressing_style=_ADDRESSING_STYLES[style] if style is not None else None,
            profile=query.get("profile"),
            timeouts=timeouts,
        )

    def for_bucket(self, bucket: str) -> S3Store:
        """The same endpoint and credentials, another bucket (keys from its root)."""
        if bucket == self.bucket and not self.prefix:
            return self
        return S3Store(
            bucket,
            "",
            endpoint_url=self.endpoint_url,
            region=self.options["region"],
            addressing_style=self.addressing_style,
            session=self.session,
            timeouts=self.timeouts,
        )

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    def _key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _rel(self, full_key: str) -> str:
        return full_key[len(self.prefix) + 1 :] if self.prefix else full_key

    # --- objects -----------------------------------------------------------------------

    def put(self, key: str, data: bytes | BinaryIO, content_type: str | None = None) -> ObjectInfo:
        full = self._key(key)
        with _mapped_errors(f"writing {key}"):
            if isinstance(data, bytes | bytearray | memoryview):
                if content_type:
                    self.client.put_object(
                        Bucket=self.bucket, Key=full, Body=bytes(data), ContentType=content_type
                    )
                else:
                    self.client.put_object(Bucket=self.bucket, Key=full, Body=bytes(data))
            else:
                extra = {"ContentType": content_type} if content_type else None
                self.client.upload_fileobj(data, self.bucket, full, ExtraArgs=extra)
        return self.stat(key)

    def open(self, key: str) -> BinaryIO:
        full = self._key(key)
        with _mapped_errors(f"reading {key}"):
            resp = self.client.get_object(Bucket=self.bucket, Key=full)
        return io.BufferedReader(_Body(resp["Body"], key), buffer_size=HASH_CHUNK)

    def stat(self, key: str) -> ObjectInfo:
        full = self._key(key)
        with _mapped_errors(f"reading {key}"):
            head = self.control.head_object(Bucket=self.bucket, Key=full)
        return ObjectInfo(
            key=key,
            size=head["ContentLength"],
            content_type=head.get("ContentType") or "application/octet-stream",
            etag=head.get("ETag", "").strip('"'),
            last_modified=head.get("LastModified"),
        )

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        full_prefix = f"{self.prefix}/{prefix}" if self.prefix else prefix
        paginator = self.control.get_paginator("list_objects_v2")
        with _mapped_errors(f"listing {prefix or '/'}"):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=full_prefix):
                for obj in page.get("Contents", []):
                    rel = self._rel(obj["Key"])
                    if rel.endswith("/") or is_internal_key(rel):
                        continue  # "folder" markers and staging uploads are not objects
                    yield ObjectInfo(
                        key=rel,
                        size=obj["Size"],
                        etag=obj.get("ETag", "").strip('"'),
                        last_modified=obj.get("LastModified"),
                    )

    def delete(self, key: str) -> None:
        full = self._key(key)
        with _mapped_errors(f"deleting {key}"):
            self.control.delete_object(Bucket=self.bucket, Key=full)

    def move(self, src: str, dst: str, content_type: str | None = None) -> ObjectInfo:
        extra = (
            {"MetadataDirective": "REPLACE", "ContentType": content_type} if content_type else {}
        )
        with _mapped_errors(f"copying {src}"):
            # The managed copy switches to a multipart copy above 5 GiB.
            self.client.copy(
                {"Bucket": self.bucket, "Key": self._key(src)},
                self.bucket,
                self._key(dst),
                ExtraArgs=extra or None,
                Config=TransferConfig(
                    multipart_threshold=1024**3, multipart_chunksize=512 * 1024**2
                ),
            )
        self.delete(src)
        return self.stat(dst)

    def check_available(self) -> None:
        """A HEAD on the bucket; a success is trusted for two seconds."""
        if time.monotonic() < self._probe_ok_until:
            return
        with _mapped_errors("checking the bucket"):
            try:
                self.control.head_bucket(Bucket=self.bucket)
            except botocore.exceptions.ClientError as exc:
                code = str(exc.response.get("Error", {}).get("Code", ""))
                if code in ("404", "NoSuchBucket", "NotFound"):
                    raise StorageUnavailable(f"the bucket {self.bucket!r} does not exist") from None
                raise
        self._probe_ok_until = time.monotonic() + _PROBE_CACHE_SECONDS

    # --- presigning ----------------------------------------------------------------------

    @property
    def presigner(self) -> SigV4Presigner:
        if self._presigner is None:
            # Ask botocore where a key's URL points (endpoint, addressing style), once.
            probe = "kdc-presign-probe"
            with _mapped_errors("presigning"):
                url = self.client.generate_presigned_url(
                    "get_object", Params={"Bucket": self.bucket, "Key": probe}, ExpiresIn=60
                )
            base = url.split("?", 1)[0]
            if not base.endswith("/" + probe):
                raise StorageError(f"unexpected presigned URL shape from botocore: {base}")
            self._presigner = SigV4Presigner(
                base[: -len(probe) - 1], self.region, self._credentials
            )
        return self._presigner

    def _credentials(self) -> Credentials:
        creds = self.session.get_credentials()
        if creds is None:
            raise StorageUnavailable("no credentials for the object store are configured")
        frozen = creds.get_frozen_credentials()
        if frozen.access_key is None or frozen.secret_key is None:
            raise StorageUnavailable("the object store's credentials lack a key")
        return frozen.access_key, frozen.secret_key, frozen.token

    @staticmethod
    def _get_params(
        filename: str | None, content_type: str | None
    ) -> builtins.list[tuple[str, str]]:
        # botocore serialises ResponseContentDisposition before ResponseContentType.
        params: builtins.list[tuple[str, str]] = []
        if filename:
            params.append(("response-content-disposition", encoded_content_disposition(filename)))
        if content_type:
            params.append(("response-content-type", content_type))
        return params

    def presign_get(
        self,
        key: str,
        expires_in: int,
        *,
        filename: str | None = None,
        content_type: str | None = None,
    ) -> str:
        return self.presigner.presign(
            "GET", self._key(key), int(expires_in), self._get_params(filename, content_type)
        )

    def presign_get_many(
        self,
        keys: builtins.list[tuple[str, str | None]],
        expires_in: int,
        *,
        issued_at: datetime | None = None,
    ) -> builtins.list[str]:
        now = issued_at or datetime.now(UTC).replace(microsecond=0)
        # Keys of a manifest were checked when registered, and S3 keys cannot escape a
        # prefix, so the per-key check_key of _key is skipped on this hot path.
        prefix = f"{self.prefix}/" if self.prefix else ""
        disposition = encoded_content_disposition
        return self.presigner.presign_many(
            "GET",
            [
                (prefix + k, [("response-content-disposition", disposition(f))] if f else ())
                for k, f in keys
            ],
            int(expires_in),
            now=now,
        )

    def presign_downloads(
        self,
        prefix: str,
        keys: builtins.list[tuple[str, str | None]],
        expires_in: int,
        *,
        issued_at: datetime | None = None,
    ) -> builtins.list[str]:
        now = issued_at or datetime.now(UTC).replace(microsecond=0)
        head = f"{self.prefix}/{prefix}/" if self.prefix else f"{prefix}/"
        quoted_head = quote_key(head)
        disposition = encoded_disposition_of_quoted
        items: builtins.list[tuple[str, Sequence[tuple[str, str]]]] = []
        for key, quoted in keys:
            # A row stored before quoted keys were kept is quoted here: the same bytes.
            if quoted is None:
                quoted = quote_key(key)
            name = disposition(key.rpartition("/")[2], quoted.rpartition("/")[2])
            items.append(
                (PreEncoded(quoted_head + quoted), [("response-content-disposition", name)])
            )
        return self.presigner.presign_many("GET", items, int(expires_in), now=now)

    def presign_put(self, key: str, expires_in: int, *, content_type: str | None = None) -> str:
        params = {"Bucket": self.bucket, "Key": self._key(key)}
        with _mapped_errors("presigning"):
            return self.client.generate_presigned_url(
                "put_object", Params=params, ExpiresIn=int(expires_in)
            )

    # --- multipart -------------------------------------------------------------------------

    def create_multipart(self, key: str, content_type: str | None = None) -> str:
        with _mapped_errors(f"starting an upload of {key}"):
            if content_type:
                resp = self.control.create_multipart_upload(
                    Bucket=self.bucket, Key=self._key(key), ContentType=content_type
                )
            else:
                resp = self.control.create_multipart_upload(Bucket=self.bucket, Key=self._key(key))
        return resp["UploadId"]

    def presign_upload_parts(
        self, key: str, upload_id: str, part_numbers: builtins.list[int], expires_in: int
    ) -> builtins.list[str]:
        # botocore puts uploadId before partNumber in the query.
        return self.presigner.presign_many(
            "PUT",
            [
                (self._key(key), [("uploadId", upload_id), ("partNumber", str(int(n)))])
                for n in part_numbers
            ],
            int(expires_in),
        )

    def list_parts(self, key: str, upload_id: str) -> builtins.list[UploadedPart]:
        parts: builtins.list[UploadedPart] = []
        paginator = self.control.get_paginator("list_parts")
        with _mapped_errors(f"listing the parts of {key}"):
            for page in paginator.paginate(
                Bucket=self.bucket, Key=self._key(key), UploadId=upload_id
            ):
                parts += [
                    UploadedPart(number=p["PartNumber"], size=p["Size"], etag=p["ETag"])
                    for p in page.get("Parts", [])
                ]
        return sorted(parts, key=lambda p: p.number)

    def complete_multipart(self, key: str, upload_id: str) -> ObjectInfo:
        parts = self.list_parts(key, upload_id)
        if not parts:
            raise ValueError("a multipart upload needs at least one part")
        with _mapped_errors(f"completing the upload of {key}"):
            try:
                self.client.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=self._key(key),
                    UploadId=upload_id,
                    MultipartUpload={
                        "Parts": [{"PartNumber": p.number, "ETag": p.etag} for p in parts]
                    },
                )
            except botocore.exceptions.ClientError as exc:
                code = str(exc.response.get("Error", {}).get("Code", ""))
                if code in ("EntityTooSmall", "InvalidPart", "InvalidPartOrder"):
                    raise ValueError(
                        f"the parts cannot be assembled ({code}); every part "
                        "but the last must be at least 5 MiB"
                    ) from None
                raise
        return self.stat(key)

    def abort_multipart(self, key: str, upload_id: str) -> None:
        try:
            with _mapped_errors(f"aborting the upload of {key}"):
                self.control.abort_multipart_upload(
                    Bucket=self.bucket, Key=self._key(key), UploadId=upload_id
                )
        except ObjectNotFound:
            pass
