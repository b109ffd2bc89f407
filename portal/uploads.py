"""Uploads before a form is saved: files streamed to storage, then carried by the form as
signed tokens until the draft (or message) is saved and they become Document rows.

The JavaScript upload (one XMLHttpRequest per file, for its progress bar) sends the file as
the raw request body with its name in the X-File-Name header, so the body goes straight from
the socket to storage in 1 MB chunks: no multipart parsing, no temporary copy, memory flat.
Without JavaScript the files come with the form (multipart; werkzeug spools them to a
temporary file, never whole in memory) and are stored the same way.

A token is the stored file's key, name, size and SHA-256 signed for one applicant. A marker
file under STORAGE_DIR/pending/ remembers each such upload so that sweep_pending() can
remove the files of forms that were abandoned and never saved.
"""
import time
from pathlib import Path
from urllib.parse import unquote

from flask import current_app, jsonify, request
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer

from domain.appeals import filing
from domain.files import storage
from models import Document
from portal import bp
from portal.web import applicant_required
from domain.formatting import file_size_mb

TOKEN_MAX_AGE = 2 * 24 * 3600
PENDING_MAX_AGE = 24 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="pending-upload")


def _marker_dir() -> Path:
    path = Path(current_app.config["STORAGE_DIR"]) / "pending"
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


def pending_from_form(user, drop: str | None = None) -> list[dict]:
    """The uploads the form carries (hidden «upload» + «upload_type» pairs), each once."""
    tokens = request.form.getlist("upload")
    types = request.form.getlist("upload_type")
    items, seen = [], set()
    for index, token in enumerate(tokens):
        if token == drop:
            continue
        item = read_token(user, token)
        if item is None or item["key"] in seen:
            continue
        seen.add(item["key"])
        item["doc_type"] = types[index] if index < len(types) else filing.DEFAULT_DOC_TYPE
        items.append(item)
    if items:  # a form sent twice (back button, double click) must not attach twice
        used = {d.storage_key for d in Document.select(Document.storage_key)
                .where(Document.storage_key.in_([i["key"] for i in items]))}
        items = [i for i in items if i["key"] not in used]
    return items


def store_form_files(user, field: str = "files", type_field: str = "files_type"):
    """Files posted with the form (no JavaScript): stored and tokenised.

    Returns (items, error message or None); too large files are named in the message."""
    doc_type = request.form.get(type_field) or filing.DEFAULT_DOC_TYPE
    items, refused, empty = [], [], []
    for storage_file in request.files.getlist(field):
        if not storage_file or not storage_file.filename:
            continue
        try:
            item = filing.store_upload(storage_file.stream, storage_file.filename)
        except filing.AppealError as exc:
            (empty if "пуст" in exc.message else refused).append(
                filing.clean_file_name(storage_file.filename))
            continue
        item["doc_type"] = doc_type
        item["token"] = make_token(user, item)
        items.append(item)
    parts = [filing.too_large_message(refused)] if refused else []
    parts += [f"Файл «{n}» пуст и не загружен" for n in empty]
    return items, "; ".join(parts) or None


def raw_file_name() -> str:
    """The file name of a raw-body upload (X-File-Name, percent-encoded UTF-8)."""
    return filing.clean_file_name(unquote(request.headers.get("X-File-Name", "")))


def store_raw_body() -> dict:
    """Stream the request body to storage; raises AppealError when too large or empty."""
    name = raw_file_name()
    if (request.content_length or 0) > filing.max_upload_bytes():
        raise filing.AppealError(filing.too_large_message([name]), "files")
    return filing.store_upload(request.stream, name)


def upload_json(item: dict) -> dict:
    return {"token": item.get("token"), "name": item["name"], "size": item["size"],
            "size_label": file_size_mb(item["size"])}


@bp.route("/uploads", methods=["POST"])
@applicant_required
def upload_file():
    """One file as the raw request body (JavaScript upload); answers its token as JSON."""
    try:
        item = store_raw_body()
    except filing.AppealError as exc:
        return jsonify(error=exc.message), 413 if "больше" in exc.message else 400
    item["token"] = make_token(current_user, item)
    return jsonify(upload_json(item)), 201


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
