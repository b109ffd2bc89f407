"""File storage under generated keys, outside the web root.

Uploads are streamed in chunks (never held whole in memory) while their SHA-256 is
computed; the original file name is kept as data by the caller, never used as a path.
"""
import hashlib
import os
import secrets
from pathlib import Path

from flask import current_app

CHUNK = 1024 * 1024


class TooLarge(Exception):
    """The stream exceeded the allowed size; nothing was kept."""


def root() -> Path:
    path = Path(current_app.config["STORAGE_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def path_of(key: str) -> Path:
    """Where a key lives; keys are ours (hex), so no user text reaches the path."""
    if not key or not all(c in "0123456789abcdef" for c in key):
        raise ValueError("bad storage key")
    return root() / key[:2] / key


def save_stream(stream, max_bytes: int | None = None) -> tuple[str, int, str]:
    """Copy a binary stream to storage; returns (key, size, sha256 hex)."""
    key = secrets.token_hex(20)
    target = path_of(key)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".part")
    digest, size = hashlib.sha256(), 0
    try:
        with open(tmp, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise TooLarge()
                digest.update(chunk)
                out.write(chunk)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return key, size, digest.hexdigest()


def save_bytes(data: bytes) -> tuple[str, int, str]:
    """Store generated content (forms, signatures)."""
    import io
    return save_stream(io.BytesIO(data))


def delete(key: str):
    path_of(key).unlink(missing_ok=True)


def open_file(key: str):
    return open(path_of(key), "rb")
