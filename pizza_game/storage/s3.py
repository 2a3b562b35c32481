"""The bucket layout in Amazon S3 or an S3-compatible endpoint: the ObjectStore over boto3.

Retries belong to the client: build it in botocore's "standard" retry mode (dagster-aws's
``S3Resource.get_client()`` does), so transient 500/503 SlowDown answers are retried before they
reach this store. Every write is encrypted at rest (SSE-S3 "AES256" or SSE-KMS "aws:kms").
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from pizza_game import settings
from pizza_game.storage.store import StorageError

SSE_MODES = ("AES256", "aws:kms")
# Writes (put_many) or reads (get_many) in flight at once: within botocore's default connection pool (10).
PARALLEL_REQUESTS = 8
_MISSING_KEY_CODES = {"NoSuchKey", "404", "NotFound"}
_MISSING_BUCKET_CODES = {"NoSuchBucket", "404", "NotFound"}
_DENIED_CODES = {"AccessDenied", "403", "Forbidden", "AllAccessDisabled"}
# Errors no retry can fix (a refused permission, a bucket that is not there): StorageError.permanent.
_PERMANENT_CODES = _DENIED_CODES | {"NoSuchBucket", "InvalidAccessKeyId", "SignatureDoesNotMatch"}
# A conditional write lost the race: another writer changed (or created, or removed) the key.
_CONFLICT_CODES = {"PreconditionFailed", "412", "ConditionalRequestConflict", "409", "NoSuchKey"}


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "Unknown"))


def _describe(error: Exception) -> str:
    """The error's code and message as S3 gave them (never a credential)."""
    if isinstance(error, ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        message = error.response.get("Error", {}).get("Message") or f"HTTP {status}"
        return f"{_error_code(error)}: {message}"
    return f"{type(error).__name__}: {error}"


class S3Store:
    """The layout under ``s3://bucket/``; keys are the same as under a LocalStore."""

    def __init__(
        self, client: Any, bucket: str, *, sse: str = "AES256", kms_key_id: str | None = None
    ):
        if not bucket:
            raise ValueError(f"no S3 bucket name given ({settings.S3_BUCKET_NAME} is empty)")
        if sse not in SSE_MODES:
            raise ValueError(
                f"{settings.S3_SSE}={sse!r} is not a server-side encryption mode; "
                f"use one of {', '.join(SSE_MODES)}"
            )
        if kms_key_id and sse != "aws:kms":
            raise ValueError(
                f"{settings.S3_KMS_KEY_ID} is set but {settings.S3_SSE} is {sse!r}, not 'aws:kms'"
            )
        self.client = client
        self.bucket = bucket
        self._encryption = {"ServerSideEncryption": sse}
        if kms_key_id:
            self._encryption["SSEKMSKeyId"] = kms_key_id

    def __repr__(self) -> str:
        return f"S3Store({self.bucket!r}, endpoint={self.endpoint_url!r})"

    @property
    def endpoint_url(self) -> str:
        return self.client.meta.endpoint_url

    def _where(self) -> str:
        """Which variables chose this bucket: S3_ENDPOINT_URL only matters off AWS."""
        host = urlsplit(self.endpoint_url).hostname or ""
        names = [settings.S3_BUCKET_NAME]
        if not host.endswith(".amazonaws.com"):
            names.append(settings.S3_ENDPOINT_URL)
        return f"at endpoint {self.endpoint_url} ({', '.join(names)})"

    def _fail(self, action: str, key: str, error: Exception) -> StorageError:
        permanent = isinstance(error, ClientError) and _error_code(error) in _PERMANENT_CODES
        return StorageError(f"cannot {action} {self.uri(key)} {self._where()}: {_describe(error)}", permanent=permanent)

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self._put(key, data, content_type)

    def _put(self, key: str, data: bytes, content_type: str) -> str:
        """Write the object; the ETag S3 answered, which ListObjectsV2 lists for it too."""
        try:
            answer = self.client.put_object(
                Bucket=self.bucket, Key=key, Body=data, ContentType=content_type, **self._encryption
            )
        except (ClientError, BotoCoreError) as error:
            raise self._fail("write", key, error) from None
        return str(answer["ETag"])

    def put_many(self, objects: list[tuple[str, bytes, str]]) -> list[str]:
        """Write (key, data, content type) objects in parallel, each as ``put`` writes it (same
        encryption, the client's retries); for writes whose order does not matter. Raises the
        first failure once every write has been tried. Each object's ETag, in order."""
        if len(objects) < 2:
            return [self._put(*item) for item in objects]
        with ThreadPoolExecutor(max_workers=min(PARALLEL_REQUESTS, len(objects))) as pool:
            return list(pool.map(lambda item: self._put(*item), objects))

    def put_if_versions(self, objects: list[tuple[str, bytes, str, str | None]]) -> list[bool]:
        """Conditional PUTs in parallel, each as ``put_if_version``; whether each was written."""
        if len(objects) < 2:
            return [self.put_if_version(*item) for item in objects]
        with ThreadPoolExecutor(max_workers=min(PARALLEL_REQUESTS, len(objects))) as pool:
            return list(pool.map(lambda item: self.put_if_version(*item), objects))

    def get(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as error:
            if _error_code(error) in _MISSING_KEY_CODES:
                raise KeyError(key) from None
            raise self._fail("read", key, error) from None
        except BotoCoreError as error:
            raise self._fail("read", key, error) from None

    def get_many(self, keys: list[str]) -> dict[str, tuple[bytes, str]]:
        """Each key's bytes and ETag, read in parallel (the hourly run reads a horizon of days)."""
        if len(keys) < 2:
            found = [self.get_version(key) for key in keys]
        else:
            with ThreadPoolExecutor(max_workers=min(PARALLEL_REQUESTS, len(keys))) as pool:
                found = list(pool.map(self.get_version, keys))
        return {key: (data, version) for key, (data, version) in zip(keys, found, strict=True) if data is not None and version is not None}

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if _error_code(error) in _MISSING_KEY_CODES:
                return False
            raise self._fail("look up", key, error) from None
        except BotoCoreError as error:
            raise self._fail("look up", key, error) from None
        return True

    def size(self, key: str) -> int:
        try:
            return int(self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"])
        except ClientError as error:
            if _error_code(error) in _MISSING_KEY_CODES:
                raise KeyError(key) from None
            raise self._fail("look up", key, error) from None
        except BotoCoreError as error:
            raise self._fail("look up", key, error) from None

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except (ClientError, BotoCoreError) as error:
            raise self._fail("delete", key, error) from None

    def _pages(self, prefix: str, **extra: str) -> Iterator[dict[str, Any]]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix, **extra
        )
        try:
            yield from pages
        except (ClientError, BotoCoreError) as error:
            raise self._fail("list", prefix, error) from None

    def list_dirs(self, prefix: str) -> list[str]:
        return sorted(
            item["Prefix"]
            for page in self._pages(prefix, Delimiter="/")
            for item in page.get("CommonPrefixes", [])
        )

    def list(self, prefix: str) -> list[str]:
        return sorted(
            item["Key"] for page in self._pages(prefix) for item in page.get("Contents", [])
        )

    def list_versions(self, prefix: str) -> dict[str, str]:
        """Each key's ETag as the listing gives it (the same token as ``get_version``'s)."""
        return {item["Key"]: item["ETag"] for page in self._pages(prefix) for item in page.get("Contents", [])}

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def get_version(self, key: str) -> tuple[bytes | None, str | None]:
        """The bytes and the ETag they were read with."""
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key)
            return answer["Body"].read(), answer["ETag"]
        except ClientError as error:
            if _error_code(error) in _MISSING_KEY_CODES:
                return None, None
            raise self._fail("read", key, error) from None
        except BotoCoreError as error:
            raise self._fail("read", key, error) from None

    def put_if_version(self, key: str, data: bytes, content_type: str, version: str | None) -> bool:
        """A conditional PUT: ``If-Match`` the ETag read, or ``If-None-Match: *`` for a new key."""
        condition = {"IfMatch": version} if version else {"IfNoneMatch": "*"}
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=key, Body=data, ContentType=content_type, **condition, **self._encryption
            )
        except ClientError as error:
            if _error_code(error) in _CONFLICT_CODES:
                return False
            raise self._fail("write", key, error) from None
        except BotoCoreError as error:
            raise self._fail("write", key, error) from None
        return True

    def check(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as error:
            code = _error_code(error)
            if code in _MISSING_BUCKET_CODES:
                problem = "does not exist"
            elif code in _DENIED_CODES:
                problem = "denies access (check the role or keys and the bucket policy)"
            else:
                problem = f"cannot be used ({_describe(error)})"
            raise StorageError(
                f"S3 bucket {self.bucket!r} {problem} {self._where()}", permanent=code in _PERMANENT_CODES | _MISSING_BUCKET_CODES
            ) from None
        except NoCredentialsError:
            raise StorageError(
                f"no AWS credentials found for S3 bucket {self.bucket!r} {self._where()}; "
                "set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or use an IAM role"
            ) from None
        except BotoCoreError as error:
            raise StorageError(
                f"cannot reach S3 bucket {self.bucket!r} {self._where()}: {_describe(error)}"
            ) from None
