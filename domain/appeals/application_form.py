"""«Скачать форму заявки»: the application form for technological connection as a .docx.

Three forms after the Rules (Decree 861): п.14 — a person up to 15 kW for household needs;
п.12(1) — a sole trader or company up to 150 kW; п.9 — the general form otherwise (and
whenever the applicant says the application does not fall under п.14 / п.12(1)). What the
portal knows (applicant's details, power category, scheme, supplier, the grid company) is
filled in; the rest (object, address, cadastral number, power in kW…) is left as lines to
fill by hand.
"""
import io

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from models import Appeal, User

P14, P12_1, P9 = "p14", "p12_1", "p9"
BLANK = "_" * 40
SHORT_BLANK = "_" * 14

TITLES = {
    P14: ("ЗАЯВКА",
          "физического лица на присоединение по одному источнику электроснабжения "
          "энергопринимающих устройств с максимальной мощностью до 15 кВт включительно "
          "(используемых для бытовых и иных нужд, не связанных с осуществлением "
          "предпринимательской деятельности)",
          "по пункту 14 Правил технологического присоединения (постановление Правительства РФ "
          "от 27.12.2004 № 861)"),
    P12_1: ("ЗАЯВКА",
            "юридического лица (индивидуального предпринимателя) на присоединение "
            "энергопринимающих устройств с максимальной мощностью до 150 кВт включительно",
            "по пункту 12(1) Правил технологического присоединения (постановление Правительства "
            "РФ от 27.12.2004 № 861)"),
    P9: ("ЗАЯВКА",
         "на технологическое присоединение энергопринимающих устройств "
         "(в том числе временное)",
         "по пункту 9 Правил технологического присоединения (постановление Правительства РФ "
         "от 27.12.2004 № 861)"),
}
FILE_NAMES = {P14: "Заявка на ТП (п.14 Правил).docx", P12_1: "Заявка на ТП (п.12(1) Правил).docx",
              P9: "Заявка на ТП (п.9 Правил).docx"}


def category(legal_form: str | None, power: str | None, complies=None) -> str:
    """Which form fits: п.14 (person ≤15 kW), п.12(1) (ИП/ЮЛ ≤150 kW) or the general п.9.

    An explicit «не соответствует» means the simplified form does not apply."""
    if complies is False:
        return P9
    if legal_form == User.PERSON and power in (None, "", "le15"):
        return P14
    if legal_form in (User.SOLE_TRADER, User.COMPANY) and power in (None, "", "le15", "15_150"):
        return P12_1
    return P9


def file_name(kind: str) -> str:
    return FILE_NAMES[kind]


def _font(run, size=11, bold=False, italic=False):
    run.font.size = Pt(size)
    run.bold = bold
    run.italic = italic
    return run


def _para(doc, text="", size=11, bold=False, italic=False, align=None, space_after=4):
    paragraph = doc.add_paragraph()
    if text:
        _font(paragraph.add_run(text), size, bold, italic)
    if align is not None:
        paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(space_after)
    return paragraph


def _item(doc, number: int, label: str, value: str | None = None, hint: str | None = None):
    """'N. label: value' with a line to fill when the value is unknown."""
    paragraph = _para(doc)
    _font(paragraph.add_run(f"{number}. {label}: "), bold=True)
    _font(paragraph.add_run(value if value else BLANK))
    if hint:
        _para(doc, hint, size=8, italic=True, space_after=6)
    return paragraph


def _shade(cell, fill="E7EEF6"):
    properties = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    properties.append(shading)


def _table(doc, rows, header=None, widths=None, grid=True):
    table = doc.add_table(rows=0, cols=len(rows[0]) if rows else len(header))
    if grid:
        table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    if header:
        cells = table.add_row().cells
        for cell, text in zip(cells, header):
            cell.text = ""
            _font(cell.paragraphs[0].add_run(text), 10, bold=True)
            _shade(cell)
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row):
            cell.text = ""
            _font(cell.paragraphs[0].add_run(text), 10)
    if widths:
        for row in table.rows:
            for cell, width in zip(row.cells, widths):
                cell.width = Cm(width)
    doc.add_paragraph().paragraph_format.space_after = Pt(2)
    return table


def _applicant_rows(applicant) -> list[tuple[str, str]]:
    """The applicant's identifiers the portal knows, for the table."""
    rows = [("Правовая форма", applicant.legal_form_label)]
    if applicant.legal_form == User.COMPANY:
        rows += [("Полное наименование", applicant.company_name or BLANK),
                 ("Руководитель (Ф.И.О.)", applicant.full_name),
                 ("ОГРН", applicant.ogrn or ""), ("ИНН", applicant.inn or ""),
                 ("КПП", applicant.kpp or "")]
    elif applicant.legal_form == User.SOLE_TRADER:
        rows += [("Фамилия, имя, отчество", applicant.full_name),
                 ("ОГРНИП", applicant.ogrnip or ""), ("ИНН", applicant.inn or "")]
    else:
        rows += [("Фамилия, имя, отчество", applicant.full_name),
                 ("СНИЛС", applicant.snils or ""),
                 ("Паспорт: серия, номер, кем и когда выдан", BLANK)]
    rows += [("Адрес электронной почты", applicant.notify_email or applicant.email),
             ("Сотовый телефон", applicant.phone or BLANK)]
    return rows


def build(applicant, grid, power=None, scheme=None, complies=None, supplier=None) -> tuple[str, bytes]:
    """The filled form: (download file name, .docx bytes)."""
    kind = category(applicant.legal_form, power, complies)
    doc = Document()
    section = doc.sections[0]
    section.left_margin, section.right_margin = Cm(2.5), Cm(1.5)
    section.top_margin = section.bottom_margin = Cm(1.8)
    normal = doc.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(11)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "Times New Roman")
    doc.core_properties.title = "Заявка на технологическое присоединение"
    doc.core_properties.author = applicant.full_name or applicant.email
    doc.core_properties.language = "ru-RU"

    # Addressee and sender, right-aligned as on paper.
    right = WD_ALIGN_PARAGRAPH.RIGHT
    _para(doc, f"В {grid.name if grid else 'сетевую организацию'}", bold=True, align=right,
          space_after=0)
    if grid and grid.address:
        _para(doc, grid.address, size=10, align=right, space_after=0)
    sender = applicant.company_name if applicant.legal_form == User.COMPANY and \
        applicant.company_name else applicant.full_name
    prefix = "ИП " if applicant.legal_form == User.SOLE_TRADER else ""
    _para(doc, f"от {prefix}{sender}", align=right, space_after=12)

    heading, subtitle, basis = TITLES[kind]
    _para(doc, heading, size=14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=2)
    _para(doc, subtitle, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=2)
    _para(doc, basis, size=9, italic=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=10)

    _para(doc, "1. Сведения о заявителе", bold=True)
    _table(doc, _applicant_rows(applicant), widths=(6.5, 10.5))

    n = 2
    _item(doc, n, "Место нахождения (место жительства) заявителя, почтовый адрес", None,
          "индекс, адрес")
    n += 1
    _item(doc, n, "В связи с", None,
          "новое присоединение, увеличение максимальной мощности, изменение категории "
          "надежности, временное присоединение и т.п. — указать нужное")
    n += 1
    _item(doc, n, "Наименование энергопринимающих устройств (объекта)", None,
          "например: жилой дом, садовый дом, гараж, магазин, производственный цех")
    n += 1
    _item(doc, n, "Место нахождения энергопринимающих устройств (адрес объекта)", None)
    n += 1
    _item(doc, n, "Кадастровый номер земельного участка (объекта)", None)
    n += 1
    power_label = Appeal.POWER_CHOICES.get(power, "")
    _item(doc, n, "Максимальная мощность энергопринимающих устройств (с учетом ранее "
          "присоединенных)", f"{SHORT_BLANK} кВт"
          + (f" (категория: {power_label})" if power_label else ""),
          "в том числе: вновь присоединяемых ______ кВт; ранее присоединенных ______ кВт")
    n += 1
    _item(doc, n, "Уровень напряжения", f"{SHORT_BLANK} кВ",
          "0,23 кВ (однофазный ввод), 0,4 кВ (трехфазный ввод) и др.")
    n += 1
    reliability = {P14: "III (по одному источнику электроснабжения)",
                   P12_1: "II / III (нужное подчеркнуть)"}.get(kind)
    _item(doc, n, "Категория надежности энергопринимающих устройств", reliability,
          None if reliability else "I, II или III; для I и II — распределение мощности "
          "по источникам")
    n += 1
    scheme_label = Appeal.SCHEME_CHOICES.get(scheme)
    _item(doc, n, "Схема электроснабжения", scheme_label,
          "постоянная / временная (для временной — срок, на который требуется присоединение)"
          if not scheme_label else None)
    if scheme == "temporary":
        _item(doc, n, "Срок временного присоединения", None)
    n += 1
    if kind == P14:
        purpose = "бытовые и иные нужды, не связанные с предпринимательской деятельностью"
    else:
        purpose = None
    _item(doc, n, "Характер нагрузки (вид экономической деятельности заявителя)", purpose)
    n += 1
    if kind == P9:
        _item(doc, n, "Величина и обоснование величины технологического минимума и аварийной "
              "брони (для генераторов и непрерывных производств)", None)
        n += 1

    _para(doc, f"{n}. Сроки проектирования и поэтапного введения в эксплуатацию "
          "энергопринимающих устройств (в том числе по этапам и очередям):", bold=True)
    _table(doc, [("1", "", "", "", ""), ("2", "", "", "", ""), ("3", "", "", "", "")],
           header=("Этап (очередь)", "Планируемый срок проектирования",
                   "Планируемый срок введения в эксплуатацию", "Максимальная мощность, кВт",
                   "Категория надежности"),
           widths=(2.6, 3.6, 3.8, 3.4, 3.6))
    n += 1
    supplier_name = supplier.name if supplier else "Не планируется"
    _item(doc, n, "Гарантирующий поставщик (энергосбытовая организация), с которым планируется "
          "заключение договора энергоснабжения (купли-продажи электрической энергии (мощности))",
          supplier_name)
    n += 1
    if kind in (P14, P12_1):
        point = "п.14" if kind == P14 else "п.12(1)"
        answer = {True: "соответствует", False: "не соответствует"}.get(complies,
                                                                         "соответствует / не соответствует")
        _item(doc, n, f"Соответствие заявки положениям {point} Правил технологического "
              "присоединения", answer)
        n += 1

    _para(doc, "Приложения:", bold=True, space_after=2)
    attachments = ["План расположения энергопринимающих устройств, которые необходимо "
                   "присоединить к электрическим сетям сетевой организации."]
    if kind == P9:
        attachments += [
            "Однолинейная схема электрических сетей заявителя, присоединяемых к электрическим "
            "сетям сетевой организации, номинальный класс напряжения которых составляет 35 кВ "
            "и выше, с указанием возможности резервирования от собственных источников "
            "энергоснабжения и возможности переключения нагрузок (генерации) по внутренним "
            "сетям заявителя.",
            "Перечень и мощность энергопринимающих устройств, которые могут быть присоединены "
            "к устройствам противоаварийной и режимной автоматики."]
    attachments += [
        "Копия документа, подтверждающего право собственности или иное предусмотренное законом "
        "основание на объект капитального строительства и (или) земельный участок, на котором "
        "расположены (будут располагаться) объекты заявителя, либо право собственности или иное "
        "основание на энергопринимающие устройства.",
        "Доверенность или иные документы, подтверждающие полномочия представителя заявителя "
        "(если заявка подается представителем)."]
    for number, text in enumerate(attachments, 1):
        _para(doc, f"{number}) {text}", size=10, space_after=2)

    _para(doc, "", space_after=10)
    signer = "Руководитель" if applicant.legal_form == User.COMPANY else "Заявитель"
    _table(doc, [(signer, "_______________", applicant.full_name or BLANK),
                 ("", "(подпись)", "(фамилия, имя, отчество)")], widths=(4.5, 5, 7.5),
           grid=False)
    if applicant.legal_form in (User.COMPANY, User.SOLE_TRADER):
        _para(doc, "М.П. (при наличии)", size=9)
    _para(doc, "«____» _______________ 20___ г.", space_after=8)
    _para(doc, "Подписанная заявка прикладывается к обращению в личном кабинете как документ "
          "с типом «Заявка».", size=8, italic=True)

    buffer = io.BytesIO()
    doc.save(buffer)
    return file_name(kind), buffer.getvalue()
