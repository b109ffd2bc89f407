"""Secrets in outbox rows: a ПЭП code or a password-reset link is never stored in the
message as the administrator sees it.

A message is rendered with a placeholder ⟦name⟧ in place of each secret; the values wait in
the row's `secrets` column until the transport takes the message (reveal()), and are wiped
as soon as it is sent. «Исходящие уведомления» shows the placeholders as «[скрыто]».
"""
import json
import re

PLACEHOLDER = "⟦{}⟧"
_PLACEHOLDER_RE = re.compile(r"⟦(\w+)⟧")
HIDDEN = "[скрыто]"


def placeholder(name: str) -> str:
    """What a message carries instead of the secret `name`."""
    return PLACEHOLDER.format(name)


def dumps(values: dict | None) -> str:
    """The row's secrets column for these values ('' when there are none)."""
    return json.dumps(values, ensure_ascii=False) if values else ""


def reveal(text: str, stored: str) -> str:
    """The text with each placeholder replaced by its secret (for the transport only)."""
    if not stored:
        return text
    values = json.loads(stored)
    return _PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def redacted(text: str) -> str:
    """The text as staff see it: every placeholder shown as «[скрыто]»."""
    return _PLACEHOLDER_RE.sub(HIDDEN, text or "")


def carries_secrets(text: str) -> bool:
    """Whether the message was written with secrets (present or already wiped)."""
    return bool(_PLACEHOLDER_RE.search(text or ""))
