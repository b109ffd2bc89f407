"""The Rules (Decree 861) as the portal applies them to an application, with their texts.

Which point applies (п.14 for a person, п.12(1) for a sole trader or a company: the
applicant's `under_point_14` / `application_point` on the model), which choices the Rules
exclude, what a complete ТП application and a message must have, and the manual's
explanation of how an account is confirmed. Each check returns {field: message}; forms
show the same texts for the choices they refuse themselves.
"""
from domain.text import is_blank
from models import Appeal, Organization, Setting

SENT_TP = "Заявка создана и отправлена в сетевую"

SENT_MESSAGE = "Сообщение создано и отправлено"

SUBJECT_MAX = 500

POWER_MISSING = "Выберите максимальную мощность"
SCHEME_MISSING = "Выберите схему электроснабжения"
SUPPLIER_UNKNOWN = "Выберите гарантирующего поставщика из списка"
DISTANCE_UNKNOWN = "Выберите ответ: да, нет или не знаю"
PUBLIC_BUYER_PERSON = ("Срок оплаты счета 15 рабочих дней установлен для покупателей по "
                       "44-ФЗ / 275-ФЗ — юридических лиц и индивидуальных предпринимателей; "
                       "физическому лицу эта отметка недоступна")

# The ТП application's optional facts that choose a term of «Сроки» (domain/deadlines/clocks.py).
PUBLIC_BUYER_LABEL = ("Заявитель — покупатель по 44-ФЗ / 275-ФЗ (оплата счета в течение 15 "
                      "рабочих дней)")
DISTANCE_LABEL = ("Расстояние от границ участка до объектов электросетевого хозяйства нужного "
                  "класса напряжения не более 300 м в городах и поселках городского типа и не "
                  "более 500 м в сельской местности")

SUBJECT_MISSING = "Введите тему сообщения"
SUBJECT_TOO_LONG = f"Тема не длиннее {SUBJECT_MAX} символов"
RECIPIENT_MISSING = "Выберите получателя сообщения"
RECIPIENT_UNKNOWN = "Выберите получателя сообщения из списка"
BODY_MISSING = "Введите текст сообщения"

P14_TEXT = (
    "В пункте 14 Правил технологического присоединения указаны: Заявители - физические лица, "
    "подающие заявку в целях технологического присоединения энергопринимающих устройств, "
    "максимальная мощность которых составляет до 15 кВт включительно (с учетом ранее "
    "присоединенных в данной точке присоединения энергопринимающих устройств), которые "
    "используются для бытовых и иных нужд, не связанных с осуществлением предпринимательской "
    "деятельности, и электроснабжение которых предусматривается по одному источнику")

P12_1_TEXT = (
    "В пункте 12(1) Правил технологического присоединения указаны: Заявители - юридические "
    "лица или индивидуальные предприниматели, подающие заявку в целях технологического "
    "присоединения энергопринимающих устройств, максимальная мощность которых составляет свыше "
    "15 и до 150 кВт включительно (с учетом ранее присоединенных в данной точке присоединения "
    "энергопринимающих устройств), по второй или третьей категории надежности, а также "
    "заявители - юридические лица или индивидуальные предприниматели, подающие заявку в целях "
    "технологического присоединения энергопринимающих устройств, максимальная мощность которых "
    "составляет до 15 кВт включительно, по одному источнику электроснабжения")

REFUSED_P14 = ("Пункт 14 Правил распространяется только на физических лиц с максимальной "
               "мощностью до 15 кВт включительно: при мощности {power} заявка не соответствует "
               "п.14. Выберите «не соответствует» или мощность ≤15 кВт.")

REFUSED_P12_1 = ("Пункт 12(1) Правил распространяется только на юридических лиц и "
                 "индивидуальных предпринимателей с максимальной мощностью до 150 кВт "
                 "включительно: при мощности >150 кВт заявка не соответствует п.12(1). "
                 "Выберите «не соответствует» или мощность до 150 кВт.")


CONTRACT_UNSIGNED = ("Заявка соответствует {point} Правил: договор заключается оплатой счета, "
                     "подпись заявителя на договоре не требуется")


def offer_path(appeal: Appeal) -> bool:
    """True for a ТП application that complies with п.14 / п.12(1): paying the invoice
    concludes the contract and the applicant signs nothing (п.103–106 Правил)."""
    return appeal.kind == Appeal.TP and appeal.complies is True


def contract_unsigned_text(applicant) -> str:
    """Why the applicant's signature on the contract is not asked for on the offer path."""
    return CONTRACT_UNSIGNED.format(point=applicant.application_point)


def point_text(applicant) -> str:
    """The explanatory text of п.14 (person) or п.12(1) (ИП, ЮЛ) shown under the question."""
    return P14_TEXT if applicant.under_point_14 else P12_1_TEXT


def complies_missing(applicant) -> str:
    """«Укажите, соответствует ли заявка положениям п.14 Правил» (or п.12(1))."""
    return f"Укажите, соответствует ли заявка положениям {applicant.application_point} Правил"


def confirmation_help(applicant) -> str:
    """The manual's explanation of how to confirm an account, for this legal form."""
    text = ("Для отправления заявки необходимо подтверждение учетной записи. Чтобы подтвердить "
            "учетную запись, обратитесь лично в офис сетевой организации с документами, "
            "подтверждающими личность.")
    if applicant.under_point_14:
        text += " Для физических лиц также необходимо взять с собой телефон, указанный при регистрации."
    else:
        text += (" Для представителей индивидуальных предпринимателей и юридических лиц также "
                 "необходима доверенность на совершение юридически значимых действий, необходимых "
                 "для заключения и исполнения договора технологического присоединения и договора, "
                 "обеспечивающего продажу электрической энергии (мощности).")
    address, hours = Setting.value_of("office_address"), Setting.value_of("office_hours")
    if address:
        text += f" Адрес офиса: {address}."
    if hours:
        text += f" Часы приема: {hours}."
    return text


def excluded_choice(applicant, power, complies) -> str | None:
    """The Rules' refusal for a compliance claim they exclude, else None."""
    if complies is not True or not power:
        return None
    if applicant.under_point_14 and power != "le15":
        return REFUSED_P14.format(power=Appeal.POWER_CHOICES.get(power, power))
    if not applicant.under_point_14 and power == "gt150":
        return REFUSED_P12_1
    return None


def check_tp(appeal: Appeal, *, complete: bool) -> dict:
    """Errors of a ТП application's choices by field; complete=True (sending) also requires
    every choice. The supplier, when named, is an active guaranteeing supplier; the 44-ФЗ /
    275-ФЗ buyer's tick is for a sole trader or a company (п.12(1)), never a person (п.14)."""
    applicant, power, complies = appeal.applicant, appeal.power, appeal.complies
    errors = {}
    if power and power not in Appeal.POWER_CHOICES:
        errors["power"] = POWER_MISSING
    if appeal.scheme and appeal.scheme not in Appeal.SCHEME_CHOICES:
        errors["scheme"] = SCHEME_MISSING
    if appeal.distance_near and appeal.distance_near not in Appeal.DISTANCE_CHOICES:
        errors["distance_near"] = DISTANCE_UNKNOWN
    if appeal.public_buyer and applicant.under_point_14:
        errors["public_buyer"] = PUBLIC_BUYER_PERSON
    if appeal.supplier_id and not (appeal.supplier.kind == Organization.SUPPLIER
                                   and appeal.supplier.active):
        errors["supplier"] = SUPPLIER_UNKNOWN
    if complete:
        if not power:
            errors["power"] = POWER_MISSING
        if not appeal.scheme:
            errors["scheme"] = SCHEME_MISSING
        if complies is None:
            errors["complies"] = complies_missing(applicant)
    refusal = excluded_choice(applicant, power, complies)
    if refusal:
        errors["complies"] = refusal
    return errors


def message_subject(text: str | None) -> str:
    """A message's subject as kept: one line, single spaces."""
    return " ".join((text or "").split())


def check_message(subject: str, organization_id: int | None, body_html: str,
                  recipient_ids, *, complete: bool) -> dict:
    """Errors of a message by field. recipient_ids: whom the applicant may write to
    (filing.message_recipients); complete=True (sending) also requires every field."""
    errors = {}
    subject = message_subject(subject)
    if len(subject) > SUBJECT_MAX:
        errors["subject"] = SUBJECT_TOO_LONG
    elif complete and not subject:
        errors["subject"] = SUBJECT_MISSING
    if organization_id is not None and organization_id not in set(recipient_ids):
        errors["organization"] = RECIPIENT_UNKNOWN
    elif complete and organization_id is None:
        errors["organization"] = RECIPIENT_MISSING
    if complete and is_blank(body_html):
        errors["body"] = BODY_MISSING
    return errors
