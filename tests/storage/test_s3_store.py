"""S3-only behaviour on the real server: encryption, transit checksums, presigned URLs."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re

import pytest
import requests
from minio.error import S3Error
from minio.sse import SseCustomerKey

from storage import (
    PresignNotSupported,
    StoreError,
    StoreUnavailable,
    content_disposition,
    content_key,
    store_from_url,
)
from storage.s3 import S3ObjectStore
from storage.s3.client import S3Client
from tests.fixtures.s3server import GeneratedStream, fresh_bucket_name

pytestmark = pytest.mark.s3

MiB = 1 << 20


def b64_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def store_for(server, bucket: str, **kwargs) -> S3ObjectStore:
    return store_from_url(server.url_for_bucket(bucket), **kwargs)


# -- server-side encryption ------------------------------------------------------------


@pytest.mark.parametrize("size", [100_000, 45 * MiB], ids=["single-put", "multipart-via-staging"])
def test_sse_s3_objects_are_encrypted_at_rest(s3_server, size):
    # given a store configured for SSE-S3
    store = store_for(s3_server, fresh_bucket_name(), sse="s3")
    source = GeneratedStream(size, seed=11)

    # when an object is stored (small: one PUT; large and forward-only: staging, then copy)
    stored = store.put_stream(source)

    # then the server reports it encrypted with AES256, and it reads back
    stat = s3_server.raw_client().stat_object(store.bucket, stored.key)
    assert stat.metadata.get("x-amz-server-side-encryption") == "AES256"
    hasher = hashlib.sha256()
    for chunk in store.iter_verified(stored.key, sha256=stored.sha256):
        hasher.update(chunk)
    assert hasher.hexdigest() == source.sha256()
    assert [info.key for info in store.iter_objects("")] == [stored.key]


@pytest.mark.parametrize(
    "how",
    ["single-put", "declared-multipart", "staging-multipart"],
)
def test_sse_c_objects_need_the_customer_key(s3_server, how):
    # given a store with an SSE-C key, and a second store on the same bucket without it
    key = os.urandom(32)
    bucket = fresh_bucket_name()
    store = store_for(s3_server, bucket, sse="c", sse_c_key_b64=base64.b64encode(key).decode())
    keyless = store_for(s3_server, bucket)
    size = {"single-put": 200_000, "declared-multipart": 20 * MiB, "staging-multipart": 45 * MiB}[how]
    source = GeneratedStream(size, seed=12)
    declared = source.sha256() if how == "declared-multipart" else None

    # when an object is stored
    stored = store.put_stream(source, expected_sha256=declared)

    # then it reads back with the key, stat shows customer encryption, and without the key
    # neither our store nor a raw client can read or even stat it
    assert stored.sha256 == GeneratedStream(size, seed=12).sha256()
    assert b"".join(store.iter_verified(stored.key, sha256=stored.sha256))[:100] == source.bytes_at(0, 100)
    raw = s3_server.raw_client()
    stat = raw.stat_object(bucket, stored.key, ssec=SseCustomerKey(key))
    assert stat.metadata.get("x-amz-server-side-encryption-customer-algorithm") == "AES256"
    with pytest.raises(S3Error):
        raw.stat_object(bucket, stored.key)
    with pytest.raises(S3Error):
        raw.get_object(bucket, stored.key)
    with pytest.raises(StoreError):
        keyless.open(stored.key)
    assert [info.key for info in store.iter_objects("")] == [stored.key]


def test_sse_c_objects_cannot_be_presigned(s3_server):
    # given an SSE-C store and an object in it
    store = store_for(s3_server, fresh_bucket_name(), sse="c", sse_c_key_b64=base64.b64encode(bytes(32)).decode())
    stored = store.put_stream(io.BytesIO(b"secret"))

    # when / then a browser could not send the key, so no URL is handed out
    with pytest.raises(PresignNotSupported):
        store.presigned_get_url(stored.key, expires_seconds=60, filename="s.txt", content_type="text/plain")


# -- checksums in transit ------------------------------------------------------------------------


def test_server_rejects_a_wrong_checksum_on_put_and_on_parts(s3_server):
    # given a client that sends the headers it is given (correct payload signature) and a bucket
    raw = S3Client(s3_server.endpoint, access_key=s3_server.access_key, secret_key=s3_server.secret_key,
                   secure=False)
    bucket = fresh_bucket_name()
    raw.make_bucket(bucket)
    body = os.urandom(5 * MiB)
    wrong = {"x-amz-checksum-sha256": b64_sha256(b"not the body")}

    # when a PUT and an UploadPart declare a sha256 that is not their body's
    with pytest.raises(S3Error) as single:
        raw.put_object_with_headers(bucket, "single", body, dict(wrong))
    upload_id = raw.create_multipart(bucket, "multi", {"x-amz-checksum-algorithm": "SHA256"})
    with pytest.raises(S3Error) as part:
        raw.upload_part_with_headers(bucket, "multi", upload_id, 1, body, dict(wrong))
    raw.abort_multipart(bucket, "multi", upload_id)

    # then the server refuses both and keeps nothing
    assert single.value.code == "BadDigest"
    assert part.value.code == "BadDigest"
    assert list(raw.list_objects(bucket, recursive=True)) == []


def test_store_requests_with_a_wrong_digest_are_refused(s3_store):
    # given bytes and a digest of other bytes (as if the body changed in transit)
    s3_store.ping()
    body = os.urandom(MiB)
    wrong = hashlib.sha256(b"other").digest()
    key = content_key(hashlib.sha256(body).hexdigest())

    # when the store sends them as a single PUT and as a part
    with pytest.raises(StoreUnavailable, match="BadDigest|SHA256Mismatch"):
        s3_store._put_single(key, body, wrong, "application/octet-stream")
    upload_id = s3_store._create_multipart(key, "application/octet-stream")
    with pytest.raises(StoreUnavailable, match="BadDigest|SHA256Mismatch"):
        s3_store._upload_part(key, upload_id, 1, body, wrong)
    s3_store.abort_incomplete_upload(key, upload_id)

    # then nothing was stored
    assert s3_store.exists(key) is False
    assert list(s3_store.iter_incomplete_uploads()) == []


def _traced_requests(trace: str) -> list[tuple[str, dict[str, str]]]:
    requests_seen = []
    for block in trace.split("---------START-HTTP---------")[1:]:
        lines = block.strip().splitlines()
        method_line = lines[0]
        headers = {}
        for line in lines[1:]:
            if not line.strip():
                break
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        requests_seen.append((method_line, headers))
    return requests_seen


@pytest.mark.parametrize(
    ("size", "declared", "seekable"),
    [(MiB, False, False), (20 * MiB, True, False), (45 * MiB, False, False), (20 * MiB, False, True)],
    ids=["single", "declared-multipart", "staging-multipart", "prehashed-file"],
)
def test_every_upload_request_carries_its_sha256(s3_server, size, declared, seekable, tmp_path):
    # given a store whose requests are traced (one upload worker keeps the trace in order)
    base = store_for(s3_server, fresh_bucket_name())
    store = S3ObjectStore(
        endpoint=base.endpoint,
        bucket=base.bucket,
        access_key=s3_server.access_key,
        secret_key=s3_server.secret_key,
        secure=False,
        upload_workers=1,
    )
    store.ping()
    trace = io.StringIO()
    store.client.trace_on(trace)
    source = GeneratedStream(size, seed=13)

    # when a stream is uploaded
    if seekable:
        with open(source.write_to(tmp_path / "f.bin"), "rb") as file:
            stored = store.put_stream(file)
    else:
        stored = store.put_stream(source, expected_sha256=source.sha256() if declared else None)
    store.client.trace_off()

    # then every request with a body (PUT object / PUT part) declared its sha256,
    # signed the payload with the same digest, and multipart uploads announced SHA256
    seen = _traced_requests(trace.getvalue())
    body_puts = [(line, headers) for line, headers in seen if line.startswith("PUT ")]
    assert body_puts, seen
    for line, headers in body_puts:
        checksum = headers.get("x-amz-checksum-sha256")
        assert checksum, line
        assert base64.b64decode(checksum).hex() == headers["x-amz-content-sha256"], line
    creates = [headers for line, headers in seen if line.startswith("POST ") and "uploads" in line.split("?")[-1]]
    assert all(headers.get("x-amz-checksum-algorithm") == "SHA256" for headers in creates)
    if size > 40 * MiB or declared or seekable:
        assert len(body_puts) == -(-size // store.part_size)
    assert stored.size == size


# -- presigned URLs ------------------------------------------------------------------------------


@pytest.mark.parametrize("filename", ["quarterly report.pdf", "Bericht über Q3 “final”.pdf", "合同 2024.pdf"])
def test_presigned_url_downloads_with_name_and_type(s3_store, filename):
    # given a stored object
    data = os.urandom(70_000)
    stored = s3_store.put_stream(io.BytesIO(data))

    # when its presigned URL is fetched by a plain HTTP client
    url = s3_store.presigned_get_url(
        stored.key, expires_seconds=120, filename=filename, content_type="application/pdf"
    )
    response = requests.get(url, timeout=10)

    # then the bytes come with the requested type and an RFC 5987-safe disposition
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == content_disposition(filename)
    if not filename.isascii():
        assert "filename*=UTF-8''" in response.headers["Content-Disposition"]


def test_presigned_url_stops_working_when_tampered_with(s3_store):
    # given a presigned URL
    stored = s3_store.put_stream(io.BytesIO(b"signed"))
    url = s3_store.presigned_get_url(stored.key, expires_seconds=60, filename="a.txt", content_type="text/plain")

    # when its signature is changed
    tampered = re.sub(r"X-Amz-Signature=([0-9a-f])", lambda m: "X-Amz-Signature=" + "0123456789abcdef"[
        (int(m.group(1), 16) + 1) % 16], url)

    # then the server refuses it
    assert requests.get(tampered, timeout=10).status_code == 403


def test_presign_rejects_silly_expiry(s3_store):
    # given / when / then
    with pytest.raises(ValueError):
        s3_store.presigned_get_url(content_key("a" * 64), expires_seconds=0, filename="a", content_type="text/plain")


# -- bucket handling ----------------------------------------------------------------------------------


def test_missing_bucket_is_created_once_on_first_use(s3_server):
    # given a store on a bucket that does not exist yet
    bucket = fresh_bucket_name()
    raw = s3_server.raw_client()
    store = store_for(s3_server, bucket)
    assert raw.bucket_exists(bucket) is False

    # when it is used
    store.put_stream(io.BytesIO(b"first"))

    # then the bucket exists and holds the object
    assert raw.bucket_exists(bucket) is True
    assert len(list(store.iter_objects(""))) == 1


def test_wrong_credentials_make_the_store_unavailable(s3_server):
    # given a store with a wrong secret
    url = s3_server.url_for_bucket(fresh_bucket_name()).replace(s3_server.secret_key, "wrong" * 8)
    store = store_from_url(url)

    # when / then
    with pytest.raises(StoreUnavailable):
        store.ping()


def test_incomplete_uploads_can_be_listed_and_aborted(s3_store):
    # given a multipart upload that was started and abandoned
    s3_store.ping()
    key = "staging/abandoned"
    upload_id = s3_store._create_multipart(key, "application/octet-stream")

    # when incomplete uploads are listed and aborted
    found = list(s3_store.iter_incomplete_uploads("staging/"))
    for upload in found:
        s3_store.abort_incomplete_upload(upload.key, upload.upload_id)

    # then the abandoned one was found and is gone
    assert [(u.key, u.upload_id) for u in found] == [(key, upload_id)]
    assert list(s3_store.iter_incomplete_uploads()) == []
