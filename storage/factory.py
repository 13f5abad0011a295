"""Build an object store from a URL (the STORAGE_URL setting).

    file:///abs/path                                    -> LocalObjectStore
    s3://KEY:SECRET@host:port/bucket?secure=0&region=r  -> S3ObjectStore

S3 query options: secure (default 1), region (default us-east-1),
connect_timeout and read_timeout (seconds), object_lock (default 0: with 1 the
bucket is made with Object Lock, so objects can be put under legal hold). Key
and secret may be percent-encoded.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import parse_qs, unquote, urlsplit

from .base import ObjectStore

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_S3_OPTIONS = {"secure", "region", "connect_timeout", "read_timeout"}
_S3_STORE_OPTIONS = {"object_lock"}  # the document store's only (not the write-once bucket's)


def store_from_url(url: str, *, sse: str = "", sse_c_key_b64: str = "") -> ObjectStore:
    """The store a URL names. `sse`: "" (none), "s3" (SSE-S3) or "c" (SSE-C with
    `sse_c_key_b64`, the base64 of a 32-byte key); S3 stores only."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        if sse or sse_c_key_b64:
            raise ValueError("server-side encryption applies to s3:// stores only")
        return _local_store(parts)
    if parts.scheme == "s3":
        return _s3_store(parts, sse=sse, sse_c_key_b64=sse_c_key_b64)
    raise ValueError(f"unsupported storage URL scheme {parts.scheme!r} (use file:// or s3://)")


def _local_store(parts):
    from .local import LocalObjectStore

    if parts.netloc not in ("", "localhost"):
        raise ValueError("file:// storage URLs take no host: file:///absolute/path")
    path = unquote(parts.path)
    if not path.startswith("/"):
        raise ValueError("file:// storage URLs need an absolute path")
    return LocalObjectStore(path)


def _s3_store(parts, *, sse: str, sse_c_key_b64: str):
    from .s3 import S3ObjectStore

    query = {name: values[-1] for name, values in parse_qs(parts.query, keep_blank_values=True).items()}
    object_lock = _flag(query.get("object_lock", "0"))
    return S3ObjectStore(**s3_connection(parts, store_options=True), sse=sse or "",
                         sse_c_key=_ssec_key(sse, sse_c_key_b64), object_lock=object_lock)


def s3_connection(parts, *, store_options: bool = False) -> dict:
    """Endpoint, bucket, credentials and options of an s3:// URL (already split)."""
    if not parts.hostname:
        raise ValueError("s3:// storage URL without a host")
    bucket = parts.path.strip("/")
    if not bucket or "/" in bucket:
        raise ValueError("s3:// storage URL must name exactly one bucket: s3://KEY:SECRET@host:port/bucket")
    query = {name: values[-1] for name, values in parse_qs(parts.query, keep_blank_values=True).items()}
    unknown = set(query) - _S3_OPTIONS - (_S3_STORE_OPTIONS if store_options else set())
    if unknown:
        raise ValueError(f"unknown s3:// URL options: {', '.join(sorted(unknown))}")
    host = parts.hostname
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    endpoint = f"{host}:{parts.port}" if parts.port else host
    options = {}
    for name in ("connect_timeout", "read_timeout"):
        if name in query:
            options[name] = float(query[name])
    return dict(
        endpoint=endpoint,
        bucket=bucket,
        access_key=unquote(parts.username or ""),
        secret_key=unquote(parts.password or ""),
        secure=_flag(query.get("secure", "1")),
        region=query.get("region") or "us-east-1",
        **options,
    )


def _flag(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _ssec_key(sse: str, key_b64: str) -> bytes | None:
    if sse != "c":
        if key_b64:
            raise ValueError("sse_c_key_b64 is only used with sse='c'")
        return None
    try:
        key = base64.b64decode(key_b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("sse_c_key_b64 is not valid base64") from exc
    if len(key) != 32:
        raise ValueError(f"an SSE-C key has 32 bytes, this one {len(key)}")
    return key
