"""WTForms of the back office's actions on an appeal's page: «Присвоить регистрационный
номер», «Добавить статус», the reply, «Разместить документ», «В архив / Из архива», the
payment note of «Отметить оплату», «Заявка неполная» and «Аннулировать заявку».

Selects take their choices from the catalogues of each request; the domain (casework,
payments) checks the rest and its refusals are put beside the fields they name
(Refusal.show_on). The page renders each input by hand, with the names and ids it has had.
"""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import (
    BooleanField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import ValidationError

from domain.appeals import access, casework, checklist, incomplete
from domain.text import editor_text

CHOOSE = "— выберите —"


def _catalogue(names) -> list[SelectChoice]:
    """«— выберите —», then the catalogue's names (each option's value is its name)."""
    return [SelectChoice("", CHOOSE)] + [SelectChoice(name) for name in names]


class NumberForm(FlaskForm):
    """«Присвоить регистрационный номер»: blank means the next number."""
    number = StringField("Присвоить регистрационный номер")


class StatusForm(FlaskForm):
    """«Добавить статус»: a status of the catalogue or the clerk's own text."""
    status = SelectField("Статус из списка", default="",
                         invalid_choice_message=casework.STATUS_MISSING)
    custom_status = StringField("или свой текст")

    def __init__(self, statuses, **kwargs):
        super().__init__(**kwargs)
        self.status.choices = _catalogue(statuses)

    def text(self) -> str:
        """The free text wins over the catalogue choice."""
        return (self.custom_status.data or "").strip() or self.status.data or ""


class ReplyForm(FlaskForm):
    """The reply to the applicant: rich text (sanitised as it is read, so that a refused
    reply is shown again as the sanitised text, never as posted) and attachments."""
    body = TextAreaField("Ответ заявителю", id="reply-body", filters=[editor_text])
    files = MultipleFileField("Вложения", id="reply-files")


class DocumentForm(FlaskForm):
    """«Разместить документ»: a file of one of the organisations' types, maybe to be signed."""
    doc_type = SelectField("Тип документа", default="",
                           invalid_choice_message=casework.DOC_TYPE_MISSING)
    file = FileField("Файл", id="doc_file")
    needs_signature = BooleanField("требуется подпись заявителя")

    def __init__(self, doc_types, **kwargs):
        super().__init__(**kwargs)
        self.doc_type.choices = _catalogue(doc_types)


class ArchiveForm(FlaskForm):
    """«В архив» / «Из архива»: a button; a refusal is the whole form's."""


class PaymentForm(FlaskForm):
    """«Отметить оплату» with optional payment details."""
    note = StringField("Сведения об оплате (необязательно)", id="payment-note")


class IncompleteForm(FlaskForm):
    """«Заявка неполная»: a box per item of the Rules' checklist (name items, value its
    code; a code not in the list is refused) and an optional comment each (comment_<code>)."""
    items = SelectMultipleField("Недостающие сведения и документы",
                                choices=[SelectChoice(i.code, i.label)
                                         for i in checklist.CHECKLIST],
                                invalid_choice_message=incomplete.UNKNOWN_ITEM)

    def validate_items(self, field):
        if not field.data:
            raise ValidationError(incomplete.NO_ITEMS)

    def comments(self) -> dict:
        return {i.code: self[f"comment_{i.code}"].data or "" for i in checklist.CHECKLIST}

    def rows(self):
        """(item, ticked, comment field) per item of the checklist, for the page."""
        ticked = set(self.items.data or ())
        return [(i, i.code in ticked, self[f"comment_{i.code}"]) for i in checklist.CHECKLIST]


for _item in checklist.CHECKLIST:
    setattr(IncompleteForm, f"comment_{_item.code}",
            StringField("Комментарий", id=f"comment-{_item.code}"))


class AnnulForm(FlaskForm):
    """«Аннулировать заявку» with its «Подтверждаю»."""
    confirm = BooleanField("Подтверждаю аннулирование заявки", id="annul-confirm")


def action_forms(statuses, doc_types, refused: dict | None = None) -> dict:
    """The page's action forms by action (domain.appeals.access names), empty but for the
    one re-shown with the clerk's input and its errors (refused: {action: form})."""
    forms = {access.NUMBER: NumberForm(formdata=None),
             access.STATUS: StatusForm(statuses, formdata=None),
             access.POST: ReplyForm(formdata=None),
             access.DOCUMENT: DocumentForm(doc_types, formdata=None),
             access.ARCHIVE: ArchiveForm(formdata=None),
             access.INCOMPLETE: IncompleteForm(formdata=None),
             access.ANNUL: AnnulForm(formdata=None)}
    forms.update(refused or {})
    return forms
