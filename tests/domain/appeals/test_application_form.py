"""The .docx application form: the right form for each category, filled with what the portal
knows, well-formed, and opened by LibreOffice (a missing `soffice` fails the test)."""
import io
import subprocess
import zipfile
from types import SimpleNamespace
from xml.dom import minidom

import docx
import pytest

from domain.appeals import application_form as af
from tests.data import COMPANY, PERSON, SOLE_TRADER
from tests.docx_reading import docx_text

GRID = SimpleNamespace(name="ООО «Калиновские Электрические Сети»", address="г. Калиновск, ул. Энергетиков, д. 1")
SUPPLIER = SimpleNamespace(name="АО «Калиновскэнергосбыт»")


def applicant(data):
    """An applicant-like object with the attributes the form reads."""
    full = " ".join(p for p in (data["last_name"], data["first_name"], data["middle_name"]) if p)
    labels = {"fl": "Физическое лицо", "ip": "Индивидуальный предприниматель",
              "ul": "Юридическое лицо"}
    return SimpleNamespace(
        legal_form=data["legal_form"], legal_form_label=labels[data["legal_form"]],
        full_name=full, company_name=data.get("company_name", ""), snils=data.get("snils") or None,
        inn=data.get("inn") or None, ogrn=data.get("ogrn") or None,
        ogrnip=data.get("ogrnip") or None, kpp=data.get("kpp") or None,
        email=data["email"], notify_email=data["email"], phone="+79123456789")




@pytest.mark.parametrize("legal_form,power,complies,expected", [
    ("fl", "le15", True, af.P14), ("fl", "le15", None, af.P14), ("fl", "le15", False, af.P9),
    ("fl", "15_150", False, af.P9), ("fl", "gt150", None, af.P9),
    ("ul", "le15", True, af.P12_1), ("ip", "15_150", True, af.P12_1), ("ul", "gt150", False, af.P9),
    ("ip", "15_150", False, af.P9),
])
def test_category(legal_form, power, complies, expected):
    assert af.category(legal_form, power, complies) == expected


def test_every_part_is_well_formed_xml_and_reopens():
    for data, power in ((PERSON, "le15"), (SOLE_TRADER, "15_150"), (COMPANY, "gt150")):
        name, content = af.build(applicant(data), GRID, power, "permanent", None, SUPPLIER)
        assert name.endswith(".docx")
        archive = zipfile.ZipFile(io.BytesIO(content))
        assert archive.testzip() is None
        for part in archive.namelist():
            if part.endswith(".xml") or part.endswith(".rels"):
                minidom.parseString(archive.read(part))
        document = docx.Document(io.BytesIO(content))
        assert len(document.tables) == 3  # identifiers, stages, signatures
        assert document.core_properties.title == "Заявка на технологическое присоединение"


def test_person_form_is_filled_with_what_the_portal_knows():
    name, content = af.build(applicant(PERSON), GRID, "le15", "permanent", True, SUPPLIER)
    assert name == "Заявка на ТП (п.14 Правил).docx"
    text = docx_text(content)
    for part in ("В ООО «Калиновские Электрические Сети»", GRID.address, "от Иванов Иван Петрович",
                 "ЗАЯВКА", "физического лица", "до 15 кВт включительно", "пункту 14",
                 PERSON["snils"], PERSON["email"], "≤15 кВт", "постоянная", SUPPLIER.name,
                 "III (по одному источнику", "Соответствие заявки положениям п.14",
                 "соответствует", "Кадастровый номер", "Место нахождения энергопринимающих",
                 "Паспорт", "(подпись)", "(фамилия, имя, отчество)", "20___ г."):
        assert part in text, part
    assert "противоаварийной" not in text and "однолинейная" not in text.lower()
    assert "М.П." not in text


def test_company_form_names_the_company_and_its_identifiers():
    name, content = af.build(applicant(COMPANY), GRID, "15_150", "temporary", True, None)
    assert name == "Заявка на ТП (п.12(1) Правил).docx"
    text = docx_text(content)
    for part in ("от ООО «Энергия»", COMPANY["ogrn"], COMPANY["inn"], COMPANY["kpp"],
                 "Сергеев Петр Сергеевич", "до 150 кВт включительно", "временная",
                 "Срок временного присоединения", "Не планируется", "Руководитель", "М.П."):
        assert part in text, part


def test_general_form_above_150_kw_lists_every_attachment():
    name, content = af.build(applicant(SOLE_TRADER), GRID, "gt150", "permanent", False, None)
    assert name == "Заявка на ТП (п.9 Правил).docx"
    text = docx_text(content)
    for part in ("пункту 9", "от ИП Петров Иван Петрович", SOLE_TRADER["ogrnip"],
                 "Однолинейная схема", "противоаварийной и режимной автоматики",
                 "Доверенность", "технологического минимума", ">150 кВт"):
        assert part in text, part


def test_libreoffice_converts_each_form_to_pdf(tmp_path, soffice):
    paths = []
    for data, power, complies in ((PERSON, "le15", True), (COMPANY, "15_150", True),
                                  (SOLE_TRADER, "gt150", False)):
        name, content = af.build(applicant(data), GRID, power, "permanent", complies, SUPPLIER)
        path = tmp_path / name.replace(" ", "_")
        path.write_bytes(content)
        paths.append(path)
    result = subprocess.run(
        [soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
         "--convert-to", "pdf", "--outdir", str(tmp_path), *map(str, paths)],
        capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    for path in paths:
        pdf = path.with_suffix(".pdf")
        assert pdf.exists(), result.stdout + result.stderr
        head = pdf.read_bytes()
        assert head.startswith(b"%PDF")
        assert b"/Type /Page" in head or b"/Type/Page" in head
