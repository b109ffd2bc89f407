"""Valid test accounts, their identifiers made with the checksum helpers; hostile rich text."""
import re
from html import unescape

from domain import identifiers as ids

PERSON = dict(legal_form="fl", email="ivanov@example.ru", last_name="Иванов", first_name="Иван",
              middle_name="Петрович", snils=ids.make_snils("112233445"),
              phone="+7 912 345 67 89", password="Secret-pass1", password2="Secret-pass1",
              consent_personal_data="y", consent_e_interaction="y")
SOLE_TRADER = dict(PERSON, legal_form="ip", email="petrov@example.ru", last_name="Петров",
                   snils="", inn=ids.make_inn_person("5001007322"),
                   ogrnip=ids.make_ogrnip("30450011600015"), phone="8 (912) 345-67-80")
COMPANY = dict(PERSON, legal_form="ul", email="energy@example.ru", last_name="Сергеев",
               first_name="Петр", middle_name="Сергеевич", snils="",
               company_name="ООО «Энергия»", inn=ids.make_inn_legal("417487389"),
               ogrn=ids.make_ogrn("116870245693"), kpp="419901495", phone="+79123456781")



#: Rich text as the security sweep posted it: a script, an event handler, a javascript:
#: link and a style, beside text the user would want kept. Any of them that ran would set
#: window.__xss.
HOSTILE_RICH_TEXT = ('<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
                     '<p style="color:red" onclick="window.__xss=3"><b>Жирный</b> текст '
                     '<a href="javascript:window.__xss=4">ссылка</a></p>')
#: What is left of it once sanitised (domain/text.py's allow-list).
SANITISED_RICH_TEXT = '<p><b>Жирный</b> текст <a rel="noopener nofollow">ссылка</a></p>'


def assert_shown_sanitised(html: str, textarea_id: str):
    """The page puts the sanitised HOSTILE_RICH_TEXT back into the textarea, and nothing of
    the hostile parts anywhere."""
    shown = re.search(rf'<textarea[^>]* id="{textarea_id}"[^>]*>(.*?)</textarea>', html,
                      re.DOTALL)
    assert unescape(shown.group(1)) == SANITISED_RICH_TEXT
    assert "__xss" not in html
