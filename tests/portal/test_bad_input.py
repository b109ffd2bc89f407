"""Malformed document ids and upload tokens in the ТП form name nothing: the draft is saved
as it is, its documents kept, never a server error."""
import io

from models import Appeal, Document

BIG = str(2 ** 63)


def test_malformed_document_ids_and_tokens_in_the_tp_form_name_nothing(client, applicant):
    data = {"power": "le15", "scheme": "permanent", "complies": "yes", "supplier": "",
            "comment": "Заявка", "action": "save", "files_type": "Заявка",
            "files": [(io.BytesIO(b"1"), "a.pdf")]}
    assert client.post("/appeals/new/tp", data=data,
                       content_type="multipart/form-data").status_code == 302
    draft = Appeal.get()
    for fields in ({"delete_doc": BIG}, {"delete_doc": "²"}, {"remove_doc": ["٣", BIG, "-1"]},
                   {"upload": [BIG, "abc"], "upload_type": ["Заявка", "Иное"]}):
        response = client.post(f"/appeals/{draft.id}/edit", data={
            "power": "le15", "scheme": "permanent", "complies": "yes", "supplier": "",
            "comment": "Заявка", "action": "save", **fields})
        assert response.status_code == 302, fields
        assert [d.file_name for d in Document.select()] == ["a.pdf"], fields
