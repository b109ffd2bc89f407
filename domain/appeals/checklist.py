"""What a grid company may ask an applicant to complete (п.15 of Decree 861): the details an
application gives (п.9) and the documents attached to it (п.10) — a fixed list, because
п.11 forbids asking for anything else. Not a catalogue: an administrator cannot add to it.

Codes are stable (stored on IncompleteItem); labels are what both sides read. The letters
of the sub-points follow the Decree's text as amended to 2024.
"""
from dataclasses import dataclass

from models import DocumentType

RULES = "Правил технологического присоединения"


@dataclass(frozen=True)
class Item:
    code: str
    label: str
    basis: str  # the point of the Rules it comes from
    doc_type: str = DocumentType.OTHER  # the applicant's document type of a file answering it


CHECKLIST = (
    # п.9: what the application states
    Item("applicant_details", "Реквизиты заявителя", f"подп. «а» п. 9 {RULES}"),
    Item("object_name_address", "Наименование и место нахождения энергопринимающих устройств",
         f"подп. «б» п. 9 {RULES}"),
    Item("applicant_address", "Место нахождения заявителя", f"подп. «в» п. 9 {RULES}"),
    Item("max_power", "Запрашиваемая максимальная мощность и технические характеристики "
                      "энергопринимающих устройств", f"подп. «г» п. 9 {RULES}"),
    Item("voltage", "Уровень напряжения, на котором осуществляется присоединение",
         f"подп. «г» п. 9 {RULES}"),
    Item("connection_points", "Количество точек присоединения и их технические параметры",
         f"подп. «д» п. 9 {RULES}"),
    Item("reliability_category", "Заявляемая категория надежности",
         f"подп. «е» п. 9 {RULES}"),
    Item("load_character", "Заявляемый характер нагрузки", f"подп. «ж» п. 9 {RULES}"),
    Item("reserve", "Величина технологического минимума, технологической и аварийной брони",
         f"подп. «з» п. 9 {RULES}"),
    Item("commissioning_dates", "Сроки проектирования и поэтапного введения в эксплуатацию",
         f"подп. «и» п. 9 {RULES}"),
    Item("power_by_stage", "Планируемое распределение максимальной мощности по этапам",
         f"подп. «к» п. 9 {RULES}"),
    Item("supplier", "Гарантирующий поставщик (энергосбытовая организация)",
         f"подп. «л» п. 9 {RULES}"),
    # п.10: what is attached to it
    Item("site_plan", "План расположения энергопринимающих устройств",
         f"подп. «а» п. 10 {RULES}", DocumentType.SITE_PLAN),
    Item("single_line_diagram", "Однолинейная схема электрических сетей заявителя "
                                "(класс напряжения 35 кВ и выше)",
         f"подп. «б» п. 10 {RULES}", DocumentType.DIAGRAM),
    Item("emergency_automation", "Перечень и мощность энергопринимающих устройств, которые "
                                 "могут быть присоединены к устройствам противоаварийной "
                                 "автоматики", f"подп. «в» п. 10 {RULES}"),
    Item("title_document", "Копия документа, подтверждающего право собственности или иное "
                           "законное основание на объект или земельный участок",
         f"подп. «г» п. 10 {RULES}", DocumentType.TITLE_DOCUMENT),
    Item("power_of_attorney", "Доверенность или иной документ, подтверждающий полномочия "
                              "представителя заявителя", f"п. 10 {RULES}",
         DocumentType.POWER_OF_ATTORNEY),
)
BY_CODE = {item.code: item for item in CHECKLIST}


def label(code: str) -> str:
    """The item's label (a code no longer in the list shows as itself)."""
    item = BY_CODE.get(code)
    return item.label if item else code
