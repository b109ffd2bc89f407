"""The JavaScript upload: one file per request, before its form is saved, carried by the
form as a signed token until the draft (or message) is saved (domain/files/uploads.py).

One XMLHttpRequest per file (for its progress bar) sends the file as the raw request body
with its name in the X-File-Name header, so the body goes straight from the socket to
storage in 1 MB chunks: no multipart parsing, no temporary copy, memory flat. Without
JavaScript the files come with the form (portal/forms.py) and take the same pipeline.
"""
from urllib.parse import unquote

from flask import jsonify, request
from flask_login import current_user

from domain.errors import Refusal
from domain.files import uploads
from domain.formatting import file_size_mb
from portal import bp
from portal.web import applicant_required


def store_raw_body(**limits) -> dict:
    """Stream the request body to storage under the name of X-File-Name (percent-encoded
    UTF-8), within `limits` (room, quota: see uploads.store_upload); raises Refusal when it
    is over a limit (413, told before reading when the size is announced) or empty."""
    return uploads.store_upload(request.stream, unquote(request.headers.get("X-File-Name", "")),
                                declared_size=request.content_length, **limits)


def upload_json(item: dict) -> dict:
    return {"token": item.get("token"), "name": item["name"], "size": item["size"],
            "size_label": file_size_mb(item["size"])}


@bp.route("/uploads", methods=["POST"])
@applicant_required
def upload_file():
    """One file as the raw request body (JavaScript upload), within the applicant's pending
    bytes; answers its token as JSON, or {error} with 413 or 400."""
    try:
        item = store_raw_body(quota=uploads.pending_room(current_user))
    except Refusal as exc:
        return jsonify(error=exc.message), exc.status
    item["token"] = uploads.make_token(current_user, item)
    return jsonify(upload_json(item)), 201
