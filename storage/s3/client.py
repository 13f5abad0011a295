"""The minio client as the S3 store uses it: the one module that knows minio's insides.

Everything the store needs that minio has no public method for lives here, on
`S3Client` (a `Minio` subclass): single PUTs and multipart parts that carry
`x-amz-checksum-sha256` and reuse that digest to sign the payload,
CompleteMultipartUpload with per-part checksums, aborting an upload, listing
incomplete uploads, and server-side copies of any size. They call minio's
underscore methods (`_put_object`, `_create_multipart_upload`, `_upload_part`,
`_execute`, `_abort_multipart_upload`, the `_build_headers` signer hook) and its
helper module, so a minio upgrade that changes those changes this file only.

The rest of the package calls minio's public methods on `S3Client` and maps
failures with `translate_errors`; it imports nothing from minio itself.
"""

from __future__ import annotations

import base64
import http.client
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from xml.sax.saxutils import escape as xml_escape

import certifi
import urllib3
from minio import Minio
from minio.commonconfig import ComposeSource, CopySource
from minio.error import InvalidResponseError, MinioException, S3Error, ServerError
from minio.helpers import MAX_PART_SIZE, md5sum_hash
from minio.sse import Sse, SseCustomerKey, SseS3

from ..errors import ObjectNotFound, StoreError, StoreUnavailable

CHECKSUM_HEADER = "x-amz-checksum-sha256"
_PAYLOAD_DIGEST = "x-dossier-payload-sha256"  # internal marker, never sent

# S3 error codes that mean "we cannot use this store right now" (503 material).
_UNAVAILABLE_CODES = {
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "RequestTimeTooSkewed",
    "NoSuchBucket",
    "InternalError",
    "ServiceUnavailable",
    "SlowDown",
    "RequestTimeout",
    "BadDigest",  # the bytes were damaged on the way; retrying may succeed
    "XAmzContentSHA256Mismatch",
}


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def http_pool(connect_timeout: float, read_timeout: float, maxsize: int) -> urllib3.PoolManager:
    """Short connect timeout and few retries, so a dead store fails in seconds."""
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
        maxsize=maxsize,
        block=False,
        cert_reqs="CERT_REQUIRED",
        ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
        retries=urllib3.Retry(
            total=2,
            connect=1,
            read=0,
            status=2,
            backoff_factor=0.2,
            status_forcelist=(502, 503, 504),
            raise_on_status=False,
        ),
    )


@contextmanager
def translate_errors(key: str | None = None, what: str = "request"):
    """Map minio/urllib3 failures onto the store's typed errors."""
    try:
        yield
    except S3Error as exc:
        if exc.code in ("NoSuchKey", "NoSuchVersion") and key is not None:
            raise ObjectNotFound(key) from exc
        status = exc.response.status if exc.response is not None else 0
        if status >= 500 or exc.code in _UNAVAILABLE_CODES:
            raise StoreUnavailable(f"S3 {what} failed: {exc.code}: {exc.message}") from exc
        raise StoreError(f"S3 {what} failed: {exc.code}: {exc.message}") from exc
    except (ServerError, InvalidResponseError) as exc:
        raise StoreUnavailable(f"S3 {what} failed: {exc}") from exc
    except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError) as exc:
        raise StoreUnavailable(f"S3 {what} failed: {exc.__class__.__name__}: {exc}") from exc
    except MinioException as exc:
        raise StoreError(f"S3 {what} failed: {exc}") from exc


def s3_error_code(exc: BaseException | None) -> str | None:
    """The S3 error code behind a failure (an S3Error's), else None."""
    return exc.code if isinstance(exc, S3Error) else None


def sse_settings(sse: str, sse_c_key: bytes | None) -> tuple[Sse | None, SseCustomerKey | None]:
    """(encryption for writes, customer key for reads) of an `sse` setting: '', 's3' or 'c'."""
    if sse in ("", None):
        if sse_c_key:
            raise ValueError("an SSE-C key was given but sse is not 'c'")
        return None, None
    if sse == "s3":
        return SseS3(), None
    if sse == "c":
        if not sse_c_key or len(sse_c_key) != 32:
            raise ValueError("SSE-C needs a 32-byte key")
        key = SseCustomerKey(sse_c_key)
        return key, key
    raise ValueError(f"unknown server-side encryption {sse!r} (use '', 's3' or 'c')")


def utc(value: datetime | None) -> datetime:
    """An aware UTC datetime from what minio or a listing gives (naive means UTC)."""
    if value is None:
        return datetime.fromtimestamp(0, tz=timezone.utc)
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


@dataclass(frozen=True)
class IncompleteUpload:
    key: str
    upload_id: str
    initiated: datetime | None


@dataclass
class UploadedPart:
    number: int
    etag: str
    checksum: str  # base64 sha256 of the part


class S3Client(Minio):
    """Minio plus the requests the store makes that minio has no public call for.

    Plain minio hashes every request body to fill `x-amz-content-sha256`.
    We hash each body anyway for `x-amz-checksum-sha256`; passing that digest
    in the internal `_PAYLOAD_DIGEST` header spares a second pass over it.
    The methods below raise minio's errors; callers wrap them in `translate_errors`.
    """

    def _build_headers(self, host, headers=None, body=None, creds=None):
        digest_hex = headers.pop(_PAYLOAD_DIGEST, None) if headers else None
        if digest_hex is None or body is None:
            return super()._build_headers(host, headers, body, creds)
        caller_md5 = "Content-MD5" in headers
        headers, date = super()._build_headers(host, headers, b"", creds)
        headers["Content-Length"] = str(len(body))
        if not caller_md5:
            headers.pop("Content-MD5", None)
        if creds:
            headers["x-amz-content-sha256"] = digest_hex
        return headers, date

    # -- buckets ------------------------------------------------------------------
    def make_bucket_if_missing(self, bucket: str, *, location: str, object_lock: bool = False) -> None:
        if not self.bucket_exists(bucket):
            try:
                self.make_bucket(bucket, location=location, object_lock=object_lock)
            except S3Error as exc:
                if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise

    # -- raw requests: the caller's headers as they are (minio signs the payload) --
    def credentials(self):
        """The access key and secret this client signs with (minio's `Credentials`)."""
        return self._provider.retrieve()

    def put_object_with_headers(self, bucket: str, key: str, body: bytes, headers: dict) -> None:
        """One PUT request carrying exactly `headers`."""
        self._put_object(bucket, key, body, headers)

    def create_multipart(self, bucket: str, key: str, headers: dict) -> str:
        """Start a multipart upload carrying exactly `headers`; its upload id."""
        return self._create_multipart_upload(bucket, key, headers)

    def upload_part_with_headers(
        self, bucket: str, key: str, upload_id: str, number: int, body: bytes, headers: dict
    ) -> str:
        """Upload one part carrying exactly `headers`; its ETag."""
        return self._upload_part(bucket, key, body, headers, upload_id, number)

    # -- uploads with per-request sha256 ------------------------------------------
    def put_object_sha256(self, bucket: str, key: str, body, digest: bytes, headers: dict) -> None:
        """One PUT request; the server checks the body against `digest`."""
        headers = {**headers, CHECKSUM_HEADER: _b64(digest), _PAYLOAD_DIGEST: digest.hex()}
        self.put_object_with_headers(bucket, key, body, headers)

    def create_multipart_sha256(self, bucket: str, key: str, headers: dict) -> str:
        """Start a multipart upload whose parts carry sha256 checksums; its upload id."""
        return self.create_multipart(bucket, key, {**headers, "x-amz-checksum-algorithm": "SHA256"})

    def upload_part_sha256(
        self, bucket: str, key: str, upload_id: str, number: int, body, digest: bytes, headers: dict
    ) -> UploadedPart:
        """Upload one part; the server checks it against `digest`."""
        checksum = _b64(digest)
        headers = {**headers, CHECKSUM_HEADER: checksum, _PAYLOAD_DIGEST: digest.hex()}
        etag = self.upload_part_with_headers(bucket, key, upload_id, number, body, headers)
        return UploadedPart(number, etag, checksum)

    def complete_multipart_sha256(
        self, bucket: str, key: str, upload_id: str, parts: list[UploadedPart], headers: dict
    ) -> None:
        """CompleteMultipartUpload listing each part's sha256 (required once the
        upload declared x-amz-checksum-algorithm)."""
        xml_parts = "".join(
            f"<Part><PartNumber>{part.number}</PartNumber>"
            f"<ETag>&quot;{xml_escape(part.etag)}&quot;</ETag>"
            f"<ChecksumSHA256>{part.checksum}</ChecksumSHA256></Part>"
            for part in parts
        )
        body = f"<CompleteMultipartUpload>{xml_parts}</CompleteMultipartUpload>".encode()
        request_headers = {"Content-Type": "application/xml", "Content-MD5": md5sum_hash(body)}
        request_headers.update(headers)
        response = self._execute(
            "POST", bucket, key, body=body, headers=request_headers, query_params={"uploadId": upload_id}
        )
        # S3 may answer 200 and still report an error in the body.
        root = ET.fromstring(response.data) if response.data else None
        if root is not None and root.tag.rpartition("}")[2] == "Error":
            code = root.findtext("Code") or root.findtext("{*}Code") or "Error"
            raise StoreUnavailable(f"S3 multipart complete failed: {code}")

    def abort_multipart(self, bucket: str, key: str, upload_id: str) -> None:
        """Abort a multipart upload; one that is already gone is fine."""
        try:
            self._abort_multipart_upload(bucket, key, upload_id)
        except S3Error as exc:
            if exc.code != "NoSuchUpload":
                raise

    def list_incomplete_uploads(self, bucket: str, prefix: str = "") -> Iterator[IncompleteUpload]:
        """Multipart uploads that were started and neither completed nor aborted.

        Parsed here rather than by minio, whose parser rejects the `Initiated`
        timestamps (with a UTC offset) that some servers send.
        """
        query = {"uploads": "", "max-uploads": "1000"}
        if prefix:
            query["prefix"] = prefix
        while True:
            response = self._execute("GET", bucket, query_params=dict(query))
            root = ET.fromstring(response.data)
            last_key = last_id = None
            for element in root.iter():
                if element.tag.rpartition("}")[2] != "Upload":
                    continue
                key = _child_text(element, "Key")
                upload_id = _child_text(element, "UploadId")
                last_key, last_id = key, upload_id
                yield IncompleteUpload(key, upload_id, _parse_iso_time(_child_text(element, "Initiated")))
            truncated = _child_text(root, "IsTruncated").lower() == "true"
            if not truncated or last_key is None:
                return
            query["key-marker"] = _child_text(root, "NextKeyMarker") or last_key
            query["upload-id-marker"] = _child_text(root, "NextUploadIdMarker") or last_id

    # -- server-side copy -----------------------------------------------------------
    def copy_within_bucket(
        self,
        bucket: str,
        source_key: str,
        key: str,
        *,
        size: int,
        content_type: str,
        sse: Sse | None,
        ssec: SseCustomerKey | None,
    ) -> None:
        """Server-side copy of `source_key` to `key`: one CopyObject up to the
        largest part S3 copies in one request, a multipart compose beyond."""
        source_args = dict(ssec=ssec) if ssec is not None else {}
        if size <= MAX_PART_SIZE:
            self.copy_object(bucket, key, CopySource(bucket, source_key, **source_args), sse=sse)
        else:
            self.compose_object(
                bucket,
                key,
                [ComposeSource(bucket, source_key, **source_args)],
                sse=sse,
                metadata={"Content-Type": content_type},
            )


def _child_text(element: ET.Element, name: str) -> str:
    for child in element:
        if child.tag.rpartition("}")[2] == name:
            return (child.text or "").strip()
    return ""


def _parse_iso_time(value: str) -> datetime | None:
    try:
        return utc(datetime.fromisoformat(value)) if value else None
    except ValueError:
        return None
