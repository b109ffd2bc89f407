"""File storage under generated keys, outside the web root.

Uploads are streamed in chunks (never held whole in memory) while their SHA-256 is
computed; the original file name is kept as data by the caller, never used as a path.
On request the same pass also computes Streebog-256/512 (GOST R 34.11-2012), so that a
document that may be signed is hashed once, when stored, not at every signature check.
"""
import hashlib
import io
import os
import secrets
from pathlib import Path

from flask import current_app, has_app_context

import config
from domain.files import streebog

CHUNK = 1024 * 1024

#: Digests save_stream()/digest_file() can compute besides SHA-256, by name.
EXTRA_DIGESTS = {"streebog256": 256, "streebog512": 512}


class Stored(tuple):
    """(key, size, sha256 hex) of a stored file; unpacks as that 3-tuple.

    ``digests`` holds the extra digests asked for: {name: hex}."""

    def __new__(cls, key: str, size: int, sha256: str, digests: dict | None = None):
        self = super().__new__(cls, (key, size, sha256))
        self.digests = dict(digests or {})
        return self

    key = property(lambda self: self[0])
    size = property(lambda self: self[1])
    sha256 = property(lambda self: self[2])


class _Hashers:
    """SHA-256 plus the extra digests asked for, all fed by one pass over the data."""

    def __init__(self, extra_digests=()):
        unknown = set(extra_digests) - set(EXTRA_DIGESTS)
        if unknown:
            raise ValueError(f"unknown digests: {', '.join(sorted(unknown))}")
        self.sha256 = hashlib.sha256()
        self.extra = {}
        if extra_digests:
            self.extra = {name: streebog.streebog_hasher(EXTRA_DIGESTS[name])
                          for name in extra_digests}

    def update(self, chunk: bytes):
        self.sha256.update(chunk)
        for hasher in self.extra.values():
            hasher.update(chunk)

    def result(self) -> tuple[str, dict]:
        return self.sha256.hexdigest(), {n: h.digest().hex() for n, h in self.extra.items()}


class TooLarge(Exception):
    """The stream exceeded the allowed size; nothing was kept."""


_folder: str | None = None  # set by configure(): where storage lives outside the app


def configure(folder: str):
    """The storage folder for work outside the app (the queue consumer's housekeeping)."""
    global _folder
    _folder = folder


def root() -> Path:
    """The storage folder: the app's STORAGE_DIR, else the configured or default one."""
    if has_app_context():
        folder = current_app.config["STORAGE_DIR"]
    else:
        folder = _folder or config.storage_dir()
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


def path_of(key: str) -> Path:
    """Where a key lives; keys are ours (hex), so no user text reaches the path."""
    if not key or not all(c in "0123456789abcdef" for c in key):
        raise ValueError("bad storage key")
    return root() / key[:2] / key


def save_stream(stream, max_bytes: int | None = None, extra_digests=()) -> Stored:
    """Copy a binary stream to storage; returns (key, size, sha256 hex) as a Stored.

    extra_digests: names from EXTRA_DIGESTS ("streebog256", "streebog512") computed in
    the same pass; their hex values are in the result's ``digests``."""
    hashers = _Hashers(extra_digests)
    key = secrets.token_hex(20)
    target = path_of(key)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".part")
    size = 0
    try:
        with open(tmp, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise TooLarge()
                hashers.update(chunk)
                out.write(chunk)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    sha256, digests = hashers.result()
    return Stored(key, size, sha256, digests)


def digest_file(key: str, extra_digests=()) -> tuple[str, dict]:
    """(sha256 hex, {name: hex}) of a stored file as it is now, read once."""
    hashers = _Hashers(extra_digests)
    with open_file(key) as handle:
        while chunk := handle.read(CHUNK):
            hashers.update(chunk)
    return hashers.result()


def save_bytes(data: bytes) -> Stored:
    """Store generated content (forms, signatures)."""
    return save_stream(io.BytesIO(data))


def delete(key: str):
    path_of(key).unlink(missing_ok=True)


def open_file(key: str):
    return open(path_of(key), "rb")
