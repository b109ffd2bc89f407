"""One upload pipeline for applicants and staff: the limit, names, content types, digests,
refusals and the removal of files an operation did not record."""
import io
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage

from domain.appeals import casework, filing
from domain.errors import Refusal
from domain.files import storage, uploads
from domain.outbox import notify
from models import Document, Setting
from tests.casework_helpers import applicant_user, sent_appeal, staff


@pytest.fixture
def app_ctx(app):
    with app.test_request_context():
        yield
        notify.flush()


def upload(name, data=b"data", claimed="text/html") -> FileStorage:
    """A file as the browser posts it, with the content type the client claims."""
    return FileStorage(io.BytesIO(data), filename=name, content_type=claimed)


def stored_files() -> set:
    return {p for p in storage.root().rglob("*") if p.is_file() and p.parent.name != "pending"}


@pytest.mark.parametrize("value,limit", [("30", 30), ("1", 1), ("0.001", 0.001), ("", 30),
                                         ("много", 30), ("0", 30), ("-5", 30), ("nan", 30)])
def test_one_limit_from_the_setting(app_ctx, value, limit):
    Setting.put("max_upload_mb", value)
    assert uploads.max_upload_mb() == limit


def test_too_large_or_empty_files_are_refused_by_name_and_the_others_stored(app_ctx):
    Setting.put("max_upload_mb", "0.001")
    before = stored_files()
    items, refusal = uploads.store_files([
        (upload("Большой.pdf", b"x" * 2000), "Иное"), (upload("пусто.txt", b""), "Иное"),
        (None, "Иное"), (upload("Малый.pdf", b"ok"), "Схема")])
    assert [(i["name"], i["doc_type"]) for i in items] == [("Малый.pdf", "Схема")]
    assert (refusal.field, refusal.status) == ("files", 413)
    assert refusal.message == ("Файл «Большой.pdf» больше 0.001 МБ и не загружен; "
                               "Файл «пусто.txt» пуст и не загружен")
    assert stored_files() - before == {storage.path_of(items[0]["key"])}
    _, refusal = uploads.store_files([(upload("пусто.txt", b""), None)])
    assert refusal.status == 400


def test_a_size_announced_over_the_limit_is_refused_before_reading(app_ctx):
    Setting.put("max_upload_mb", "1")
    stream = io.BytesIO(b"never read")
    with pytest.raises(Refusal) as refused:
        uploads.store_upload(stream, "Большой.pdf", declared_size=2 * 1024 * 1024)
    assert refused.value.status == 413 and stream.tell() == 0
    assert refused.value.message == "Файл «Большой.pdf» больше 1 МБ и не загружен"


def test_an_organisations_file_is_hashed_with_streebog_in_the_same_pass(app_ctx):
    staff_item = uploads.store_upload(io.BytesIO(b"contract"), "Договор.docx",
                                      for_organization=True)
    applicant_item = uploads.store_upload(io.BytesIO(b"contract"), "Договор.docx")
    _, digests = storage.digest_file(staff_item["key"], tuple(storage.EXTRA_DIGESTS))
    assert {name: staff_item[name] for name in storage.EXTRA_DIGESTS} == digests
    assert not set(storage.EXTRA_DIGESTS) & set(applicant_item)


def test_files_of_a_failed_operation_are_removed(app_ctx):
    items, _ = uploads.store_files([(upload("a.pdf"), None)])
    with pytest.raises(RuntimeError), uploads.discarded_on_failure(items):
        raise RuntimeError("the transaction failed")
    assert not storage.path_of(items[0]["key"]).exists()


def test_staff_and_applicant_documents_are_made_the_same_way(app_ctx):
    """Same name cleaning, the content type of the name (never the client's claim), the
    digests an organisation's document needs for a КЭП check."""
    person = applicant_user()
    appeal = sent_appeal(person)
    name = "C:\\Users\\Иванов\\Договор №5\x07.pdf"
    [mine] = filing.add_applicant_documents(appeal, person, files=[(upload(name), "Иное")])
    placed = casework.place_document(appeal, staff("grid"), upload(name), "Договор ТП")
    for document in (mine, placed):
        document = Document.get_by_id(document.id)
        assert (document.file_name, document.content_type) == ("Договор №5.pdf", "application/pdf")
    assert not mine.streebog256 and placed.streebog256 and placed.streebog512
    assert Path(storage.path_of(placed.storage_key)).read_bytes() == b"data"
