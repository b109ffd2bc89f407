"""«Заявители»: applicant accounts — search, the card, and «Подтвердить учетную запись».

Grid clerks and administrators only: a supplier clerk sees the applicants of their
applications on the appeal pages, never the register of accounts.
"""
import re

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.peewee import ModelView
from flask_admin.contrib.peewee.filters import BooleanEqualFilter, FilterEqual
from flask_login import current_user
from markupsafe import Markup, escape

from backoffice.access import GridStaffMixin
from backoffice.folded_search import FoldedSearchMixin
from backoffice.record_args import RecordArgsMixin
from domain.accounts import confirmation
from domain.client_info import client_ip
from domain.formatting import msk, phone_text
from domain.identifiers import IdentifierError, normalize_mobile_phone
from models import Consent, LegalDocument, User, fold

_NUMBERISH = re.compile(r"^[\d\s\-+()]+$")


def applicant_search_clause(text: str):
    """Where-clause for a typed query: every word must occur in the folded search column.

    A query made of digits and separators (СНИЛС with or without dashes, ИНН, ОГРН,
    a phone typed as 8 916 … or +7 916 …) is matched by its digits and, when it reads
    as a mobile number, by the stored E.164 form.
    """
    text = fold(text)
    if _NUMBERISH.match(text):
        digits = re.sub(r"\D", "", text)
        variants = {digits}
        try:
            variants.add(normalize_mobile_phone(text).lstrip("+"))
        except IdentifierError:
            pass
        clause = None
        for variant in variants:
            part = User.search_text.contains(variant)
            clause = part if clause is None else clause | part
        return clause
    clause = None
    for word in text.split():
        part = User.search_text.contains(word)
        clause = part if clause is None else clause & part
    return clause


def _confirmed_cell(view, context, model, name):
    """«Да, 01.02.2024» / «Нет» in the list."""
    if model.confirmed:
        return f"Да, {msk(model.confirmed_at, '%d.%m.%Y')}" if model.confirmed_at else "Да"
    return "Нет"


def _name_cell(view, context, model, name):
    """The applicant's name linked to the card."""
    url = url_for(".details_view", id=model.id)
    return Markup(f'<a href="{escape(url)}">{escape(model.display_name)}</a>')


class ApplicantView(GridStaffMixin, RecordArgsMixin, FoldedSearchMixin, ModelView):
    """Applicants only; no editing here — identity data belongs to the applicant."""
    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True
    page_size = 50
    details_template = "backoffice/applicant_details.html"
    column_list = ("display_name", "legal_form", "email", "snils", "inn", "ogrn", "phone",
                   "confirmed", "created_at")
    column_labels = {
        "display_name": "Заявитель",
        "email": "E-mail", "legal_form": "Правовая форма", "last_name": "Фамилия",
        "first_name": "Имя", "middle_name": "Отчество", "company_name": "Наименование",
        "snils": "СНИЛС", "inn": "ИНН", "ogrn": "ОГРН", "ogrnip": "ОГРНИП", "kpp": "КПП",
        "phone": "Телефон", "notify_email": "E-mail для уведомлений",
        "confirmed": "Подтверждена", "confirmed_at": "Подтверждена (когда)",
        "created_at": "Зарегистрирован",
    }
    column_sortable_list = ("email", "legal_form", "confirmed", "created_at")
    column_formatters = {
        "display_name": _name_cell,
        "legal_form": lambda v, c, m, n: m.legal_form_label,
        "ogrn": lambda v, c, m, n: m.ogrn or m.ogrnip or "",
        "phone": lambda v, c, m, n: phone_text(m.phone),
        "confirmed": _confirmed_cell,
        "created_at": lambda v, c, m, n: msk(m.created_at),
    }
    column_filters = (
        BooleanEqualFilter(User.confirmed, "Учетная запись подтверждена"),
        FilterEqual(User.legal_form, "Правовая форма", options=list(User.LEGAL_FORMS.items())),
    )
    # Enables the search box; the clause itself is applicant_search_clause.
    column_searchable_list = ("search_text",)
    search_placeholder_text = "Ф.И.О., наименование, СНИЛС, ИНН, ОГРН, e-mail, телефон"

    def __init__(self, **kwargs):
        super().__init__(User, **kwargs)

    @property
    def default_order(self):
        return [User.created_at.desc(), User.id.desc()]

    def search_placeholder(self):
        return self.search_placeholder_text

    def search_clause(self, text):
        return applicant_search_clause(text)

    def get_query(self):
        return User.select().where(User.role == User.APPLICANT)

    def get_count_query(self):
        return self.get_query()

    # Confirmation ----------------------------------------------------------------
    def _applicant_or_404(self, user_id):
        user = self.get_one(user_id)
        if user is None:
            abort(404)
        return user

    @expose("/<int:user_id>/confirm", methods=("POST",))
    def confirm_view(self, user_id):
        """«Подтвердить учетную запись» on the applicant's card."""
        user = self._applicant_or_404(user_id)
        if confirmation.confirm(user, current_user._get_current_object(), client_ip()):
            flash(f"Учетная запись {user.email} подтверждена", "success")
        else:
            flash("Учетная запись уже подтверждена", "info")
        return redirect(url_for(".details_view", id=user.id))

    @expose("/<int:user_id>/unconfirm", methods=("POST",))
    def unconfirm_view(self, user_id):
        """«Отменить подтверждение» on the applicant's card."""
        user = self._applicant_or_404(user_id)
        if confirmation.unconfirm(user, current_user._get_current_object(), client_ip()):
            flash(f"Подтверждение учетной записи {user.email} отменено", "success")
        else:
            flash("Учетная запись не подтверждена", "info")
        return redirect(url_for(".details_view", id=user.id))

    @action("confirm", "Подтвердить учетную запись",
            "Подтвердить выбранные учетные записи? Личность заявителей должна быть проверена в офисе.")
    def action_confirm(self, ids):
        """Bulk confirmation from the list."""
        staff = current_user._get_current_object()
        done = sum(confirmation.confirm(user, staff, client_ip())
                   for user in self.get_query().where(User.id.in_(self.action_ids(ids))))
        flash(f"Подтверждено учетных записей: {done}", "success")

    @action("unconfirm", "Отменить подтверждение", "Отменить подтверждение выбранных учетных записей?")
    def action_unconfirm(self, ids):
        """Bulk undo from the list."""
        staff = current_user._get_current_object()
        done = sum(confirmation.unconfirm(user, staff, client_ip())
                   for user in self.get_query().where(User.id.in_(self.action_ids(ids))))
        flash(f"Подтверждение отменено: {done}", "success")

    def render(self, template, **kwargs):
        """The details template also lists the applicant's consents."""
        model = kwargs.get("model")
        if model is not None and template == self.details_template:
            kwargs["consents"] = list(Consent.select(Consent, LegalDocument).join(LegalDocument)
                                      .where(Consent.user == model).order_by(Consent.id))
        return super().render(template, **kwargs)

    @expose("/details/")
    def details_view(self):
        """The applicant's card (the stock details view, scoped, with our template)."""
        if request.args.get("id") and self.get_one(request.args.get("id")) is None:
            abort(404)
        return super().details_view()
