"""«Журнал действий» (administrators only): the audit rows, searched and filtered, never
changed from the UI.
"""
from flask_admin.contrib.peewee import ModelView
from flask_admin.contrib.peewee.filters import (
    DateBetweenFilter,
    FilterEqual,
    FilterLike,
)

from backoffice.access import AdminOnlyMixin
from backoffice.folded_search import FoldedSearchMixin, folded
from backoffice.record_args import RecordArgsMixin
from domain.formatting import msk
from models import AuditLog, fold

AUDIT_ACTIONS = {
    "login": "Вход", "login_failed": "Неудачный вход",
    "register": "Регистрация заявителя", "profile_changed": "Изменение данных заявителя",
    "password_changed": "Смена пароля", "password_reset_requested": "Запрос восстановления пароля",
    "password_reset": "Восстановление пароля",
    "appeal_number": "Присвоен регистрационный номер", "appeal_status": "Добавлен статус",
    "appeal_post": "Добавлено сообщение", "appeal_document": "Размещен документ",
    "appeal_archive": "Перемещено в архив", "appeal_unarchive": "Возвращено из архива",
    "payment_recorded": "Отмечена оплата", "sign_code_sent": "Отправлен код подписи",
    "document_signed": "Документ подписан", "signature_refused": "Отказ в подписи",
    "account_confirmed": "Подтверждение учетной записи",
    "account_unconfirmed": "Отмена подтверждения учетной записи",
    "staff_created": "Создан сотрудник", "staff_updated": "Изменен сотрудник",
    "staff_deactivated": "Отключен сотрудник", "staff_activated": "Включен сотрудник",
    "staff_password_reset": "Сброшен пароль сотрудника",
    "settings_updated": "Изменены настройки",
    "supplier_created": "Добавлен гарантирующий поставщик",
    "supplier_updated": "Изменен гарантирующий поставщик",
    "status_catalog_created": "Добавлен статус в справочник",
    "status_catalog_updated": "Изменен статус в справочнике",
    "document_type_created": "Добавлен тип документа",
    "document_type_updated": "Изменен тип документа",
    "notification_resent": "Повторная отправка уведомления",
    "calendar_correction_created": "Внесена поправка в производственный календарь",
    "calendar_correction_deleted": "Удалена поправка производственного календаря",
    "term_rule_updated": "Изменен срок в справочнике «Сроки»",
}


class AuditLogView(AdminOnlyMixin, RecordArgsMixin, FoldedSearchMixin, ModelView):
    """Read-only: no create, edit or delete exists for the journal in the UI."""
    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = False
    action_disallowed_list = ["delete"]
    page_size = 50
    column_list = ("at", "actor_email", "action", "object_type", "object_id", "details", "ip")
    column_labels = {"at": "Когда (МСК)", "actor_email": "Кто", "action": "Действие",
                     "object_type": "Объект", "object_id": "№ объекта", "details": "Подробности",
                     "ip": "IP-адрес"}
    column_sortable_list = ("at", "actor_email", "action")
    column_formatters = {
        "at": lambda v, c, m, n: msk(m.at, "%d.%m.%Y %H:%M:%S"),
        "action": lambda v, c, m, n: AUDIT_ACTIONS.get(m.action, m.action),
        "actor_email": lambda v, c, m, n: m.actor_email or "—",
    }
    column_filters = (
        FilterEqual(AuditLog.action, "Действие", options=list(AUDIT_ACTIONS.items())),
        FilterLike(AuditLog.actor_email, "Кто (e-mail)"),
        DateBetweenFilter(AuditLog.at, "Дата"),
    )
    column_searchable_list = ("details",)

    def __init__(self, **kwargs):
        super().__init__(AuditLog, **kwargs)

    @property
    def default_order(self):
        return [AuditLog.at.desc(), AuditLog.id.desc()]

    def search_placeholder(self):
        return "Кто, действие, подробности, IP"

    def search_clause(self, text):
        clause = None
        for word in fold(text).split():
            part = (folded(AuditLog.details).contains(word)
                    | folded(AuditLog.actor_email).contains(word)
                    | AuditLog.action.contains(word) | AuditLog.ip.contains(word)
                    | (AuditLog.object_id == word))
            clause = part if clause is None else clause & part
        return clause

    def get_one(self, id):
        return None  # no details, no edits: nothing reads single rows through Flask-Admin
