"""The lists' view as it lives in the query string: one parameter class for both sides.

The applicant's «Список обращений» and the back office's «Входящие», «Все обращения» and
«Архив» read the same parameters with the same allowed values (one table of each); a
`Side` says which parameters a side reads and how it shows its choices. Every value is
parsed safely: anything outside the allowed set falls back to the default, text is
trimmed, a date that cannot bound a day (malformed, or the calendar's ends) is no bound.
"""
import datetime as dt
from dataclasses import dataclass, fields
from typing import NamedTuple

from domain.deadlines.due import TERM_FILTERS
from domain.request_input import record_id
from models import Appeal

MAX_QUERY_LENGTH = 200
MAX_STATUS_LENGTH = 500
MAX_CURSOR_LENGTH = 64


class Sort(NamedTuple):
    """A list order: the date column, its direction and how each side names it."""
    field: str
    descending: bool
    applicant_label: str
    staff_label: str


# The manual, for the applicant: «По дате создания: ↓ по возрастанию, ↑ по убыванию»; the
# back office names the order by what comes first.
SORTS = {
    "created_asc": Sort("created_at", False, "↓ Дата создания", "Создано ↑ (сначала старые)"),
    "created_desc": Sort("created_at", True, "↑ Дата создания", "Создано ↓ (сначала новые)"),
    "updated_asc": Sort("updated_at", False, "↓ Дата обновления",
                        "Обновлено ↑ (сначала старые)"),
    "updated_desc": Sort("updated_at", True, "↑ Дата обновления",
                         "Обновлено ↓ (сначала новые)"),
}
DEFAULT_SORT = "updated_desc"
# The values are Appeal.state's and Appeal.kind's own; "all" and "" narrow nothing.
STATES = {Appeal.ACTIVE: "Активные", Appeal.DRAFT: "Черновики", Appeal.ARCHIVE: "Архив",
          "all": "Все"}
KINDS = {"": "Все", Appeal.TP: "Заявки ТП", Appeal.MESSAGE: "Сообщения"}
READS = {"all": "Все", "unread": "Непрочитанные", "read": "Прочитанные"}
NUMBERED = {"": "Все", "yes": "С номером", "no": "Без номера"}
COMPLIES = {"": "Все", "yes": "Соответствует п.14 / п.12(1)", "no": "Не соответствует"}


@dataclass(frozen=True)
class Side:
    """What one side's lists read from the query string (in the order its links write
    them), the states it offers and its sort menu."""
    name: str
    params: tuple
    states: tuple
    sorts: tuple

    def sort_labels(self) -> dict:
        """The side's sort menu: key -> label, in the order shown."""
        return {key: getattr(SORTS[key], f"{self.name}_label") for key in self.sorts}

    def state_labels(self) -> dict:
        """The states the side offers: value -> label."""
        return {state: STATES[state] for state in self.states}


APPLICANT = Side("applicant", ("state", "kind", "read", "q", "sort", "after", "before"),
                 (Appeal.ACTIVE, Appeal.DRAFT, Appeal.ARCHIVE),
                 ("created_asc", "created_desc", "updated_asc", "updated_desc"))
STAFF = Side("staff", ("q", "kind", "state", "numbered", "status", "supplier", "power",
                       "complies", "date_from", "date_to", "unread", "term", "sort", "after",
                       "before"),
             (Appeal.ACTIVE, Appeal.ARCHIVE, "all"),
             ("updated_desc", "updated_asc", "created_desc", "created_asc"))

# The «Сроки» board (domain/deadlines/board.py): its filter and cursors, no sort menu.
BOARD = Side("staff", ("term", "after", "before"), (Appeal.ACTIVE,), ())


def _text(value) -> str:
    """Search text with its whitespace collapsed, at most MAX_QUERY_LENGTH characters."""
    return " ".join((value or "").split())[:MAX_QUERY_LENGTH]


def _supplier(value) -> str:
    """«Гарантирующий поставщик»: "none" («Не планируется»), an id, or "" (any)."""
    value = (value or "").strip()
    return value if value == "none" or record_id(value) is not None else ""


def _pick(args, name: str, allowed, default: str = "") -> str:
    """args[name] stripped when it is one of `allowed`, else `default`."""
    value = (args.get(name) or "").strip()
    return value if value in allowed else default


def date_arg(value) -> str:
    """An ISO date of «Создано с … по», or "" (no bound) for anything else: a malformed
    date, or one at the calendar's ends (0001-01-01, 9999-12-31), whose Moscow midnight or
    next day has no datetime — and which bounds nothing anyway."""
    value = (value or "").strip()
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return ""
    return day.isoformat() if dt.date.min < day < dt.date.max else ""


@dataclass(frozen=True)
class ListParams:
    """A list's filters, sort and keyset cursor; fields a side does not read keep their
    defaults (so they narrow nothing and never reach its links)."""
    side: Side = APPLICANT
    q: str = ""
    kind: str = ""
    state: str = Appeal.ACTIVE
    read: str = "all"
    numbered: str = ""
    status: str = ""
    supplier: str = ""
    power: str = ""
    complies: str = ""
    date_from: str = ""
    date_to: str = ""
    unread: str = ""
    term: str = ""  # «Срок»: one of TERM_FILTERS (the staff's lists only)
    sort: str = DEFAULT_SORT
    after: str = ""   # keyset cursor: rows after this one
    before: str = ""  # keyset cursor: rows before this one (the previous page)

    @classmethod
    def from_args(cls, args, side: Side = APPLICANT, fixed: dict | None = None) -> "ListParams":
        """Parse request.args (or any mapping) for `side`; unknown values fall back to
        defaults. `fixed`: values a list imposes whatever the URL says (a preset)."""
        values = {name: _PARSERS[name](args, side) for name in side.params}
        return cls(side=side, **{**values, **(fixed or {})})

    def to_args(self, **changes) -> dict:
        """Query-string arguments for url_for: only non-default values, in the side's
        order, cursors dropped unless given in `changes` (changing a filter or the sort
        starts from page one). A page writes a score of links: no new instance each."""
        changes = {"after": "", "before": "", **changes}
        result = {}
        for name in self.side.params:
            value = changes[name] if name in changes else getattr(self, name)
            if value != _DEFAULTS[name]:
                result[name] = value
        return result

    @property
    def any_set(self) -> bool:
        """True when a filter beyond the list's preset narrows it."""
        return any((self.q, self.kind, self.status, self.supplier, self.power, self.complies,
                    self.date_from, self.date_to, self.unread, self.term,
                    self.read != "all"))

    @property
    def sort_order(self) -> Sort:
        """The chosen order: its date column's name and direction."""
        return SORTS[self.sort]


_DEFAULTS = {f.name: f.default for f in fields(ListParams)}
# name -> parser(args, side): each parameter parsed safely, as the module's docstring says.
_PARSERS = {
    "q": lambda args, side: _text(args.get("q")),
    "kind": lambda args, side: _pick(args, "kind", KINDS),
    "state": lambda args, side: _pick(args, "state", side.states, Appeal.ACTIVE),
    "read": lambda args, side: _pick(args, "read", READS, "all"),
    "numbered": lambda args, side: _pick(args, "numbered", NUMBERED),
    "status": lambda args, side: (args.get("status") or "").strip()[:MAX_STATUS_LENGTH],
    "supplier": lambda args, side: _supplier(args.get("supplier")),
    "power": lambda args, side: _pick(args, "power", Appeal.POWER_CHOICES),
    "complies": lambda args, side: _pick(args, "complies", COMPLIES),
    "date_from": lambda args, side: date_arg(args.get("date_from")),
    "date_to": lambda args, side: date_arg(args.get("date_to")),
    "unread": lambda args, side: "1" if args.get("unread") else "",
    "term": lambda args, side: _pick(args, "term", TERM_FILTERS),
    "sort": lambda args, side: _pick(args, "sort", SORTS, DEFAULT_SORT),
    "after": lambda args, side: (args.get("after") or "")[:MAX_CURSOR_LENGTH],
    "before": lambda args, side: (args.get("before") or "")[:MAX_CURSOR_LENGTH],
}
