"""The SMS gateways: the outbox file by default, SMS.ru's HTTP API against a local server."""
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import tasks
from domain.outbox import notify, sms
from models import Notification, db


class FakeSmsRu:
    """A local stand-in of https://sms.ru answering /sms/send like the provider does."""

    def __init__(self):
        self.requests = []
        self.reply = None  # callable(query) -> (http status, dict)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server hook name
                parts = urllib.parse.urlsplit(self.path)
                query = {k: v[0] for k, v in urllib.parse.parse_qs(parts.query).items()}
                fake.requests.append((parts.path, query))
                status, body = fake.reply(query)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        # A short poll lets stop() return at once (the default waits up to half a second).
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                       kwargs={"poll_interval": 0.01})
        self.thread.start()

    def url(self, api_id="TEST-API-ID"):
        return f"smsru+http://{api_id}@127.0.0.1:{self.port}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def ok_reply(query):
    return 200, {"status": "OK", "status_code": 100, "balance": 42.5,
                 "sms": {query["to"]: {"status": "OK", "status_code": 100, "sms_id": "000-100"}}}


@pytest.fixture
def smsru():
    fake = FakeSmsRu()
    fake.reply = ok_reply
    yield fake
    fake.stop()


def test_default_gateway_appends_a_json_line_the_demo_user_can_read(tmp_path):
    outbox = tmp_path / "sms-outbox.jsonl"
    sms.send_sms("+79123456789", "Код 461325 для подписания документов", {"sms_url": None,
                                                                           "sms_outbox": outbox})
    sms.send_sms("+79120000000", "Второе сообщение", {"sms_outbox": str(outbox)})
    lines = outbox.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert first["to"] == "+79123456789"
    assert first["text"] == "Код 461325 для подписания документов"
    assert first["at"].endswith("+00:00")
    assert [r["to"] for r in sms.read_outbox(outbox)] == ["+79123456789", "+79120000000"]


@pytest.mark.usefixtures("database")
def test_an_sms_outbox_row_is_delivered_by_the_queue_to_the_outbox_file(app):
    outbox = app.config["SMS_OUTBOX"]
    before = len(sms.read_outbox(outbox))
    with app.app_context(), db.connection_context():
        with db.atomic():
            row = notify.sms("+79123456789", "Код 111222")
        notify.flush()
        row = Notification.get_by_id(row.id)
    assert row.channel == Notification.SMS and row.sent_at is not None
    records = sms.read_outbox(outbox)[before:]
    assert [(r["to"], r["text"]) for r in records] == [("+79123456789", "Код 111222")]


def test_smsru_gets_the_api_id_number_and_text_and_its_ok_is_checked(smsru):
    sms_id = sms.send_sms("+7 912 345-67-89", "Код 461325 для подписания документов",
                          {"sms_url": smsru.url()})
    assert sms_id == "000-100"
    path, query = smsru.requests[0]
    assert path == "/sms/send"
    assert query == {"api_id": "TEST-API-ID", "to": "79123456789",
                     "msg": "Код 461325 для подписания документов", "json": "1"}


def test_smsru_sender_name_is_passed_when_configured(smsru):
    sms.send_sms("+79123456789", "Код", {"sms_url": smsru.url() + "?from=KalinovskES"})
    assert smsru.requests[0][1]["from"] == "KalinovskES"


def test_smsru_refusals_raise_with_the_providers_reason(smsru):
    smsru.reply = lambda q: (200, {"status": "ERROR", "status_code": 200,
                                   "status_text": "Неправильный api_id"})
    with pytest.raises(sms.SmsError, match="Неправильный api_id"):
        sms.send_sms("+79123456789", "Код", {"sms_url": smsru.url("WRONG")})
    smsru.reply = lambda q: (200, {"status": "OK", "sms": {q["to"]: {
        "status": "ERROR", "status_code": 207, "status_text": "На этот номер нельзя отправлять"}}})
    with pytest.raises(sms.SmsError, match="нельзя отправлять"):
        sms.send_sms("+79123456789", "Код", {"sms_url": smsru.url()})
    smsru.reply = lambda q: (503, {"status": "ERROR"})
    with pytest.raises(sms.SmsError, match="HTTP 503"):
        sms.send_sms("+79123456789", "Код", {"sms_url": smsru.url()})


@pytest.mark.usefixtures("database")
def test_a_failed_gateway_leaves_the_row_for_a_retry(app, smsru):
    smsru.reply = lambda q: (200, {"status": "ERROR", "status_text": "Недостаточно средств"})
    saved = dict(tasks._settings)
    tasks.configure({"sms_url": smsru.url()})
    try:
        with app.app_context(), db.connection_context():
            with db.atomic():
                row = notify.sms("+79123456789", "Код 333444")
            notify.flush()
            row = Notification.get_by_id(row.id)
    finally:
        tasks._settings.clear()
        tasks._settings.update(saved)
    assert row.sent_at is None and row.attempts == 1
    assert "Недостаточно средств" in row.last_error
    assert len(smsru.requests) == 1


def test_gateway_urls_are_parsed_and_unknown_ones_refused():
    assert sms.smsru_endpoint("smsru://ABC-123@sms.ru") == ("https://sms.ru", "ABC-123", "")
    assert sms.smsru_endpoint("smsru+http://X@127.0.0.1:8025") == ("http://127.0.0.1:8025", "X", "")
    with pytest.raises(sms.SmsError, match="api_id"):
        sms.smsru_endpoint("smsru://sms.ru")
    with pytest.raises(sms.SmsError, match="Неизвестный SMS-шлюз"):
        sms.send_sms("+79123456789", "Код", {"sms_url": "smpp://host"})
