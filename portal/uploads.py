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
from urllib.parse import unquote

from flask import jsonify, request
from flask_login import current_user

from domain.appeals import filing
from domain.errors import Refusal
from domain.files import uploads
from domain.files.uploads import make_token, read_token
from domain.formatting import file_size_mb
from models import Document
from portal import bp
from portal.web import applicant_required


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
            item = uploads.store_upload(storage_file.stream, storage_file.filename)
        except Refusal as exc:
            (empty if "пуст" in exc.message else refused).append(
                uploads.clean_file_name(storage_file.filename))
            continue
        item["doc_type"] = doc_type
        item["token"] = make_token(user, item)
        items.append(item)
    parts = [uploads.too_large_message(refused)] if refused else []
    parts += [f"Файл «{n}» пуст и не загружен" for n in empty]
    return items, "; ".join(parts) or None


def raw_file_name() -> str:
    """The file name of a raw-body upload (X-File-Name, percent-encoded UTF-8)."""
    return uploads.clean_file_name(unquote(request.headers.get("X-File-Name", "")))


def store_raw_body() -> dict:
    """Stream the request body to storage; raises AppealError when too large or empty."""
    name = raw_file_name()
    if (request.content_length or 0) > uploads.max_upload_bytes():
        raise Refusal(uploads.too_large_message([name]), "files")
    return uploads.store_upload(request.stream, name)


def upload_json(item: dict) -> dict:
    return {"token": item.get("token"), "name": item["name"], "size": item["size"],
            "size_label": file_size_mb(item["size"])}


@bp.route("/uploads", methods=["POST"])
@applicant_required
def upload_file():
    """One file as the raw request body (JavaScript upload); answers its token as JSON."""
    try:
        item = store_raw_body()
    except Refusal as exc:
        return jsonify(error=exc.message), 413 if "больше" in exc.message else 400
    item["token"] = make_token(current_user, item)
    return jsonify(upload_json(item)), 201
