"""Legal holds on the stores: a held object cannot be deleted, and on S3 it is the server that refuses
(Object Lock legal hold on a versioned, object-lock bucket of the real weed server)."""

from __future__ import annotations

import io

import pytest
from minio.error import S3Error

from storage import store_from_url
from storage.errors import InvalidKey, LegalHoldUnsupported, ObjectHeld, ObjectNotFound
from tests.fixtures.s3server import fresh_bucket_name


@pytest.fixture
def locked_s3_store(s3_server):
    return store_from_url(s3_server.url_for_bucket(fresh_bucket_name()) + "&object_lock=1")


def _put(store, data: bytes):
    return store.put_stream(io.BytesIO(data), content_type="application/pdf")


def test_the_s3_server_itself_refuses_to_delete_a_held_object(locked_s3_store, s3_server):
    # given an object on an object-lock bucket, put under a legal hold
    stored = _put(locked_s3_store, b"signed contract")
    locked_s3_store.set_legal_hold(stored.key)
    assert locked_s3_store.is_legally_held(stored.key)

    # when the store deletes it, then it refuses (and leaves no delete marker hiding it)
    with pytest.raises(ObjectHeld):
        locked_s3_store.delete(stored.key)
    assert locked_s3_store.exists(stored.key)
    # and going behind the store's back to the server, deleting the version is refused by the server
    client = s3_server.raw_client()
    versions = [v for v in client.list_objects(locked_s3_store.bucket, prefix=stored.key, include_version=True)]
    assert [v.is_delete_marker for v in versions] == [False]
    with pytest.raises(S3Error) as refused:
        client.remove_object(locked_s3_store.bucket, stored.key, version_id=versions[0].version_id)
    assert refused.value.code == "AccessDenied"
    assert b"".join(locked_s3_store.open(stored.key)) == b"signed contract"

    # when the hold is cleared, then the delete removes every version
    locked_s3_store.clear_legal_hold(stored.key)
    assert not locked_s3_store.is_legally_held(stored.key)
    locked_s3_store.delete(stored.key)
    assert list(client.list_objects(locked_s3_store.bucket, prefix=stored.key, include_version=True)) == []


def test_an_unheld_object_on_a_locked_bucket_goes_with_all_its_versions(locked_s3_store, s3_server):
    # given an object stored twice (two versions of one content key)
    _put(locked_s3_store, b"quote")
    stored = _put(locked_s3_store, b"quote")

    # when it is deleted
    locked_s3_store.delete(stored.key)

    # then no version and no delete marker is left behind
    assert not locked_s3_store.exists(stored.key)
    client = s3_server.raw_client()
    assert list(client.list_objects(locked_s3_store.bucket, prefix=stored.key, include_version=True)) == []


def test_holding_needs_an_object_lock_bucket_and_an_object(s3_store, locked_s3_store):
    # given a plain bucket's object, then it cannot be held
    stored = _put(s3_store, b"plain")
    with pytest.raises(LegalHoldUnsupported):
        s3_store.set_legal_hold(stored.key)
    assert not s3_store.is_legally_held(stored.key)
    # and a missing object cannot be held on a locked bucket
    with pytest.raises(ObjectNotFound):
        locked_s3_store.set_legal_hold("sha256/00/00/" + "0" * 64)


def test_the_local_store_records_holds_and_refuses_deletes(local_store):
    # given a held object on the local store
    stored = _put(local_store, b"minutes")
    local_store.set_legal_hold(stored.key)

    # when it is deleted, then the store refuses; its record of holds is no object
    with pytest.raises(ObjectHeld):
        local_store.delete(stored.key)
    assert local_store.exists(stored.key)
    assert [info.key for info in local_store.iter_objects()] == [stored.key]
    with pytest.raises(InvalidKey):
        local_store.open(".legal-holds/" + stored.key)

    # when the hold is cleared, then it can go
    local_store.clear_legal_hold(stored.key)
    local_store.clear_legal_hold(stored.key)  # idempotent
    local_store.delete(stored.key)
    assert not local_store.exists(stored.key)
    with pytest.raises(ObjectNotFound):
        local_store.set_legal_hold(stored.key)


def test_object_lock_is_an_s3_url_option(s3_server):
    url = s3_server.url_for_bucket("docs")
    assert store_from_url(url + "&object_lock=1").object_lock is True
    assert store_from_url(url).object_lock is False
    with pytest.raises(ValueError):
        store_from_url(url + "&object_lock=maybe")
