"""Delivery of one e-mail: over SMTP when SMTP_URL is set, else as an .eml file in the outbox.

SMTP_URL forms: smtp://host:25, smtp://user:pass@host:587 (STARTTLS on 587 or with
?starttls=1), smtps://user:pass@host:465 (implicit TLS).
"""
import smtplib
import ssl
import uuid
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse


def build_message(*, sender_name: str, sender: str, recipient: str, subject: str,
                  text: str, html: str = "") -> EmailMessage:
    """An e-mail with a plain-text part and, when given, an HTML alternative."""
    msg = EmailMessage()
    msg["From"] = formataddr((sender_name, sender)) if sender_name else sender
    msg["To"] = recipient
    # EmailMessage's own folding can put the space between two words outside the
    # encoded words, where RFC 2047 decoders drop it («добавленоновое»): encode it here.
    msg.set_raw("Subject", subject if subject.isascii() else
                Header(subject, "utf-8", header_name="Subject").encode(linesep="\r\n"))
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.split("@")[-1] or "localhost")
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    return msg


def send(msg: EmailMessage, smtp_url: str | None, outbox_dir: str, timeout: float = 20,
         on_accepted=lambda: None):
    """Hand the message to the SMTP server, or write it to the outbox folder.

    on_accepted() runs as soon as the server has accepted the message (before QUIT) or
    the file is in place."""
    if not smtp_url:
        folder = Path(outbox_dir)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{uuid.uuid4().hex}.eml"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(bytes(msg))
        tmp.rename(path)  # readers never see a half-written file
        on_accepted()
        return
    url = urlparse(smtp_url)
    host, port = url.hostname or "127.0.0.1", url.port
    query = parse_qs(url.query)
    if url.scheme == "smtps":
        client = smtplib.SMTP_SSL(host, port or 465, timeout=timeout,
                                  context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(host, port or 25, timeout=timeout)
    with client:
        if url.scheme == "smtp" and (port == 587 or query.get("starttls") == ["1"]):
            client.starttls(context=ssl.create_default_context())
        if url.username:
            client.login(unquote(url.username), unquote(url.password or ""))
        client.send_message(msg)
        on_accepted()


def address_ok(value: str) -> bool:
    """True when the string parses as one mailbox address."""
    try:
        Address(addr_spec=value)
        return True
    except (ValueError, IndexError):
        return False
