"""«Сроки» (a catalogue: grid staff read, administrators edit): the terms of the Rules the
appeals' clocks count, each with its legal basis.

The rows are seeded and keyed on their codes and events (what starts, ends and pauses each
term: read-only); the administrator edits the step's name, the length and the legal basis,
and neither adds nor deletes rows (a row without code behind it would count nothing).
"""
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from backoffice.catalogs import REQUIRED, CatalogView, _code_cell
from domain.deadlines import terms
from models import TermRule

LENGTH_RANGE = "Укажите число от 1 до {}"


def _length_cell(view, context, model, name):
    return terms.length_text(model)


LONGEST = max(terms.MAX_LENGTH.values())  # the form's bound; each unit's own in on_model_change


class TermRuleView(CatalogView):
    """The catalogue «Сроки»."""
    audit_name = "term_rule"
    can_create = False
    column_list = ("name", "who", "applies_to", "starts_on", "ends_on", "paused_by", "length",
                   "legal_basis", "code")
    form_columns = ("name", "length", "legal_basis")
    column_labels = {"name": "Шаг", "who": "Кто действует", "applies_to": "Для кого",
                     "starts_on": "Начинается с события", "ends_on": "Заканчивается событием",
                     "paused_by": "Приостанавливается событием",
                     "length": "Срок", "legal_basis": "Основание", "code": "Код"}
    column_default_sort = ("sort_order", False)
    column_sortable_list = ()
    column_formatters = {
        "code": _code_cell,
        "who": lambda v, c, m, n: terms.WHO.get(m.who, m.who),
        "starts_on": lambda v, c, m, n: terms.EVENTS.get(m.starts_on, m.starts_on),
        "ends_on": lambda v, c, m, n: terms.EVENTS.get(m.ends_on, m.ends_on),
        "paused_by": lambda v, c, m, n: terms.EVENTS.get(m.paused_by, m.paused_by) or "—",
        "length": _length_cell,
    }
    form_args = {
        "name": {"label": "Шаг", "validators": [DataRequired(REQUIRED), Length(max=255)]},
        "length": {"label": "Срок (рабочих дней или календарных месяцев, как у строки)",
                   "validators": [InputRequired(LENGTH_RANGE.format(LONGEST)),
                                  NumberRange(min=1, max=LONGEST,
                                              message=LENGTH_RANGE.format(LONGEST))]},
        "legal_basis": {"label": "Основание", "validators": [DataRequired(REQUIRED)]},
    }

    def __init__(self, **kwargs):
        super().__init__(TermRule, **kwargs)

    def audit_details(self, model) -> str:
        return f"{model.code}: {model.name}, {terms.length_text(model)}"

    def on_model_change(self, form, model, is_created):
        model.name = model.name.strip()
        model.legal_basis = model.legal_basis.strip()
        longest = terms.MAX_LENGTH[model.unit]
        if model.length > longest:
            raise ValidationError(LENGTH_RANGE.format(longest)
                                  + (" (календарных месяцев)"
                                     if model.unit == TermRule.CALENDAR_MONTHS else ""))
