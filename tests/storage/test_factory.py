"""store_from_url: which store a STORAGE_URL builds."""

import base64

import pytest
from minio.sse import SseCustomerKey, SseS3

from storage import store_from_url
from storage.local import LocalObjectStore
from storage.s3 import S3ObjectStore


def test_file_url_builds_a_local_store(tmp_path):
    # given / when
    store = store_from_url(f"file://{tmp_path}/objects")

    # then
    assert isinstance(store, LocalObjectStore)
    assert store.kind == "file"
    assert store.root == tmp_path / "objects"


@pytest.mark.parametrize("url", ["file://relative/path", "file://host/abs", "file:relative"])
def test_file_url_needs_an_absolute_path_and_no_host(url):
    # given / when / then
    with pytest.raises(ValueError):
        store_from_url(url)


def test_s3_url_builds_an_s3_store():
    # given / when
    store = store_from_url("s3://AKEY:S%2FSECRET@minio.internal:9000/dossier?secure=0&region=eu-central-1")

    # then
    assert isinstance(store, S3ObjectStore)
    assert store.kind == "s3"
    assert (store.endpoint, store.bucket, store.secure, store.region) == (
        "minio.internal:9000",
        "dossier",
        False,
        "eu-central-1",
    )
    assert store.client.credentials().secret_key == "S/SECRET"


def test_s3_url_defaults_to_tls_and_us_east_1():
    # given / when
    store = store_from_url("s3://k:s@s3.example.com/b")

    # then
    assert store.secure is True
    assert store.region == "us-east-1"
    assert store.endpoint == "s3.example.com"


@pytest.mark.parametrize(
    "url",
    [
        "s3://k:s@host:9000/",  # no bucket
        "s3://k:s@host:9000/a/b",  # more than a bucket
        "s3://k:s@host:9000/b?secure=maybe",
        "s3://k:s@host:9000/b?colour=blue",
        "ftp://host/x",
    ],
)
def test_malformed_urls_are_rejected(url):
    # given / when / then
    with pytest.raises(ValueError):
        store_from_url(url)


def test_sse_s3_and_sse_c_are_configured():
    # given a 32-byte customer key
    key = bytes(range(32))

    # when stores are built with each kind of server-side encryption
    s3_managed = store_from_url("s3://k:s@h:1/b?secure=0", sse="s3")
    customer = store_from_url("s3://k:s@h:1/b?secure=0", sse="c", sse_c_key_b64=base64.b64encode(key).decode())

    # then writes carry the right encryption and SSE-C reads carry the key
    assert isinstance(s3_managed._sse, SseS3) and s3_managed._ssec is None
    assert isinstance(customer._sse, SseCustomerKey) and customer._ssec is customer._sse


@pytest.mark.parametrize(
    ("sse", "key_b64"),
    [
        ("c", ""),
        ("c", base64.b64encode(b"short").decode()),
        ("c", "not base64!"),
        ("kms", ""),
        ("", base64.b64encode(bytes(32)).decode()),
    ],
)
def test_bad_sse_settings_are_rejected(sse, key_b64):
    # given / when / then
    with pytest.raises(ValueError):
        store_from_url("s3://k:s@h:1/b", sse=sse, sse_c_key_b64=key_b64)


def test_sse_on_a_local_store_is_refused_rather_than_ignored(tmp_path):
    # given / when / then
    with pytest.raises(ValueError):
        store_from_url(f"file://{tmp_path}", sse="s3")
