"""The Rules (Decree 861) as the portal applies them to an application, with their texts.

Which point applies (п.14 for a person, п.12(1) for a sole trader or a company), which
choices the Rules exclude, what a complete ТП application and a message must have, and the
manual's explanation of how an account is confirmed. Each check returns {field: message}.
"""
from models import Appeal, Setting, User

SENT_TP = "Заявка создана и отправлена в сетевую"

SENT_MESSAGE = "Сообщение создано и отправлено"

SUBJECT_MAX = 500

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


def application_point(applicant) -> str:
    """'п.14' for a person, 'п.12(1)' for a sole trader or a company."""
    return "п.14" if applicant.legal_form == User.PERSON else "п.12(1)"


def point_text(applicant) -> str:
    """The explanatory text of п.14 (person) or п.12(1) (ИП, ЮЛ) shown under the question."""
    return P14_TEXT if applicant.legal_form == User.PERSON else P12_1_TEXT


def confirmation_help(applicant) -> str:
    """The manual's explanation of how to confirm an account, for this legal form."""
    text = ("Для отправления заявки необходимо подтверждение учетной записи. Чтобы подтвердить "
            "учетную запись, обратитесь лично в офис сетевой организации с документами, "
            "подтверждающими личность.")
    if applicant.legal_form == User.PERSON:
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
    if applicant.legal_form == User.PERSON and power != "le15":
        return REFUSED_P14.format(power=Appeal.POWER_CHOICES.get(power, power))
    if applicant.legal_form != User.PERSON and power == "gt150":
        return REFUSED_P12_1
    return None


def check_tp(applicant, power, scheme, complies, *, complete: bool) -> dict:
    """Errors of the ТП choices by field; complete=True also requires every choice."""
    errors = {}
    if power and power not in Appeal.POWER_CHOICES:
        errors["power"] = "Выберите максимальную мощность"
    if scheme and scheme not in Appeal.SCHEME_CHOICES:
        errors["scheme"] = "Выберите схему электроснабжения"
    if complete:
        if not power:
            errors["power"] = "Выберите максимальную мощность"
        if not scheme:
            errors["scheme"] = "Выберите схему электроснабжения"
        if complies is None:
            errors["complies"] = (f"Укажите, соответствует ли заявка положениям "
                                  f"{application_point(applicant)} Правил")
    refusal = excluded_choice(applicant, power, complies)
    if refusal:
        errors["complies"] = refusal
    return errors
