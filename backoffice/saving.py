"""Atomic, audited saves for back-office model views.

Flask-Admin's peewee create_model/update_model save the row, then call
after_model_change outside any transaction; here both run in one db.atomic() so the
row and its journal entry are written together or not at all.
"""
from flask_login import current_user

from domain.client_info import client_ip
from models import audit, db


class AtomicSaveMixin:
    """Wrap create/update in a transaction and journal each save as `<audit_name>_created/_updated`."""
    audit_name = "record"

    def audit_details(self, model) -> str:
        return str(model)

    def create_model(self, form):
        with db.atomic() as txn:
            result = super().create_model(form)
            if not result:
                txn.rollback()
        return result

    def update_model(self, form, model):
        with db.atomic() as txn:
            result = super().update_model(form, model)
            if not result:
                txn.rollback()
        return result

    def after_model_change(self, form, model, is_created):
        audit(f"{self.audit_name}_{'created' if is_created else 'updated'}",
              actor=current_user._get_current_object(), obj=model,
              details=self.audit_details(model), ip=client_ip())
