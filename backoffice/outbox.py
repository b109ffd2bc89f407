"""«Исходящие уведомления» (administrators only): the outbox's e-mails and SMS with their
delivery state, and «Отправить повторно».
"""
from flask import flash
from flask_admin.actions import action
from flask_admin.contrib.peewee import ModelView
from flask_admin.contrib.peewee.filters import BasePeeweeFilter
from flask_login import current_user
from markupsafe import Markup, escape

import tasks
from backoffice.access import AdminOnlyMixin
from backoffice.record_args import RecordArgsMixin
from domain.client_info import client_ip
from domain.formatting import msk
from domain.outbox import secrets
from models import Notification, audit, db, utcnow

SENT, QUEUED, FAILED = "sent", "queued", "failed"
STATE_LABELS = {SENT: "отправлено", QUEUED: "в очереди", FAILED: "ошибка"}


def notification_state(row: Notification) -> str:
    """sent / queued / failed for one outbox row."""
    if row.sent_at:
        return SENT
    return FAILED if row.last_error else QUEUED


class StateFilter(BasePeeweeFilter):
    """«Состояние»: отправлено / в очереди / ошибка."""

    def apply(self, query, value):
        if value == SENT:
            return query.where(Notification.sent_at.is_null(False))
        if value == FAILED:
            return query.where(Notification.sent_at.is_null() & (Notification.last_error != ""))
        return query.where(Notification.sent_at.is_null() & (Notification.last_error == ""))

    def operation(self):
        return "равно"


def _state_cell(view, context, model, name):
    state = notification_state(model)
    text = STATE_LABELS[state]
    if state == FAILED:
        if model.attempts >= len(tasks.RETRY_DELAYS):
            text += f" (попыток: {model.attempts}; автоматических попыток больше не будет)"
        else:
            text += (f" (попыток: {model.attempts}; следующая попытка "
                     f"{msk(model.next_attempt_at, '%d.%m.%Y %H:%M:%S')})")
    return Markup(f'<span class="outbox-{state}">{escape(text)}</span>')


class OutboxView(AdminOnlyMixin, RecordArgsMixin, ModelView):
    """Outbox rows with their delivery state and «Отправить повторно»."""
    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True
    action_disallowed_list = ["delete"]
    page_size = 50
    column_list = ("created_at", "channel", "recipient", "subject", "state", "attempts",
                   "last_error", "sent_at")
    column_details_list = ("created_at", "channel", "recipient", "subject", "state", "attempts",
                           "next_attempt_at", "last_error", "sent_at", "body_text")
    column_labels = {"created_at": "Создано (МСК)", "channel": "Канал", "recipient": "Получатель",
                     "subject": "Тема", "state": "Состояние", "attempts": "Попыток",
                     "last_error": "Последняя ошибка", "sent_at": "Отправлено (МСК)",
                     "next_attempt_at": "Следующая попытка (МСК)", "body_text": "Текст"}
    column_sortable_list = ("created_at", "recipient", "attempts", "sent_at")
    column_default_sort = [("created_at", True), ("id", True)]
    column_searchable_list = ("recipient",)
    column_formatters = {
        "created_at": lambda v, c, m, n: msk(m.created_at, "%d.%m.%Y %H:%M:%S"),
        "sent_at": lambda v, c, m, n: msk(m.sent_at, "%d.%m.%Y %H:%M:%S"),
        "next_attempt_at": lambda v, c, m, n: "" if m.sent_at else msk(m.next_attempt_at,
                                                                         "%d.%m.%Y %H:%M:%S"),
        "channel": lambda v, c, m, n: "e-mail" if m.channel == Notification.EMAIL else "СМС",
        "state": _state_cell,
        "last_error": lambda v, c, m, n: (m.last_error or "")[:200],
        # A ПЭП code or a reset link would let an administrator act for the applicant.
        "body_text": lambda v, c, m, n: secrets.redacted(m.body_text),
    }
    column_filters = (StateFilter(Notification.sent_at, "Состояние",
                                  options=list(STATE_LABELS.items())),)

    def __init__(self, **kwargs):
        super().__init__(Notification, **kwargs)

    @action("resend", "Отправить повторно", "Отправить выбранные уведомления повторно?")
    def action_resend(self, ids):
        """Unsent rows get a fresh set of attempts; sent ones are sent again as a copy, but
        for a code or a link that was wiped when it was sent (the applicant asks anew)."""
        queued, single_use = [], 0
        with db.atomic():
            for row in Notification.select().where(Notification.id.in_(self.action_ids(ids))):
                if row.sent_at and secrets.carries_secrets(row.body_text):
                    single_use += 1
                    continue
                if row.sent_at:
                    copy = Notification.create(
                        channel=row.channel, recipient=row.recipient, subject=row.subject,
                        body_text=row.body_text, body_html=row.body_html, appeal=row.appeal_id)
                    queued.append(copy.id)
                else:
                    (Notification.update(attempts=0, claimed_until=None, next_attempt_at=utcnow(),
                                         last_error="")
                     .where(Notification.id == row.id).execute())
                    queued.append(row.id)
                audit("notification_resent", actor=current_user._get_current_object(), obj=row,
                      details=f"{row.recipient}: {row.subject}", ip=client_ip())
        for notification_id in queued:  # committed: the consumer may take them now
            tasks.enqueue(notification_id)  # a queue that is down leaves them to the sweep
        flash(f"Поставлено в очередь на отправку: {len(queued)}", "success")
        if single_use:
            flash(f"Не отправлено повторно: {single_use} — одноразовый код или ссылка уже "
                  "использованы при отправке; заявитель может запросить новые", "error")
