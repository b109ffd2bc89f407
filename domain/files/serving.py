"""Stored files served to the browser, the same way on the portal and in the back office.

Every file is a download (Content-Disposition: attachment, with the original Cyrillic name
in filename*), never a page: its type is one of a short allow-list of types a browser does
not run (PDF, raster images, office documents, zip, plain text) and
application/octet-stream otherwise, so an uploaded .html, .svg, .xml or .js cannot run in
the portal's origin. nosniff stops the browser from guessing a type, the sandbox CSP keeps
a file opened anyway from running scripts, and no copy is kept in shared caches.
"""
from flask import abort, send_file

from domain.files import storage

OCTET_STREAM = "application/octet-stream"

#: Types served as they are; every other type is served as application/octet-stream.
SAFE_TYPES = frozenset({
    "application/pdf",
    "image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/tiff",
    "application/msword", "application/rtf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
    "application/zip",
    "text/plain",
})

HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


def served_type(content_type: str | None) -> str:
    """The type a file is served with: its own when allow-listed, else octet-stream."""
    base = (content_type or "").split(";")[0].strip().lower()
    return base if base in SAFE_TYPES else OCTET_STREAM


def file_response(source, name: str, content_type: str | None, etag: str | None = None):
    """A download of `source` (a path or a binary file object) named `name`."""
    response = send_file(source, mimetype=served_type(content_type), as_attachment=True,
                         download_name=name, max_age=0, etag=etag or False)
    response.headers.update(HEADERS)
    return response


def document_response(document):
    """A stored Document's file under its original name; 404 when the file is gone."""
    try:
        handle = storage.open_file(document.storage_key)
    except (OSError, ValueError):
        abort(404)
    return file_response(handle, document.file_name, document.content_type, document.sha256)
