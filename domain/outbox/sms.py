"""SMS gateways: an outbox file by default, SMS.ru's HTTP API when SMS_URL names it.

delivery.py calls send_sms(phone, text, settings) for every SMS outbox row (from a huey
task). settings["sms_url"] chooses the gateway:

- empty / None or ``outbox://`` — append a JSON line {"to", "text", "at"} to
  settings["sms_outbox"] (instance/sms-outbox.jsonl), so a person running the demo
  can read the code they were sent;
- ``smsru://API_ID@sms.ru`` — SMS.ru: GET https://sms.ru/sms/send?api_id=…&to=…&msg=…&json=1;
  ``smsru+http://API_ID@127.0.0.1:8025`` talks plain HTTP to another base URL (tests point
  it at a local server); a ``?from=SENDER`` query adds the sender name.

Any failure raises SmsError, so the outbox row is retried by tasks.deliver_notification.
"""
import datetime as dt
import json
import os
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

TIMEOUT_SECONDS = 15
_outbox_lock = threading.Lock()


class SmsError(Exception):
    """The gateway refused or could not be reached; the message says why."""


def send_sms(phone: str, text: str, settings: dict):
    """Send one SMS through the gateway the settings name; raises SmsError on failure."""
    url = (settings.get("sms_url") or "").strip()
    if not url or url.startswith("outbox:"):
        return write_outbox(settings.get("sms_outbox") or "sms-outbox.jsonl", phone, text)
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme in ("smsru", "smsru+https", "smsru+http"):
        return send_smsru(url, phone, text)
    raise SmsError(f"Неизвестный SMS-шлюз в SMS_URL: {scheme or url}")


def write_outbox(path, phone: str, text: str) -> dict:
    """Append the SMS as one JSON line to the outbox file; returns the record."""
    record = {"to": phone, "text": text,
              "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with _outbox_lock:
        # One write() on an O_APPEND descriptor: lines from several processes never interleave.
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
    return record


def read_outbox(path) -> list[dict]:
    """Every SMS written to the outbox file so far, oldest first (for the demo and tests)."""
    target = Path(path)
    if not target.exists():
        return []
    return [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def smsru_endpoint(url: str) -> tuple[str, str, str]:
    """(base URL, api_id, sender) from 'smsru://API_ID@sms.ru' or 'smsru+http://ID@host:port'."""
    parts = urllib.parse.urlsplit(url)
    api_id = urllib.parse.unquote(parts.username or "")
    if not api_id:
        raise SmsError("В SMS_URL не указан api_id SMS.ru (smsru://API_ID@sms.ru)")
    transport = "http" if parts.scheme.lower() == "smsru+http" else "https"
    host = parts.hostname or "sms.ru"
    netloc = f"{host}:{parts.port}" if parts.port else host
    sender = urllib.parse.parse_qs(parts.query).get("from", [""])[0]
    return f"{transport}://{netloc}{parts.path.rstrip('/')}", api_id, sender


def send_smsru(url: str, phone: str, text: str) -> str:
    """Send through SMS.ru's /sms/send; returns the provider's SMS id."""
    base, api_id, sender = smsru_endpoint(url)
    number = "".join(ch for ch in phone if ch.isdigit())
    query = {"api_id": api_id, "to": number, "msg": text, "json": "1"}
    if sender:
        query["from"] = sender
    request = urllib.request.Request(f"{base}/sms/send?{urllib.parse.urlencode(query)}",
                                     headers={"User-Agent": "grid-portal/1.0"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        raise SmsError(f"SMS.ru ответил HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise SmsError(f"SMS.ru недоступен: {exc}") from exc
    try:
        answer = json.loads(body)
    except ValueError as exc:
        raise SmsError("SMS.ru вернул ответ не в формате JSON") from exc
    if answer.get("status") != "OK":
        raise SmsError(f"SMS.ru отказал: {answer.get('status_text') or answer.get('status_code')}")
    item = (answer.get("sms") or {}).get(number) or {}
    if item.get("status") != "OK":
        raise SmsError(f"SMS.ru не принял сообщение на {number}: "
                       f"{item.get('status_text') or item.get('status_code') or 'нет ответа'}")
    return str(item.get("sms_id", ""))
