"""Uploads: one pipeline for applicants and staff, from the request's stream to a Document.

A file is streamed to storage (never whole in memory) under a generated key, its original
name kept as data (Cyrillic kept, path parts and control characters dropped) and its
content type taken from that cleaned name, never from the client's claim. Every Document
row is made by create_document(); the files of an operation that fails are removed again
(discarded_on_failure).

Three limits, each an administrator's setting: the size of one file ("max_upload_mb"), the
files one side (the applicant, the grid company, the supplier) attaches to one appeal
("max_files_per_appeal", room_on()) and the bytes an applicant keeps uploaded but not yet
saved with a form ("max_pending_mb", pending_room()). A file beyond a limit, or an empty
one, is refused by its name (a Refusal with status 413, or 400 for an empty file) before or
while it is read, and nothing of it is kept. An organisation's file may be signed with КЭП,
so its Streebog digests are computed in the same pass; an applicant's are not.

A file uploaded before its form is saved is carried by the form as a signed token (key,
name, size, SHA-256, for one applicant) until the draft or message is saved and it becomes
a Document row. A marker STORAGE_DIR/pending/<user id>/<key> holding the file's size
remembers each such upload: the applicant's pending bytes are the sizes of the markers whose
file no document uses, and sweep_pending() removes the files of forms that were abandoned
and never saved. The markers live beside the files they describe (no table to migrate, the
same on every database), and a saved draft stops counting as soon as its Document rows are
committed.
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
DEFAULT_MAX_FILES = 50
DEFAULT_MAX_PENDING_MB = 300

#: Document.party of the applicant's files; every other party is an organisation's.
APPLICANT = "applicant"


def _positive_setting(key: str, default: int) -> int | float:
    """A setting that is a positive number (`default` when unset or not a positive number);
    a whole number comes back as an int, for the messages."""
    try:
        value = float(Setting.value_of(key) or default)
    except ValueError:
        return default
    if not math.isfinite(value) or value <= 0:
        return default
    return int(value) if value.is_integer() else value


def max_upload_mb() -> int | float:
    """The largest file in MB: the setting "max_upload_mb" (30 when unset or not a
    positive number)."""
    return _positive_setting("max_upload_mb", DEFAULT_MAX_MB)


def max_upload_bytes() -> int:
    """The largest file in bytes."""
    return int(max_upload_mb() * 1024 * 1024)


def max_files_per_appeal() -> int:
    """How many files one side may attach to one appeal: "max_files_per_appeal" (50)."""
    return max(1, int(_positive_setting("max_files_per_appeal", DEFAULT_MAX_FILES)))


def max_pending_mb() -> int | float:
    """How many MB an applicant may keep uploaded but not yet saved with a form:
    "max_pending_mb" (300)."""
    return _positive_setting("max_pending_mb", DEFAULT_MAX_PENDING_MB)


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


def _named(names: list[str]) -> tuple[str, str]:
    """(«Файл «X»» or «Файлы «X», «Y»», the verb's ending: "" or "ы")."""
    if len(names) == 1:
        return f"Файл «{names[0]}»", ""
    return "Файлы " + ", ".join(f"«{n}»" for n in names), "ы"


def too_large_message(names: list[str]) -> str:
    """«Файл «X» больше 30 МБ и не загружен» for one or several names."""
    files, plural = _named(names)
    return f"{files} больше {max_upload_mb()} МБ и не загружен{plural}"


def empty_message(name: str) -> str:
    """«Файл «X» пуст и не загружен»."""
    return f"Файл «{name}» пуст и не загружен"


def too_many_message(names: list[str]) -> str:
    """«Файл «X» не загружен: к обращению можно приложить не более 50 файлов»."""
    files, plural = _named(names)
    limit = max_files_per_appeal()
    word = "файла" if limit % 10 == 1 and limit % 100 != 11 else "файлов"
    return f"{files} не загружен{plural}: к обращению можно приложить не более {limit} {word}"


def over_pending_message(names: list[str]) -> str:
    """«Файл «X» не загружен: загруженные, но не сохраненные файлы не могут занимать больше
    300 МБ…» (the applicant's uploads not yet saved with a form)."""
    files, plural = _named(names)
    return (f"{files} не загружен{plural}: загруженные, но не сохраненные файлы не могут "
            f"занимать больше {max_pending_mb()} МБ. Сохраните черновик или отправьте "
            "обращение: сохраненные файлы в этот объем не входят")


# What a file is refused for, in the order the refusal names them.
TOO_LARGE, EMPTY, TOO_MANY, OVER_PENDING = "too_large", "empty", "too_many", "over_pending"


class _Batch:
    """The files of one operation, stored one by one within the limits: the size of a
    file, the room left on the appeal (files) and the applicant's pending quota (bytes,
    shared by the batch); the names of the refused ones by reason."""

    def __init__(self, *, for_organization: bool = False, room: int | None = None,
                 quota: int | None = None):
        # An organisation's file may be signed with КЭП (checked against these later).
        self.digests = tuple(storage.EXTRA_DIGESTS) if for_organization else ()
        self.room = room
        self.quota = quota
        self.items: list[dict] = []
        self.refused: dict[str, list[str]] = {TOO_LARGE: [], EMPTY: [], TOO_MANY: [],
                                              OVER_PENDING: []}

    def _quota_left(self) -> int | None:
        """Pending bytes this batch may still store (None: not counted)."""
        if self.quota is None:
            return None
        return self.quota - sum(item["size"] for item in self.items)

    def _refuse(self, reason: str, name: str) -> None:
        self.refused[reason].append(name)

    def add(self, stream, name: str, doc_type: str | None = None,
            declared_size: int | None = None) -> dict | None:
        """Store one file (`name` already cleaned); its item, or None when it is refused
        (nothing kept). declared_size: the size the client announced, refused before
        reading."""
        size_limit, left, declared = max_upload_bytes(), self._quota_left(), declared_size or 0
        if self.room is not None and len(self.items) >= self.room:
            return self._refuse(TOO_MANY, name)
        if declared > size_limit:
            return self._refuse(TOO_LARGE, name)
        if left is not None and (left <= 0 or declared > left):
            return self._refuse(OVER_PENDING, name)
        limit = size_limit if left is None else min(size_limit, left)
        try:
            saved = storage.save_stream(stream, limit, self.digests)
        except storage.TooLarge:
            return self._refuse(TOO_LARGE if limit == size_limit else OVER_PENDING, name)
        if saved.size == 0:
            storage.delete(saved.key)
            return self._refuse(EMPTY, name)
        item = {"key": saved.key, "size": saved.size, "sha256": saved.sha256, "name": name,
                "doc_type": doc_type, **saved.digests}
        self.items.append(item)
        return item

    def add_files(self, pairs):
        """Store (FileStorage, doc_type) pairs; an input left without a file is skipped."""
        for file, doc_type in pairs:
            if file and file.filename:
                self.add(file.stream, clean_file_name(file.filename), doc_type)

    def refusal(self, field: str) -> Refusal | None:
        """One refusal naming every refused file (413 unless only empty ones), or None."""
        refused = self.refused
        parts = [too_large_message(refused[TOO_LARGE])] if refused[TOO_LARGE] else []
        parts += [empty_message(name) for name in refused[EMPTY]]
        if refused[TOO_MANY]:
            parts.append(too_many_message(refused[TOO_MANY]))
        if refused[OVER_PENDING]:
            parts.append(over_pending_message(refused[OVER_PENDING]))
        if not parts:
            return None
        only_empty = not (refused[TOO_LARGE] or refused[TOO_MANY] or refused[OVER_PENDING])
        return Refusal("; ".join(parts), field, status=400 if only_empty else 413)


def room_on(appeal, party: str = APPLICANT, carried: int = 0) -> int:
    """How many more files one side (party: "applicant", "grid" or "supplier") may attach
    to the appeal: the limit less that side's documents there and `carried` (files a form
    carries that are not documents yet). A new appeal (None) holds none."""
    held = 0
    if appeal is not None and appeal.id:
        held = Document.select().where((Document.appeal == appeal.id)
                                       & (Document.party == party)).count()
    return max(0, max_files_per_appeal() - held - carried)


def store_upload(stream, name: str | None, *, for_organization: bool = False,
                 field: str = "files", declared_size: int | None = None,
                 room: int | None = None, quota: int | None = None) -> dict:
    """Stream one file to storage; returns its item (key, size, sha256, name, digests).

    for_organization: an organisation's file (Streebog digests computed too).
    declared_size: the size the client announced (Content-Length), refused before reading.
    room: how many more files the appeal takes (room_on()); quota: how many more pending
    bytes the applicant may keep (pending_room()); None: not counted.
    Raises Refusal (on `field`) when the file is over a limit (413) or empty (400)."""
    batch = _Batch(for_organization=for_organization, room=room, quota=quota)
    item = batch.add(stream, clean_file_name(name), declared_size=declared_size)
    if item is None:
        raise batch.refusal(field)
    return item


def store_files(pairs, *, for_organization: bool = False, field: str = "files",
                room: int | None = None) -> tuple[list[dict], Refusal | None]:
    """Stream uploaded files to storage: pairs of (FileStorage, doc_type); an input left
    without a file is skipped; room as for store_upload(). Returns the items stored and one
    refusal naming the files over a limit or empty (None when every file was stored)."""
    batch = _Batch(for_organization=for_organization, room=room)
    with discarded_on_failure(batch.items):
        batch.add_files(pairs)
    return batch.items, batch.refusal(field)


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


def _user_markers(user) -> Path:
    """The folder of the user's pending markers."""
    path = _marker_dir() / str(int(user.id))
    path.mkdir(exist_ok=True)
    return path


def _used_keys(keys) -> set:
    """The storage keys among `keys` that a document uses."""
    keys = list(keys)
    if not keys:
        return set()
    return {d.storage_key for d in Document.select(Document.storage_key)
            .where(Document.storage_key.in_(keys))}


def make_token(user, item: dict) -> str:
    """A signed token for a stored upload, valid for this user only; its marker counts the
    upload among the user's pending bytes until a document uses it."""
    (_user_markers(user) / item["key"]).write_text(str(item["size"]))
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


def pending_bytes(user) -> int:
    """The bytes of the user's uploads that no saved form has made documents yet. Markers
    of files a document now uses, or that are gone, are dropped on the way."""
    sizes = {}
    for marker in _user_markers(user).iterdir():
        try:
            if storage.path_of(marker.name).exists():
                sizes[marker.name] = int(marker.read_text() or 0)
                continue
        except (OSError, ValueError):
            pass  # a marker the sweep took meanwhile, or not ours: not counted
        marker.unlink(missing_ok=True)
    for key in _used_keys(sizes):
        (_user_markers(user) / key).unlink(missing_ok=True)
        del sizes[key]
    return sum(sizes.values())


def pending_room(user) -> int:
    """How many more bytes the user may upload before saving a form (store_upload's quota)."""
    return int(max_pending_mb() * 1024 * 1024) - pending_bytes(user)


def _forget(user, items):
    """Delete the user's pending uploads (items) with their markers."""
    discard(items)
    for item in items:
        (_user_markers(user) / item["key"]).unlink(missing_ok=True)


def drop_pending(user, token: str | None):
    """«Удалить» on an upload of a form not saved yet: its file is deleted at once, so that
    it no longer counts among the user's pending bytes (unless a document uses it)."""
    item = read_token(user, token) if token else None
    if item is not None and not _used_keys([item["key"]]):
        _forget(user, [item])


def store_pending(user, files, doc_type: str, *, appeal=None,
                  carried=()) -> tuple[list[dict], Refusal | None]:
    """The uploads a form carries (`carried`, from read_pending()) and the files posted
    with it (no JavaScript), all of one type, stored and tokenised so that a re-shown form
    carries them: within the files the appeal takes (the draft, None for a new one) and the
    user's pending bytes. An upload or file beyond them is refused by name and not kept.
    Returns (the items carried and stored, the refusal of the others or None)."""
    carried = list(carried)
    room = room_on(appeal)
    kept, over = carried[:room], carried[room:]
    _forget(user, over)
    batch = _Batch(room=room - len(kept), quota=pending_room(user))
    batch.refused[TOO_MANY] += [item["name"] for item in over]
    with discarded_on_failure(batch.items):
        batch.add_files((file, doc_type) for file in files)
        for item in batch.items:
            item["token"] = make_token(user, item)
    return kept + batch.items, batch.refusal("files")


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
    used = _used_keys(i["key"] for i in items)
    return [i for i in items if i["key"] not in used]


def _markers():
    """Every pending marker: pending/<user id>/<key>, and pending/<key> as markers were
    written before they were kept per user (until the last of those is swept)."""
    for entry in list(_marker_dir().iterdir()):
        if entry.is_dir():
            yield from list(entry.iterdir())
        else:
            yield entry


def sweep_pending(max_age: float = PENDING_MAX_AGE) -> int:
    """Delete uploads older than max_age seconds that no document uses; returns how many."""
    removed, now = 0, time.time()
    for marker in _markers():
        try:
            if now - marker.stat().st_mtime < max_age:
                continue
        except FileNotFoundError:
            continue  # counted and dropped by pending_bytes() meanwhile
        key = marker.name
        if not _used_keys([key]):
            try:
                storage.delete(key)
                removed += 1
            except ValueError:
                pass
        marker.unlink(missing_ok=True)
    return removed
