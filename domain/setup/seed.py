"""Reference data every installation starts with, and the demo data set."""
from domain.deadlines import terms as ev
from models import DocumentType, LegalDocument, Organization, StatusCatalog, TermRule, db

GRID_NAME = "ООО «Калиновские Электрические Сети»"

# (code, name): the code is what behaviour keys on, the name what users read and the
# administrator may change.
STATUSES = [
    (StatusCatalog.ACCEPTED, "Заявка принята к рассмотрению"),
    (StatusCatalog.INCOMPLETE, "Заявка неполная, требуется дополнить сведения"),
    (StatusCatalog.CONTRACT_SENT, "Направлены проект договора и технические условия"),
    (StatusCatalog.INVOICE_ISSUED, "Выставлен счет"),
    (StatusCatalog.CONTRACT_CONCLUDED, "Договор заключен"),
    (StatusCatalog.WORKS_IN_PROGRESS, "Выполняются мероприятия по ТП"),
    (StatusCatalog.CONNECTED, "Технологическое присоединение осуществлено"),
    (StatusCatalog.ANNULLED, "Заявка аннулирована"),
]
APPLICANT_DOC_TYPES = [
    (DocumentType.APPLICATION, "Заявка"),
    (DocumentType.DIAGRAM, "Схема"),
    (DocumentType.SITE_PLAN, "План расположения"),
    (DocumentType.TITLE_DOCUMENT, "Правоустанавливающий документ"),
    (DocumentType.POWER_OF_ATTORNEY, "Доверенность"),
    (DocumentType.PAYMENT, "Платежный документ"),
    (DocumentType.OTHER, "Иное"),
]
ORGANIZATION_DOC_TYPES = [
    (DocumentType.CONTRACT, "Договор ТП"),
    (DocumentType.TECHNICAL_CONDITIONS, "Технические условия"),
    (DocumentType.INVOICE, "Счет на оплату"),
    (DocumentType.ACT_OF_CONNECTION, "Акт об осуществлении ТП"),
    (DocumentType.SUPPLY_CONTRACT, "Договор энергоснабжения"),
    (DocumentType.OTHER, "Иное"),
]
DOC_TYPES = {DocumentType.APPLICANT: APPLICANT_DOC_TYPES,
             DocumentType.ORGANIZATION: ORGANIZATION_DOC_TYPES}

RULES_861 = "Правил технологического присоединения (постановление Правительства РФ от " \
    "27.12.2004 № 861)"
ANNUL = "; при пропуске срока заявка может быть аннулирована"
WD, MONTHS = TermRule.WORKING_DAYS, TermRule.CALENDAR_MONTHS
GRID, APPLICANT = TermRule.GRID, TermRule.APPLICANT
SMALL = "заявители пп. 12(1), 14 (до 150 кВт)"
NEAR = "при соблюдении условия о расстоянии п. 16"
CHECK_TEXT = "; проверьте по действующей редакции"
# «Сроки» (code, step, who, starts on, ends on, length, unit, the case it is for, basis):
# the issue's table; the code is what the clocks key on, the rest the administrator keeps.
TERMS = [
    ("notify_incomplete", "Уведомить заявителя о неполной заявке", GRID,
     ev.APPLICATION_RECEIVED, ev.INCOMPLETE_NOTICE_OR_NEXT_STEP, 3, WD, "",
     f"п. 15 {RULES_861}"),
    ("complete_application", "Дополнить заявку недостающими сведениями", APPLICANT,
     ev.INCOMPLETE_NOTICE, ev.MISSING_ITEMS_SENT, 20, WD, "", f"п. 15 {RULES_861}{ANNUL}"),
    ("post_offer_small", "Разместить условия договора, технические условия и счет", GRID,
     ev.COMPLETE_APPLICATION_RECEIVED, ev.OFFER_POSTED, 10, WD, SMALL,
     f"пп. 103–105 {RULES_861}"),
    ("pay_invoice_small", "Оплатить счет", APPLICANT, ev.INVOICE_POSTED, ev.PAYMENT_RECORDED,
     5, WD, SMALL, f"пп. 105–106 {RULES_861}{ANNUL}"),
    ("pay_invoice_small_public_buyer", "Оплатить счет", APPLICANT, ev.INVOICE_POSTED,
     ev.PAYMENT_RECORDED, 15, WD, "покупатель по 44-ФЗ / 275-ФЗ (отметка в заявке)",
     f"пп. 105–106 {RULES_861}{ANNUL}"),
    ("send_contract", "Направить проект договора и технические условия", GRID,
     ev.COMPLETE_APPLICATION_RECEIVED, ev.CONTRACT_POSTED, 20, WD, "прочие заявители",
     f"п. 15 {RULES_861}"),
    ("send_contract_temporary", "Направить проект договора и технические условия", GRID,
     ev.COMPLETE_APPLICATION_RECEIVED, ev.CONTRACT_POSTED, 10, WD,
     "временное технологическое присоединение (п. 13)", f"п. 15 {RULES_861}"),
    ("sign_contract", "Подписать договор или направить мотивированный отказ", APPLICANT,
     ev.CONTRACT_POSTED, ev.CONTRACT_SIGNED_OR_REFUSED, 10, WD, "прочие заявители",
     f"п. 15 {RULES_861}"),
    ("connect_small_near", "Осуществить технологическое присоединение", GRID,
     ev.CONTRACT_CONCLUDED, ev.ACT_POSTED, 4, MONTHS,
     f"физические лица до 15 кВт и заявители до 150 кВт {NEAR}",
     f"подп. «б» п. 16 {RULES_861}{CHECK_TEXT}"),
    ("connect_small", "Осуществить технологическое присоединение", GRID,
     ev.CONTRACT_CONCLUDED, ev.ACT_POSTED, 6, MONTHS,
     "физические лица до 15 кВт и заявители до 150 кВт без условия о расстоянии",
     f"подп. «б» п. 16 {RULES_861}{CHECK_TEXT}"),
    ("connect_670", "Осуществить технологическое присоединение", GRID,
     ev.CONTRACT_CONCLUDED, ev.ACT_POSTED, 12, MONTHS, "до 670 кВт",
     f"подп. «б» п. 16 {RULES_861}{CHECK_TEXT}"),
    ("connect_above_670", "Осуществить технологическое присоединение", GRID,
     ev.CONTRACT_CONCLUDED, ev.ACT_POSTED, 24, MONTHS, "свыше 670 кВт",
     f"подп. «б» п. 16 {RULES_861}{CHECK_TEXT}"),
    ("notify_supplier", "Направить акт гарантирующему поставщику", GRID, ev.ACT_POSTED,
     ev.SUPPLIER_NOTIFIED, 2, WD, "", f"пп. 110–112 {RULES_861}"),
    ("post_supply_contract", "Разместить договор энергоснабжения", TermRule.SUPPLIER,
     ev.SUPPLIER_APPLICATION_RECEIVED, ev.SUPPLY_CONTRACT_POSTED, 10, WD, "",
     "п. 39(3) Основных положений функционирования розничных рынков электрической энергии "
     "(постановление Правительства РФ от 04.05.2012 № 442)"),
    ("answer_message", "Ответить на сообщение", TermRule.RECIPIENT, ev.MESSAGE_RECEIVED,
     ev.FIRST_REPLY, 15, WD, "", "Срок устанавливает сетевая организация"),
]


# What stops a running term (code → event): the grid company's first step stops at «Заявка
# неполная» and starts again in full once the application is complete (п.15).
PAUSED_BY = {code: ev.INCOMPLETE_NOTICE
             for code in ("post_offer_small", "send_contract", "send_contract_temporary")}


def seed_terms():
    """The «Сроки» rows, each found by its code; a row already there keeps the name, length
    and basis the administrator gave it."""
    have = {code for (code,) in TermRule.select(TermRule.code).tuples()}
    for order, (code, name, who, starts, ends, length, unit, applies_to, basis) in \
            enumerate(TERMS):
        if code not in have:
            TermRule.create(code=code, name=name, who=who, starts_on=starts, ends_on=ends,
                            length=length, unit=unit, applies_to=applies_to,
                            legal_basis=basis, sort_order=order,
                            paused_by=PAUSED_BY.get(code, ""))


def seed_paused_by():
    """PAUSED_BY on the rows seeded before the catalogue said what pauses a term."""
    for code, event in PAUSED_BY.items():
        (TermRule.update(paused_by=event)
         .where((TermRule.code == code) & (TermRule.paused_by == "")).execute())


PERSONAL_DATA_HTML = """
<p>Я, действуя свободно, своей волей и в своем интересе, в соответствии с Федеральным законом
от 27.07.2006 № 152-ФЗ «О персональных данных» даю согласие сетевой организации, оператору
личного кабинета, на обработку моих персональных данных: фамилии, имени, отчества, СНИЛС, ИНН,
ОГРН (ОГРНИП), КПП, адреса электронной почты, номера сотового телефона, сведений об
энергопринимающих устройствах и объектах, указанных в заявках и обращениях.</p>
<p>Цель обработки: регистрация в личном кабинете, рассмотрение заявок на технологическое
присоединение и обращений, заключение и исполнение договоров, направление уведомлений.</p>
<p>Действия с данными: сбор, запись, систематизация, накопление, хранение, уточнение,
использование, передача гарантирующему поставщику, указанному в заявке, обезличивание,
блокирование, удаление, уничтожение, с использованием средств автоматизации и без них.</p>
<p>Согласие действует до достижения целей обработки или до его отзыва. Согласие может быть
отозвано письменным заявлением, направленным в сетевую организацию.</p>
"""

E_INTERACTION_HTML = """
<p>Настоящее соглашение заключается между сетевой организацией, гарантирующими поставщиками и
заявителем в соответствии со статьей 6 Федерального закона от 06.04.2011 № 63-ФЗ «Об электронной
подписи» и пунктом 8(3) Правил технологического присоединения (постановление Правительства РФ от
27.12.2004 № 861).</p>
<p>1. Стороны признают электронные документы, размещенные в личном кабинете и подписанные
простой электронной подписью (ПЭП) или усиленной квалифицированной электронной подписью (КЭП),
равнозначными документам на бумажном носителе, подписанным собственноручной подписью.</p>
<p>2. Простой электронной подписью заявителя — физического лица является одноразовый код,
направленный в СМС-сообщении на номер сотового телефона, указанный при регистрации, и
введенный заявителем в личном кабинете. Вход в личный кабинет по адресу электронной почты и
паролю идентифицирует заявителя.</p>
<p>3. Заявитель обязан соблюдать конфиденциальность пароля и кодов подтверждения и немедленно
сообщать сетевой организации об их компрометации или об утрате телефона.</p>
<p>4. Юридические лица и индивидуальные предприниматели подписывают документы усиленной
квалифицированной электронной подписью.</p>
<p>5. Факт подписания фиксируется в личном кабинете с указанием даты и времени, хэш-суммы
документа и сведений о подписанте.</p>
"""


def seed_catalogues():
    """The seeded statuses and document types, each found by its code."""
    for order, (code, name) in enumerate(STATUSES):
        _ensure_coded(StatusCatalog, code, name, order)
    for party, types in DOC_TYPES.items():
        for order, (code, name) in enumerate(types):
            _ensure_coded(DocumentType, code, name, order, party=party)


def _ensure_coded(model, code: str, name: str, order: int, **scope):
    """Make sure the catalogue `model` has the row of `code` (within `scope`, e.g. a party).

    A row already coded keeps the name the administrator gave it. A row of a database made
    before codes existed gets its code by the name it was seeded with; where that name was
    changed since, the coded row is added anew."""
    within = [getattr(model, field) == value for field, value in scope.items()]
    if model.select().where(model.code == code, *within).exists():
        return
    adopted = (model.update(code=code)
               .where(model.name == name, model.code.is_null(), *within).execute())
    if not adopted:
        model.create(code=code, name=name, sort_order=order, **scope)


def seed_reference_data():
    """Statuses, document types, consent texts and the grid company; idempotent."""
    with db.atomic():
        seed_catalogues()
        seed_terms()
        for key, title, body in (
                (LegalDocument.PERSONAL_DATA, "Согласие на обработку персональных данных",
                 PERSONAL_DATA_HTML),
                (LegalDocument.E_INTERACTION,
                 "Соглашение между участниками электронного взаимодействия", E_INTERACTION_HTML)):
            if not LegalDocument.current(key):
                LegalDocument.create(key=key, version=1, title=title, body_html=body.strip())
        if not Organization.grid():
            Organization.create(kind=Organization.GRID, name=GRID_NAME,
                                short_name="Калиновские Электрические Сети",
                                inn="4401000012", inbox_email="tp@kalinovsk-es.ru")


DEMO_SUPPLIERS = [
    ("АО «Калиновскэнергосбыт»", "4401000020", "sbyt@kalinovsk-energo.ru"),
    ("ООО «Гарантирующий поставщик в регионе»", "4401000037", "gp@region-energo.ru"),
    ("ПАО «Северная энергосбытовая компания»", "4401000044", "info@sever-esk.ru"),
]


def seed_demo_suppliers():
    """The three guaranteeing suppliers of the demo data set."""
    with db.atomic():
        for name, inn, inbox in DEMO_SUPPLIERS:
            Organization.get_or_create(kind=Organization.SUPPLIER, name=name,
                                       defaults={"inn": inn, "inbox_email": inbox})
