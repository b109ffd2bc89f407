"""Uploads: one pipeline for applicants and staff, from the request's stream to a Document.

A file is streamed to storage (never whole in memory) under a generated key, its original
name kept as data (Cyrillic kept, path parts and control characters dropped); a file over
the administrator's limit or an empty one is refused by its name.

A file uploaded before its form is saved is carried by the form as a signed token (key,
name, size, SHA-256, for one applicant) until the draft or message is saved and it becomes
a Document row. A marker file under STORAGE_DIR/pending/ remembers each such upload so that
sweep_pending() removes the files of forms that were abandoned and never saved.
"""
import mimetypes
import time
import unicodedata
from pathlib import Path

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from domain.errors import Refusal
from domain.files import storage
from models import Document, Setting

TOKEN_MAX_AGE = 2 * 24 * 3600
PENDING_MAX_AGE = 24 * 3600

MAX_NAME = 200


def max_upload_mb() -> int:
    """The largest file in MB (setting "max_upload_mb", 30 by default)."""
    try:
        return max(1, int(Setting.value_of("max_upload_mb") or 30))
    except ValueError:
        return 30


def max_upload_bytes() -> int:
    return max_upload_mb() * 1024 * 1024


def clean_file_name(name: str | None) -> str:
    """The original name kept as data: no path parts, no control characters, Cyrillic kept."""
    name = (name or "").replace("\\", "/").split("/")[-1]
    name = "".join(c for c in unicodedata.normalize("NFC", name)
                   if unicodedata.category(c)[0] != "C")
    name = " ".join(name.split()).strip(" .")
    if not name:
        return "файл"
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:20] if dot and stem else ""
        name = name[:MAX_NAME - len(ext) - 1].rstrip(" .") + ("." + ext if ext else "")
    return name


def content_type_of(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def too_large_message(names: list[str]) -> str:
    """«Файл «X» больше 30 МБ и не загружен» for one or several names."""
    limit = max_upload_mb()
    if len(names) == 1:
        return f"Файл «{names[0]}» больше {limit} МБ и не загружен"
    return "Файлы " + ", ".join(f"«{n}»" for n in names) + f" больше {limit} МБ и не загружены"


def store_upload(stream, name: str, extra_digests=()) -> dict:
    """Stream one file to storage; returns the item attach_stored() takes.

    extra_digests: Streebog digests to compute in the same pass (storage.EXTRA_DIGESTS
    names), for files that may be signed; they go into the item by name.
    Raises Refusal (field 'files') when it is larger than the limit or empty."""
    name = clean_file_name(name)
    try:
        key, size, sha256 = saved = storage.save_stream(stream, max_upload_bytes(),
                                                        extra_digests)
    except storage.TooLarge:
        raise Refusal(too_large_message([name]), "files") from None
    if size == 0:
        storage.delete(key)
        raise Refusal(f"Файл «{name}» пуст и не загружен", "files")
    return {"key": key, "size": size, "sha256": sha256, "name": name, **saved.digests}


# ---- uploads carried by a form until it is saved -------------------------------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="pending-upload")


def _marker_dir() -> Path:
    path = storage.root() / "pending"
    path.mkdir(parents=True, exist_ok=True)
    return path


def make_token(user, item: dict) -> str:
    """A signed token for a stored upload, valid for this user only."""
    (_marker_dir() / item["key"]).touch()
    return _serializer().dumps({"k": item["key"], "n": item["name"], "s": item["size"],
                                "h": item["sha256"], "u": user.id})


def read_token(user, token: str) -> dict | None:
    """The stored upload behind a token of this user, or None (forged, foreign or old)."""
    try:
        data = _serializer().loads(token or "", max_age=TOKEN_MAX_AGE)
    except BadSignature:
        return None
    if data.get("u") != user.id:
        return None
    try:
        if not storage.path_of(data["k"]).exists():
            return None
    except ValueError:
        return None
    return {"key": data["k"], "name": data["n"], "size": data["s"], "sha256": data["h"],
            "token": token}


def sweep_pending(max_age: float = PENDING_MAX_AGE) -> int:
    """Delete uploads older than max_age seconds that no document uses; returns how many."""
    removed, now = 0, time.time()
    for marker in _marker_dir().iterdir():
        if now - marker.stat().st_mtime < max_age:
            continue
        key = marker.name
        if not Document.select().where(Document.storage_key == key).exists():
            try:
                storage.delete(key)
                removed += 1
            except ValueError:
                pass
        marker.unlink(missing_ok=True)
    return removed
