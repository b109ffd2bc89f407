"""One upload pipeline for applicants and staff: the limit, names, content types, digests,
refusals and the removal of files an operation did not record; the quotas of files per
appeal and of pending bytes per applicant, and the sweep of abandoned uploads."""
import io
import os
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage

from domain.appeals import casework, filing
from domain.errors import Refusal
from domain.files import storage, uploads
from domain.outbox import notify
from models import Document, Setting
from tests.casework_helpers import applicant_user, sent_appeal, staff

pytestmark = pytest.mark.usefixtures("database")


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


# ---- quotas: files per appeal, pending bytes per applicant -----------------------------

def test_the_51st_file_of_the_applicant_is_refused_by_name_and_not_kept(app_ctx):
    person = applicant_user()
    appeal = sent_appeal(person)
    before = stored_files()
    files = [(upload(f"{n}.pdf"), "Иное") for n in range(1, 52)]
    with pytest.raises(Refusal) as refused:
        filing.add_applicant_documents(appeal, person, files=files)
    assert (refused.value.field, refused.value.status) == ("files", 413)
    assert refused.value.message == ("Файл «51.pdf» не загружен: к обращению можно приложить "
                                     "не более 50 файлов")
    assert len(refused.value.documents) == 50 and Document.select().count() == 50
    assert len(stored_files() - before) == 50
    with pytest.raises(Refusal) as refused:
        filing.add_applicant_post(appeal, person, "<p>Еще</p>", [(upload("52.pdf"), "Иное")])
    assert "Файл «52.pdf» не загружен" in refused.value.message
    # The applicant's files leave the grid company's room untouched.
    placed = casework.place_document(appeal, staff("grid"), upload("Договор.pdf"), "Договор ТП")
    assert placed.party == "grid"


def test_each_organisation_has_its_own_room_on_an_appeal(app_ctx):
    Setting.put("max_files_per_appeal", "2")
    appeal = sent_appeal(applicant_user())
    clerk = staff("grid")
    casework.add_staff_post(appeal, clerk, "<p>Письмо</p>", [upload("1.pdf"), upload("2.pdf")])
    before = stored_files()
    with pytest.raises(Refusal) as refused:
        casework.place_document(appeal, clerk, upload("3.pdf"), "Договор ТП")
    assert (refused.value.field, refused.value.status) == ("file", 413)
    assert refused.value.message == ("Файл «3.pdf» не загружен: к обращению можно приложить "
                                     "не более 2 файлов")
    with pytest.raises(Refusal) as refused:
        casework.add_staff_post(appeal, clerk, "<p>Еще</p>", [upload("4.pdf"), upload("5.pdf")])
    assert refused.value.message.startswith("Файлы «4.pdf», «5.pdf» не загружены")
    assert stored_files() == before and Document.select().count() == 2
    Setting.put("max_files_per_appeal", "21")
    assert uploads.too_many_message(["x"]).endswith("не более 21 файла")


def test_posted_files_over_the_pending_bytes_are_refused_by_name(own_storage, app_ctx):
    Setting.put("max_pending_mb", "0.01")  # 10 KB
    person = applicant_user()
    items, refusal = uploads.store_pending(person, [
        upload("a.pdf", b"x" * 6000), upload("b.pdf", b"x" * 6000)], "Иное")
    assert [i["name"] for i in items] == ["a.pdf"]
    assert (refusal.field, refusal.status) == ("files", 413)
    assert refusal.message == (
        "Файл «b.pdf» не загружен: загруженные, но не сохраненные файлы не могут занимать "
        "больше 0.01 МБ. Сохраните черновик или отправьте обращение: сохраненные файлы в "
        "этот объем не входят")
    assert uploads.pending_bytes(person) == 6000
    assert not list(storage.root().rglob("*.part"))


def test_the_sweep_removes_abandoned_uploads_of_either_marker_layout(own_storage, app_ctx):
    person = applicant_user()
    [mine], _ = uploads.store_pending(person, [upload("брошен.pdf")], "Иное")
    legacy = uploads.store_upload(io.BytesIO(b"old"), "старый.pdf")
    (storage.root() / "pending" / legacy["key"]).touch()  # a marker of before per-user folders
    markers = [p for p in (storage.root() / "pending").rglob("*") if p.is_file()]
    assert len(markers) == 2
    assert uploads.sweep_pending() == 0  # too young
    for marker in markers:
        os.utime(marker, (1, 1))
    assert uploads.sweep_pending() == 2
    assert not storage.path_of(mine["key"]).exists() and not storage.path_of(legacy["key"]).exists()
    assert not [p for p in (storage.root() / "pending").rglob("*") if p.is_file()]
    assert uploads.pending_bytes(person) == 0
