"""Content keys and key validation."""

import hashlib

import pytest

from storage import CONTENT_PREFIX, InvalidKey, content_key, sha256_from_key
from storage.base import check_key, normalize_sha256

DIGEST = hashlib.sha256(b"dossier").hexdigest()


def test_content_key_fans_out_by_the_first_two_bytes():
    # given / when
    key = content_key(DIGEST)

    # then
    assert key == f"sha256/{DIGEST[:2]}/{DIGEST[2:4]}/{DIGEST}"
    assert key.startswith(CONTENT_PREFIX)


def test_content_key_and_sha256_from_key_are_inverse():
    # given / when / then
    assert sha256_from_key(content_key(DIGEST)) == DIGEST
    assert content_key(DIGEST.upper()) == content_key(DIGEST)


@pytest.mark.parametrize(
    "key",
    [
        "staging/0123",
        f"sha256/{DIGEST}",
        f"sha256/00/00/{DIGEST}",  # fan-out does not match the digest
        f"sha256/{DIGEST[:2]}/{DIGEST[2:4]}/{DIGEST.upper()}",
        f"sha256/{DIGEST[:2]}/{DIGEST[2:4]}/{DIGEST}/extra",
        "",
    ],
)
def test_sha256_from_key_is_none_for_other_keys(key):
    # given / when / then
    assert sha256_from_key(key) is None


@pytest.mark.parametrize("value", ["", "abc", "g" * 64, DIGEST + "0", None])
def test_malformed_digests_are_rejected(value):
    # given / when / then
    with pytest.raises(ValueError):
        normalize_sha256(value)
    with pytest.raises(ValueError):
        content_key(value)


@pytest.mark.parametrize("key", ["../x", "a/../../x", "/abs", "a//b", "a/./b", "a/", "a\\b", "a\x00b", "", "x" * 1025])
def test_check_key_rejects_keys_that_could_escape_or_alias(key):
    # given / when / then
    with pytest.raises(InvalidKey):
        check_key(key)


@pytest.mark.parametrize("key", ["a", "staging/abc", content_key(DIGEST), "a/b.c/d-e_f", "dossier über.pdf"])
def test_check_key_accepts_ordinary_keys(key):
    # given / when / then
    assert check_key(key) == key


def test_invalid_key_is_also_a_value_error():
    # given / when / then
    with pytest.raises(ValueError):
        check_key("../x")
