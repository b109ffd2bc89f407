"""Uploads: one pipeline for applicants and staff, from the request's stream to a Document.

A file is streamed to storage (never whole in memory) under a generated key, its original
name kept as data (Cyrillic kept, path parts and control characters dropped) and its
content type taken from that cleaned name, never from the client's claim. A file over the
administrator's limit (Setting "max_upload_mb") or an empty one is refused by its name
(a Refusal with status 413 or 400). An organisation's file may be signed with КЭП, so its
Streebog digests are computed in the same pass; an applicant's are not. Every Document
row is made by create_document(); the files of an operation that fails are removed again
(discarded_on_failure).

A file uploaded before its form is saved is carried by the form as a signed token (key,
name, size, SHA-256, for one applicant) until the draft or message is saved and it becomes
a Document row. A marker file under STORAGE_DIR/pending/ remembers each such upload so that
sweep_pending() removes the files of forms that were abandoned and never saved.
"""
import math
import mimetypes
import time
import unicodedata
from contextlib import contextmanager
from pathlib import Path

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from domain.errors import Refusal
from domain.files import storage
from models import Document, DocumentType, Setting, utcnow

TOKEN_MAX_AGE = 2 * 24 * 3600
PENDING_MAX_AGE = 24 * 3600

MAX_NAME = 200
DEFAULT_MAX_MB = 30

#: Document.party of the applicant's files; every other party is an organisation's.
APPLICANT = "applicant"


def max_upload_mb() -> int | float:
    """The largest file in MB: the setting "max_upload_mb" (30 when unset or not a
    positive number); a whole number comes back as an int, for the messages."""
    try:
        limit = float(Setting.value_of("max_upload_mb") or DEFAULT_MAX_MB)
    except ValueError:
        return DEFAULT_MAX_MB
    if not math.isfinite(limit) or limit <= 0:
        return DEFAULT_MAX_MB
    return int(limit) if limit.is_integer() else limit


def max_upload_bytes() -> int:
    """The largest file in bytes."""
    return int(max_upload_mb() * 1024 * 1024)


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
    """The content type a cleaned file name implies."""
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def too_large_message(names: list[str]) -> str:
    """«Файл «X» больше 30 МБ и не загружен» for one or several names."""
    limit = max_upload_mb()
    if len(names) == 1:
        return f"Файл «{names[0]}» больше {limit} МБ и не загружен"
    return "Файлы " + ", ".join(f"«{n}»" for n in names) + f" больше {limit} МБ и не загружены"


def empty_message(name: str) -> str:
    """«Файл «X» пуст и не загружен»."""
    return f"Файл «{name}» пуст и не загружен"


def _refusal(too_large: list[str], empty: list[str], field: str) -> Refusal | None:
    """One refusal naming every refused file (413 when one is too large), or None."""
    parts = [too_large_message(too_large)] if too_large else []
    parts += [empty_message(name) for name in empty]
    if not parts:
        return None
    return Refusal("; ".join(parts), field, status=413 if too_large else 400)


def _digests(for_organization: bool) -> tuple:
    """The Streebog digests computed while storing: an organisation's file may be signed
    with КЭП (checked against them later); an applicant's is not."""
    return tuple(storage.EXTRA_DIGESTS) if for_organization else ()


class _Empty(Exception):
    """The stream had no bytes; nothing was kept."""


def _save(stream, for_organization: bool) -> storage.Stored:
    """Stream to storage within the limit; raises storage.TooLarge or _Empty."""
    saved = storage.save_stream(stream, max_upload_bytes(), _digests(for_organization))
    if saved.size == 0:
        storage.delete(saved.key)
        raise _Empty()
    return saved


def _item(saved: storage.Stored, name: str, doc_type: str | None = None) -> dict:
    """What the rest of the pipeline knows of a stored file."""
    return {"key": saved.key, "size": saved.size, "sha256": saved.sha256, "name": name,
            "doc_type": doc_type, **saved.digests}


def store_upload(stream, name: str | None, *, for_organization: bool = False,
                 field: str = "files", declared_size: int | None = None) -> dict:
    """Stream one file to storage; returns its item (key, size, sha256, name, digests).

    for_organization: an organisation's file (Streebog digests computed too).
    declared_size: the size the client announced (Content-Length), refused before reading.
    Raises Refusal (on `field`) when the file is larger than the limit (413) or empty."""
    name = clean_file_name(name)
    if (declared_size or 0) > max_upload_bytes():
        raise _refusal([name], [], field)
    try:
        return _item(_save(stream, for_organization), name)
    except storage.TooLarge:
        raise _refusal([name], [], field) from None
    except _Empty:
        raise _refusal([], [name], field) from None


def store_files(pairs, *, for_organization: bool = False,
                field: str = "files") -> tuple[list[dict], Refusal | None]:
    """Stream uploaded files to storage: pairs of (FileStorage, doc_type); an input left
    without a file is skipped. Returns the items stored and one refusal naming the files
    over the limit or empty (None when every file was stored)."""
    items, too_large, empty = [], [], []
    with discarded_on_failure(items):
        for file, doc_type in pairs:
            if not file or not file.filename:
                continue
            name = clean_file_name(file.filename)
            try:
                items.append(_item(_save(file.stream, for_organization), name, doc_type))
            except storage.TooLarge:
                too_large.append(name)
            except _Empty:
                empty.append(name)
    return items, _refusal(too_large, empty, field)


def discard(items):
    """Delete the stored files of items (dicts with their storage key)."""
    for item in items:
        storage.delete(item["key"])


@contextmanager
def discarded_on_failure(items: list):
    """Delete the files of `items` when the block fails: the transaction that would have
    recorded them was rolled back. The list may still grow inside the block."""
    try:
        yield items
    except BaseException:
        discard(items)
        raise


def create_document(appeal, item: dict, *, party: str, uploaded_by, doc_type: str,
                    organization=None, post=None,
                    needs_applicant_signature: bool = False) -> Document:
    """The Document row of a stored file (an item of this module): the one place rows are
    made, for the applicant's and the organisations' files alike."""
    name = clean_file_name(item["name"])
    return Document.create(
        appeal=appeal, post=post, party=party, organization=organization, doc_type=doc_type,
        type_code=DocumentType.code_for(party, doc_type), file_name=name, content_type=content_type_of(name), size=item["size"],
        sha256=item["sha256"], streebog256=item.get("streebog256", ""),
        streebog512=item.get("streebog512", ""), storage_key=item["key"],
        needs_applicant_signature=bool(needs_applicant_signature), uploaded_by=uploaded_by,
        created_at=utcnow())


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


def store_pending(user, files, doc_type: str) -> tuple[list[dict], Refusal | None]:
    """Files posted with a form (no JavaScript), all of one type: stored and tokenised, so
    that a re-shown form carries them. Returns (items, refusal of the others or None)."""
    items, refusal = store_files([(file, doc_type) for file in files])
    for item in items:
        item["token"] = make_token(user, item)
    return items, refusal


def read_pending(user, tokens, types, default_type: str, drop: str | None = None) -> list[dict]:
    """The uploads a form carries: its tokens with their types (default_type when a token
    has none), each once; `drop` (a token) left out, and none that a document already uses
    (a form sent twice, by the back button or a double click, must not attach twice)."""
    items, seen = [], set()
    for index, token in enumerate(tokens):
        if token == drop:
            continue
        item = read_token(user, token)
        if item is None or item["key"] in seen:
            continue
        seen.add(item["key"])
        item["doc_type"] = types[index] if index < len(types) else default_type
        items.append(item)
    if items:
        used = {d.storage_key for d in Document.select(Document.storage_key)
                .where(Document.storage_key.in_([i["key"] for i in items]))}
        items = [i for i in items if i["key"] not in used]
    return items


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
