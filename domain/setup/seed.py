"""Reference data every installation starts with, and the demo data set."""
from models import DocumentType, LegalDocument, Organization, StatusCatalog, db

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
