"""WTForms of the applicant's appeal pages: the ТП application, the message, the reply in a
sent appeal's thread and the documents added to it.

Radios and selects are parsed here (choices from the catalogue of each request, coerce to
the values the domain takes); the domain checks the rest and its refusals are put beside
the fields they name (Refusal.show_on). Labels are the manual's words; the templates render
each input by hand so that names, ids and markup stay as the manual's pages have them.
"""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import (
    BooleanField,
    Field,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)

from domain.appeals import rules
from domain.text import clean_html, clean_rich_text
from models import Appeal

NO_SUPPLIER = "Не планируется"
CHOOSE = "— выберите —"
COMPLIES_CHOICES = [SelectChoice("yes", "соответствует"), SelectChoice("no", "не соответствует")]


def _text_or_none(value):
    """A choice's value as text; nothing chosen ('' or missing) is None."""
    return None if value in (None, "") else str(value)


def _yes_no(value):
    """«соответствует» ('yes') is True, «не соответствует» ('no') False, anything else (no
    answer) None."""
    if isinstance(value, bool):
        return value
    return {"yes": True, "no": False}.get(value)


def _id_or_none(value):
    """An organisation's id from a posted value or a draft's Organization; '' is None."""
    if value in (None, ""):
        return None
    return int(getattr(value, "id", value))


def _choices(texts) -> list[SelectChoice]:
    """Options whose value is their text (document types)."""
    return [SelectChoice(text) for text in texts]


class ValuesField(Field):
    """Every value posted under the field's name, in order (repeated hidden inputs)."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, default=list, **kwargs)

    def process_formdata(self, valuelist):
        self.data = list(valuelist)


class _MayBeUnmade:
    """A choice that may be left unmade (None: a draft, or a rule tells what is missing);
    an unknown value is refused."""

    def pre_validate(self, form):
        if self.data is not None:
            super().pre_validate(form)


class OptionalRadioField(_MayBeUnmade, RadioField):
    """Radio buttons that may be left unanswered."""


class OptionalSelectField(_MayBeUnmade, SelectField):
    """A select that may be left at its blank option."""


class UploadsForm(FlaskForm):
    """The upload area shared by the ТП and the message form: files posted with the form (no
    JavaScript) with one «Документ» type, and the tokens of uploads made before (by
    JavaScript, or carried by a re-shown form), each with its type."""
    files = MultipleFileField()
    files_type = SelectField("Документ", validate_choice=False)
    upload = ValuesField()
    upload_type = ValuesField()
    drop_upload = StringField()

    def __init__(self, doc_types, **kwargs):
        super().__init__(**kwargs)
        self.doc_types = list(doc_types)
        self.files_type.choices = _choices(self.doc_types)


class TpForm(UploadsForm):
    """«Заявка на технологическое присоединение (в том числе временное)»: the choices of the
    Rules, the supplier, the comment, the uploads and what the button asks (action)."""
    power = OptionalRadioField(
        "Максимальная мощность (с учетом ранее присоединенных энергопринимающих устройств)",
        choices=[SelectChoice(v, t) for v, t in Appeal.POWER_CHOICES.items()],
        coerce=_text_or_none, invalid_choice_message=rules.POWER_MISSING)
    scheme = OptionalRadioField(
        "Схема электроснабжения",
        choices=[SelectChoice(v, t) for v, t in Appeal.SCHEME_CHOICES.items()],
        coerce=_text_or_none, invalid_choice_message=rules.SCHEME_MISSING)
    complies = OptionalRadioField(choices=COMPLIES_CHOICES, coerce=_yes_no)
    supplier = SelectField(
        "Гарантирующий поставщик (энергосбытовая организация), с которым планируется "
        "заключение договора энергоснабжения (купли-продажи электрической энергии (мощности))",
        coerce=_id_or_none, invalid_value_message=rules.SUPPLIER_UNKNOWN,
        invalid_choice_message=rules.SUPPLIER_UNKNOWN)
    public_buyer = BooleanField(rules.PUBLIC_BUYER_LABEL)
    distance_near = OptionalRadioField(
        rules.DISTANCE_LABEL,
        choices=[SelectChoice(v, t) for v, t in Appeal.DISTANCE_CHOICES.items()],
        coerce=_text_or_none, invalid_choice_message=rules.DISTANCE_UNKNOWN)
    comment = TextAreaField("Комментарий к заявке", filters=[clean_rich_text])
    files_type = SelectField("Документ", default="Заявка", validate_choice=False)
    action = StringField(default="save")
    delete_doc = StringField()
    remove_doc = ValuesField()
    #: the draft's saved documents: each has its «Документ» select doc_type_<id>.
    document_ids: tuple = ()
    #: how to confirm the account, when sending was refused for want of it.
    unconfirmed = ""

    @classmethod
    def of(cls, documents) -> type:
        """The form class for a draft with these saved documents."""
        fields = {f"doc_type_{d.id}": SelectField("Документ", default=d.doc_type,
                                                   validate_choice=False)
                  for d in documents}
        fields["document_ids"] = tuple(d.id for d in documents)
        return type(cls.__name__, (cls,), fields)

    def __init__(self, suppliers, doc_types, **kwargs):
        super().__init__(doc_types, **kwargs)
        self.suppliers = {s.id: s for s in suppliers}
        self.supplier.choices = [SelectChoice("", NO_SUPPLIER)] + [
            SelectChoice(str(s.id), s.name) for s in suppliers]
        for document_id in self.document_ids:
            self[f"doc_type_{document_id}"].choices = _choices(self.doc_types)

    def tp_fields(self) -> dict:
        """The ТП fields (Appeal.TP_FIELDS) as a draft takes them (filing.save_draft)."""
        return {"power": self.power.data, "scheme": self.scheme.data,
                "complies": self.complies.data, "supplier": self.suppliers.get(self.supplier.data),
                "public_buyer": bool(self.public_buyer.data),
                "distance_near": self.distance_near.data}

    def draft_fields(self) -> dict:
        """Everything the draft stores from this form."""
        return {**self.tp_fields(), "comment_html": self.comment.data}

    def document_types(self) -> dict:
        """{saved document id: the type chosen for it}."""
        return {i: self[f"doc_type_{i}"].data for i in self.document_ids}

    def removed_documents(self) -> set:
        """Ids of the saved documents to remove: «Удалить» pressed (delete_doc) or, with
        JavaScript, marked (remove_doc)."""
        pressed = {self.delete_doc.data} if self.delete_doc.data else set()
        return set(self.remove_doc.data) | pressed

    def add_refusal(self, refusal):
        """A refusal beside its field; the one about an unconfirmed account is kept apart
        (the form shows how to confirm it)."""
        if refusal.field == "confirmation":
            self.unconfirmed = refusal.message
        else:
            refusal.show_on(self)


class MessageForm(UploadsForm):
    """«Сообщение в сетевую организацию»: Тема, получатель, Сообщение, files."""
    subject = StringField("Тема", filters=[rules.message_subject])
    organization = OptionalSelectField("Выберите получателя сообщения", coerce=_id_or_none,
                                       invalid_value_message=rules.RECIPIENT_UNKNOWN,
                                       invalid_choice_message=rules.RECIPIENT_UNKNOWN)
    body = TextAreaField("Сообщение", filters=[clean_rich_text])
    files_type = SelectField("Документ", default="Иное", validate_choice=False)

    def __init__(self, recipients, doc_types, **kwargs):
        super().__init__(doc_types, **kwargs)
        self.recipient_ids = [o.id for o in recipients]
        blank = [] if len(recipients) == 1 else [SelectChoice("", CHOOSE)]  # one: chosen
        self.organization.choices = blank + [SelectChoice(str(o.id), o.name) for o in recipients]

    def validate(self, extra_validators=None) -> bool:
        """The choices, then what the Rules ask of a message to send (rules.check_message)."""
        valid = super().validate(extra_validators)
        errors = rules.check_message(self.subject.data, self.organization.data, self.body.data,
                                     self.recipient_ids, complete=True)
        for name, message in errors.items():
            if not self[name].errors:
                self[name].errors.append(message)
        return valid and not errors

    def draft_fields(self) -> dict:
        """Everything the draft stores from this form."""
        return {"subject": self.subject.data, "organization": self.organization.data,
                "body_html": self.body.data}


class ReplyForm(FlaskForm):
    """«Новое сообщение» in a sent appeal's thread, with files of one type."""
    body = TextAreaField("Новое сообщение", id="reply-body", filters=[clean_html])
    files = MultipleFileField("Файлы к сообщению", id="reply-files")
    doc_type = SelectField("Тип документа", id="reply-doc-type", default="Иное",
                           validate_choice=False)
    back = StringField()

    def __init__(self, doc_types, **kwargs):
        super().__init__(**kwargs)
        self.doc_type.choices = _choices(doc_types)

    def file_pairs(self) -> list:
        """(FileStorage, type) of each file posted."""
        return [(file, self.doc_type.data) for file in self.files.data or ()]


class MissingItemsForm(FlaskForm):
    """«Направить недостающие сведения»: for each item of the open «Заявка неполная» request
    a text (answer_<item id>) and a file (file_<item id>); the domain checks that each has
    one of them (domain/appeals/incomplete.send_missing)."""
    back = StringField()
    item_ids: tuple = ()

    @classmethod
    def of(cls, items) -> type:
        """The form class for a request with these items."""
        fields = {"item_ids": tuple(i.id for i in items)}
        for item in items:
            fields[f"answer_{item.id}"] = TextAreaField("Сведения", id=f"answer-{item.id}")
            fields[f"file_{item.id}"] = FileField("Файл", id=f"file-{item.id}")
        return type(cls.__name__, (cls,), fields)

    def texts(self) -> dict:
        return {i: self[f"answer_{i}"].data or "" for i in self.item_ids}

    def files(self) -> dict:
        return {i: self[f"file_{i}"].data for i in self.item_ids}

    def rows(self, items):
        """(item, its text field, its file field) for the page."""
        return [(item, self[f"answer_{item.id}"], self[f"file_{item.id}"]) for item in items]


class DocumentsForm(FlaskForm):
    """«Документы к обращению» of a sent appeal: files with one type for all, or one per file
    in order (doc_type repeated)."""
    files = MultipleFileField()
    doc_type = ValuesField()

    def file_pairs(self) -> list:
        """(FileStorage, type) of each file posted."""
        types = self.doc_type.data
        return [(file, types[i] if i < len(types) else (types[0] if types else None))
                for i, file in enumerate(self.files.data or ())]
