"""No request is answered with a server error (issue 9: «Bad input: a clear answer, never
a 500»).

The walk reads the app's URL map, so routes added later are covered without touching this
file. Every rule, with every method it accepts, is requested

- with real arguments (ids of real rows in the path and in Flask-Admin's ?id=);
- with each malformed value in each path argument (2^31, 2^63 - 1, 2^63, 2^64, -1, 0,
  a word, '', '1e3', a non-ASCII digit, a newline, a very long text);
- with malformed query strings: every parameter the lists and Flask-Admin read, each
  given the values of its kind (ids, dates, cursors, filters, choices, texts), shifted so
  that each variant mixes them differently and over the variants each parameter gets
  every value of its kind (a NUL among the texts); unsafe return URLs, which Flask-Admin's
  views refuse at the door, come in variants of their own, so that they hide nothing;
- POST rules also with malformed form bodies: every field of every form class of the app
  (portal, back office, Flask-Admin's scaffolded forms), its values chosen by the field's
  type the same way, with real arguments in the URL so that the form is read.

Identities: anonymous, an applicant ФЛ (with a sent application and its documents, a
draft with a document and a message), an applicant ЮЛ, a grid clerk, a supplier clerk
(of the application's supplier) and an administrator. The request with real arguments
tells which of them a rule lets in; each malformed request then goes to the next of
those in turn, so every value is tried on every rule, each identity let in takes its share
and the walk stays short; those kept out get one malformed query (a refusal reads
nothing else).

No answer may be a 5xx or an exception; a 400 or 404 must be a Russian page in the
layout of its side (the back office's for staff under /backoffice, else the portal's),
or Russian JSON where the endpoint answers JSON. The walk ends with every identity
still logged in, so that it really walked as each of them.
"""
import datetime as dt
import itertools
import json
import re
import time
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlparse

import pytest
import wtforms
from wtforms.fields.core import UnboundField

from domain.accounts import limits
from domain.files import storage
from models import Appeal, CalendarCorrection, Document, Post, User
from tests.appeal_factory import make_appeal, supplier
from tests.casework_helpers import STAFF_PASSWORD
from tests.conftest import make_staff
from tests.data import COMPANY, PERSON

BIG = str(2 ** 63)
PATH_VALUES = (str(2 ** 31), str(2 ** 63 - 1), BIG, str(2 ** 64), "-1", "0", "abc", "",
               "1e3", "٣", "\n", "x" * 3000)
REPEATED = object()  # the parameter twice, with two real ids (?id=1&id=2)
LONG = object()  # long text, see LONG_TEXT
# 300 characters; Cyrillic in a body, ASCII in a URL (whose percent-escapes the test
# client decodes again for each cookie); 10,000 in a search box, 5,000 words.
LONG_TEXT = {"query": "x" * 300, "body": "ж" * 300, "search": "x " * 5000}
SEARCHES = ("q", "search", "query")
# The values of each kind of parameter, as many in each kind (one per variant).
# ('²' passes str.isdigit() and fails int(): it stands for every word here.)
NUMBERS = (BIG, str(2 ** 63 - 1), "-1", "²", "", REPEATED)
DATES = ("9999-12-31", "0001-01-01", "abc", "", REPEATED, BIG)
CURSORS = (f"99991231235959999999-{BIG}", "00010101000000000000-1",
           f"20240101000000000000-{2 ** 63 - 1}", "abc", "", REPEATED)
FILTERS = (BIG, "9999-12-31 to 9999-12-31", "0001-01-01 to 0001-01-01", "abc", "", REPEATED)
CHOICES = (BIG, "abc", "", REPEATED, "²", LONG)
TEXTS = (LONG, "/\r\n/evil.example", "", REPEATED, "٣", "a\x00b")
VARIANTS = len(NUMBERS)
# What the lists, Flask-Admin and the forms read from the query string, by kind.
PARAMETERS = {
    **dict.fromkeys(("page", "page_size", "id", "rowid", "sort", "desc", "supplier",
                     "list_form_pk", "delete_doc", "remove_doc"), NUMBERS),
    **dict.fromkeys(("date_from", "date_to"), DATES),
    **dict.fromkeys(("after", "before"), CURSORS),
    **{f"flt0_{i}": FILTERS for i in range(6)},
    **dict.fromkeys(("kind", "state", "numbered", "power", "complies", "unread", "read",
                     "action", "export_type", "status"), CHOICES),
    **dict.fromkeys(("search", "q", "query", "name", "next", "back", "upload", "upload_type",
                     "drop_upload", "signature_b64"), TEXTS),
}
# Flask-Admin's return URL, refused (400) before its view reads the rest: tried alone.
DOOR = urlencode({"url": "/\r\n/evil.example"})
FIELD_KINDS = ((wtforms.IntegerField, NUMBERS), (wtforms.DecimalField, NUMBERS),
               (wtforms.DateField, DATES), (wtforms.DateTimeField, DATES),
               (wtforms.SelectFieldBase, CHOICES), (wtforms.BooleanField, CHOICES))
LOGIN_PAGES = ("/login", "/backoffice/login")
LOGOUT_ENDPOINTS = {"portal.logout", "backoffice_auth.logout"}
CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)


@dataclass
class Identity:
    """A named test client; `staff` ones get the back office's layout; `home` answers 200
    while it is logged in."""
    name: str
    client: object
    staff: bool = False
    home: str = ""


@pytest.fixture
def world(app, database):
    """The identities and the real rows whose ids fill the path arguments."""
    fl_client, ul_client = app.test_client(), app.test_client()
    assert fl_client.post("/register", data=PERSON).status_code == 302
    assert ul_client.post("/register", data=COMPANY).status_code == 302
    person = User.by_email(PERSON["email"])
    chosen = supplier()
    sent = make_appeal(person, supplier=chosen, reg_number="17",
                       documents=[("applicant", "Иное", "план.pdf"),
                                  ("grid", "Договор", "договор.pdf")],
                       posts=[(Post.APPLICANT, "<p>Здравствуйте</p>")])
    draft = make_appeal(person, state=Appeal.DRAFT, documents=[("applicant", "Иное", "a.pdf")])
    make_appeal(person, kind=Appeal.MESSAGE, subject="Вопрос")
    for document in Document.select():  # files to download, sign and zip
        key, size, sha256 = storage.save_bytes(f"Документ {document.id}".encode())
        document.storage_key, document.size, document.sha256 = key, size, sha256
        document.save()
    identities = [Identity("anonymous", app.test_client()),
                  Identity("applicant ФЛ", fl_client, home="/info"),
                  Identity("applicant ЮЛ", ul_client, home="/info")]
    for role, name, supplier_name in (("grid", "grid clerk", None),
                                      ("supplier", "supplier clerk", chosen.name),
                                      ("admin", "administrator", None)):
        email = f"{role}@kalinovsk-es.ru"
        make_staff(email=email, role=role, supplier=supplier_name)
        client = app.test_client()
        answer = client.post("/backoffice/login", data={"email": email, "password": STAFF_PASSWORD})
        assert answer.status_code == 302
        identities.append(Identity(name, client, staff=True, home="/backoffice/"))
    # The newest staff account, whose ?id= the staff pages get: nobody logs in with it.
    make_staff(email="spare@kalinovsk-es.ru", role="grid")
    grid_document = Document.get((Document.appeal == sent.id) & (Document.party == "grid"))
    correction = CalendarCorrection.create(date=dt.date(2026, 3, 10), is_working=False,
                                           reason="Авария")
    return {"identities": identities, "pair": (str(person.id), str(sent.id)),
            "path": {"appeal_id": sent.id, "document_id": grid_document.id,
                     "user_id": User.by_email(COMPANY["email"]).id, "key": "personal_data",
                     "correction_id": correction.id,
                     "token": "abc", "export_type": "csv", "filename": "backoffice.css"},
            # The draft's form is where delete_doc, remove_doc and the upload tokens go.
            "overrides": {"portal.edit_draft": {"appeal_id": draft.id}}}


def walked_rules(app):
    """(rule, method) of every rule of the URL map and every method it accepts."""
    return [(rule, method)
            for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]


def real_query(app, endpoint: str) -> dict:
    """?id= of the newest row of the Flask-Admin model view the endpoint belongs to."""
    views = {view.endpoint: view for view in app.extensions["admin"][0]._views}
    view = views.get(endpoint.split(".")[0])
    if view is None or not hasattr(view, "get_query"):
        return {}
    primary_key = view.model._meta.primary_key
    newest = view.get_query().order_by(primary_key.desc()).first()
    return {"id": str(newest.id)} if newest else {}


def form_fields() -> dict:
    """Every field name of every form class of the app with the values of its kind."""
    fields = {}
    pending = [wtforms.Form]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        for name, value in vars(cls).items():
            if isinstance(value, UnboundField):
                kind = next((values for field, values in FIELD_KINDS
                             if issubclass(value.field_class, field)), TEXTS)
                fields.setdefault(name, kind)
    return dict(sorted(fields.items()))


def variants(parameters: dict, part: str, pair) -> list[list]:
    """VARIANTS lists of (name, value): parameter i gets value (k + i) of its kind in
    variant k; `part` ("query" or "body") chooses the long text (LONG_TEXT)."""
    out = []
    for k in range(VARIANTS):
        items = []
        for i, (name, values) in enumerate(parameters.items()):
            value = values[(k + i) % len(values)]
            if value is REPEATED:
                items.extend((name, v) for v in pair)
            elif value is LONG:
                items.append((name, LONG_TEXT["search" if name in SEARCHES else part]))
            else:
                items.append((name, value))
        out.append(items)
    return out


def path_of(rule, values: dict) -> str:
    """The rule's path with each argument replaced by its (percent-encoded) value."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>",
                  lambda m: quote(str(values[m.group(1)]), safe=""), rule.rule)


def russian_page(response, staff_side: bool) -> str:
    """Empty when the 400/404 answer is Russian in the expected layout, else what is wrong."""
    if response.is_json:
        text = json.dumps(response.get_json(silent=True), ensure_ascii=False)
        return "" if CYRILLIC.search(text) else f"JSON without a Russian message: {text[:200]}"
    html = response.get_data(as_text=True)
    title = TITLE.search(html)
    if not title or not CYRILLIC.search(title.group(1)):
        return f"not a Russian page: {html[:200]!r}"
    layout = "backoffice.css" if staff_side else "portal.css"
    return "" if layout in html else f"not in the layout of {layout}"


class Walk:
    """Sends requests, checks each answer, keeps the failures and counts."""

    def __init__(self):
        self.failures, self.requests = [], 0

    def send(self, who: Identity, method: str, path: str, query="", body=None, label=""):
        """One request; a 5xx, an exception or a foreign 400/404 page is a failure."""
        self.requests += 1
        if path in LOGIN_PAGES and method == "POST":
            limits.limiter.reset()  # the walk posts to the logins hundreds of times
        headers = {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            response = who.client.open(path, method=method, query_string=query, data=body,
                                       headers=headers)
        except Exception as exc:  # noqa: BLE001 - every exception is a server error
            self.failures.append(f"{who.name} {method} {label}: raised {exc!r}"[:400])
            return None
        status = response.status_code
        if status >= 500:
            self.failures.append(f"{who.name} {method} {label}: {status}")
        elif status in (400, 404):
            problem = russian_page(response, who.staff and path.startswith("/backoffice"))
            if problem:
                self.failures.append(f"{who.name} {method} {label}: {status} {problem}"[:400])
        return response


def refused(response) -> bool:
    """The identity is kept out of the rule: 403, or sent to a login page."""
    if response is None:
        return False
    if response.status_code == 403:
        return True
    location = urlparse(response.headers.get("Location", "")).path
    return response.status_code in (301, 302, 303) and location in LOGIN_PAGES


def turns(identities, start: int):
    """An endless rotation over `identities` from position `start` (None when empty)."""
    if not identities:
        return itertools.repeat(None)
    return itertools.islice(itertools.cycle(identities), start % len(identities), None)


def walk_rule(walk, rule, method, number, who_may, world, queries, bodies, real):
    """Every request the walk makes for one rule and method: real arguments as each
    identity, malformed path arguments, and (as the identities let in, in turn) malformed
    queries — on POST with a malformed body and the real ?id=, so that the form is read."""
    path_args = {**world["path"], **world["overrides"].get(rule.endpoint, {})}
    base = path_of(rule, path_args)
    let_in, kept_out = [], []
    for who in who_may:
        answer = walk.send(who, method, base, urlencode(real), label=f"{rule.rule} (real)")
        (kept_out if refused(answer) else let_in).append(who)
    inside = turns(let_in or kept_out, number)
    for argument in sorted(rule.arguments):
        for value in PATH_VALUES:
            path = path_of(rule, {**path_args, argument: value})
            walk.send(next(inside), method, path, urlencode(real),
                      label=f"{rule.rule} {argument}={value[:20]!r}")
    if kept_out:
        walk.send(kept_out[number % len(kept_out)], method, base,
                  urlencode(queries[number % VARIANTS]), label=f"{rule.rule} kept out")
    if not let_in:
        return
    for k, query in enumerate(queries):
        if method == "POST":
            query = [(name, value) for name, value in query if name not in real]
            query, body = urlencode([*query, *real.items()]), urlencode(bodies[k])
        else:
            query, body = urlencode(query), None
        walk.send(next(inside), method, base, query, body, label=f"{rule.rule} variant {k}")
    walk.send(next(inside), method, base, DOOR, label=f"{rule.rule} unsafe ?url=")


def test_no_request_is_answered_with_a_server_error(app, world):
    started = time.monotonic()
    walk = Walk()
    queries = variants(PARAMETERS, "query", world["pair"])
    bodies = variants(form_fields(), "body", world["pair"])
    for number, (rule, method) in enumerate(walked_rules(app)):
        who_may = [w for w in world["identities"]
                   if w.name == "anonymous" or rule.endpoint not in LOGOUT_ENDPOINTS]
        walk_rule(walk, rule, method, number, who_may, world, queries, bodies,
                  real_query(app, rule.endpoint))
    elapsed = time.monotonic() - started
    print(f"no-500 walk: {walk.requests} requests in {elapsed:.1f} s")
    assert not walk.failures, f"{len(walk.failures)} of {walk.requests} requests failed:\n" \
        + "\n".join(walk.failures[:60])
    for who in world["identities"][1:]:
        assert who.client.get(who.home).status_code == 200, f"{who.name} was logged out"
