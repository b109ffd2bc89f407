"""What the check tells people: the Russian refusal messages, the names of the checks, the
:class:`SignatureError` that carries them and the :class:`VerificationReport` (stored as
JSON with a signature, rendered as text for logs and the back office).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

# Refusals, shown to the applicant as they are.
MSG_NOT_CADES = "Файл подписи не является отсоединённой подписью CAdES"
MSG_MANY_SIGNERS = (
    "Файл подписи содержит несколько подписей ({count}); "
    "поддерживается только одна подпись"
)
MSG_NO_CERT = "В файле подписи отсутствует сертификат подписанта"
MSG_ALGORITHM = "Подпись выполнена не по ГОСТ Р 34.10-2012 (алгоритм {alg})"
MSG_DIGEST = "Подпись относится к другому документу: хэш документа не совпадает"
MSG_VALUE = "Значение подписи неверно"
MSG_SIGNING_CERT = (
    "Атрибут signingCertificateV2 подписи не соответствует сертификату подписанта"
)
MSG_VALIDITY = (
    "Сертификат подписанта не действовал на момент подписания "
    "(действителен с {not_before} по {not_after})"
)
MSG_IDENTIFIER = "{label} в сертификате ({actual}) не совпадает с {label} заявителя ({expected})"
MSG_CHAIN = "Сертификат подписанта не выдан доверенным удостоверяющим центром"

# Names of the checks, in VerificationReport.checks and SignatureError.check.
CHECK_FORMAT = "Формат отсоединённой подписи CAdES"
CHECK_CERT_PRESENT = "Сертификат подписанта в составе подписи"
CHECK_ALGORITHM = "Алгоритм ГОСТ Р 34.10-2012"
CHECK_DIGEST = "Хэш документа совпадает с подписанным"
CHECK_VALUE = "Значение подписи"
CHECK_SIGNING_CERT = "Ссылка на сертификат подписанта (signingCertificateV2)"
CHECK_VALIDITY = "Срок действия сертификата на момент подписания"
CHECK_IDENTIFIER = "{label} совпадает с {label} заявителя"
CHECK_CHAIN = "Цепочка сертификатов до доверенного УЦ"


class SignatureError(Exception):
    """A check of the signature failed.

    ``str(error)`` is a Russian message naming the failed check; ``check`` is
    the name of that check and ``report`` is the partial
    :class:`VerificationReport` (``ok`` is False, ``checks`` ends with the
    failed one) that can be stored as the reason of a refusal.
    """

    def __init__(self, message: str, *, check: str | None = None,
                 report: "VerificationReport | None" = None) -> None:
        super().__init__(message)
        self.message = message
        self.check = check
        self.report = report


def format_time(value: datetime | None) -> str:
    """Render an aware datetime for users: ``31.12.2025 23:59:59 UTC``."""
    if value is None:
        return "—"
    return value.astimezone(timezone.utc).strftime("%d.%m.%Y %H:%M:%S UTC")


@dataclass
class VerificationReport:
    """Result of :func:`verify_detached`.

    Fields are filled as the checks progress, so a partial report attached to
    a :class:`SignatureError` may have some of them empty.
    """

    ok: bool = False
    signer_subject: dict = field(default_factory=dict)
    issuer: str = ""
    serial: str = ""
    not_before: datetime | None = None
    not_after: datetime | None = None
    signing_time: datetime | None = None
    key_bits: int | None = None
    digest_hex: str = ""
    checks: list = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict:
        """Return a JSON-serialisable dict (datetimes as ISO 8601 strings)."""
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value is not None else None

        return {
            "ok": self.ok,
            "signer_subject": dict(self.signer_subject),
            "issuer": self.issuer,
            "serial": self.serial,
            "not_before": iso(self.not_before),
            "not_after": iso(self.not_after),
            "signing_time": iso(self.signing_time),
            "key_bits": self.key_bits,
            "digest_hex": self.digest_hex,
            "checks": [[name, bool(passed)] for name, passed in self.checks],
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "VerificationReport":
        """Rebuild a report stored with :meth:`to_dict`."""
        def parse(value: str | None) -> datetime | None:
            return datetime.fromisoformat(value) if value else None

        return cls(
            ok=bool(data.get("ok")),
            signer_subject=dict(data.get("signer_subject") or {}),
            issuer=data.get("issuer") or "",
            serial=data.get("serial") or "",
            not_before=parse(data.get("not_before")),
            not_after=parse(data.get("not_after")),
            signing_time=parse(data.get("signing_time")),
            key_bits=data.get("key_bits"),
            digest_hex=data.get("digest_hex") or "",
            checks=[(name, bool(passed)) for name, passed in data.get("checks") or []],
            error=data.get("error"),
        )

    def text(self) -> str:
        """Return a multi-line Russian rendering for logs and the admin UI."""
        subject = self.signer_subject
        lines = [
            "Подпись действительна" if self.ok else
            "Подпись недействительна: %s" % (self.error or "проверка не завершена"),
            "Владелец сертификата: %s" % (subject.get("CN") or "—"),
        ]
        if subject.get("O"):
            lines.append("Организация: %s" % subject["O"])
        for key, label in (("INNLE", "ИНН ЮЛ"), ("INN", "ИНН"), ("OGRN", "ОГРН"),
                           ("OGRNIP", "ОГРНИП"), ("SNILS", "СНИЛС")):
            if subject.get(key):
                lines.append("%s: %s" % (label, subject[key]))
        lines += [
            "Издатель: %s" % (self.issuer or "—"),
            "Серийный номер: %s" % (self.serial or "—"),
            "Срок действия: с %s по %s" % (format_time(self.not_before),
                                           format_time(self.not_after)),
            "Время подписания: %s" % (format_time(self.signing_time) if self.signing_time
                                      else "не указано в подписи"),
            "Ключ: ГОСТ Р 34.10-2012, %s бит" % (self.key_bits or "—"),
            "Хэш документа (ГОСТ Р 34.11-2012): %s" % (self.digest_hex or "—"),
            "Проверки:",
        ]
        lines += ["  [%s] %s" % ("+" if passed else "-", name) for name, passed in self.checks]
        return "\n".join(lines)

    __str__ = text
