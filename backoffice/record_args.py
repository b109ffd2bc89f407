"""What Flask-Admin's model views read from a request, held to what can name a row.

Flask-Admin passes ?id= to the database as it comes (a word, 2^64, or a list for
?id=1&id=2), multiplies ?page= into an OFFSET, takes ?sort= as any column's index, hands
every word of ?search= to one SQL condition each and redirects to ?url= unchecked. Every
back-office model view takes RecordArgsMixin right after its access mixin: a malformed id
is a 404, a malformed rowid of an action or an unsafe ?url= a 400, and the list's page,
sort and search fall back to what the list can show, as the appeal lists do with their
filters.
"""
from flask import abort, request

from domain.appeals.listing.params import MAX_QUERY_LENGTH
from domain.appeals.listing.search import MAX_QUERY_WORDS
from domain.links import safe_next
from domain.request_input import MAX_ID, record_id, record_ids

MAX_PAGE = MAX_ID // 10_000  # far past any list's end, and page × page size fits a BIGINT


class RecordArgsMixin:
    """Ids, list arguments and the return URL of a Flask-Admin ModelView, checked."""

    def _handle_view(self, name, **kwargs):
        """Access first; then a return URL (?url=) that is not a local path is a 400: it
        would leave the site or split the Location header."""
        refused = super()._handle_view(name, **kwargs)
        if refused is not None:
            return refused
        if any(url and safe_next(url, "") != url for url in request.values.getlist("url")):
            abort(400)
        return None

    def get_one(self, id):
        """The row of the view's query with that id (Flask-Admin's own get_one ignores
        get_query, so the scope holds here too); a malformed id (a word, a list, a number
        no id column holds) is a 404."""
        row_id = record_id(id)
        if row_id is None:
            abort(404)
        return self.get_query().where(self.model._meta.primary_key == row_id).first()

    def action_ids(self, ids) -> list[int]:
        """The rowid values an action was posted with; any malformed one is a 400."""
        parsed = record_ids(ids)
        if parsed is None:
            abort(400)
        return parsed

    def _get_list_extra_args(self):
        """The list's arguments: a page out of range is the first page, the search as many
        words and characters as the appeal lists take."""
        args = super()._get_list_extra_args()
        search = " ".join((args.search or "").split()[:MAX_QUERY_WORDS])[:MAX_QUERY_LENGTH]
        return args.clone(page=args.page if 0 <= args.page <= MAX_PAGE else 0,
                          search=search or None, filters=args.filters)  # [] stays []

    def _get_column_by_idx(self, idx):
        """?sort= names a sortable column, or the list keeps its default order."""
        column = super()._get_column_by_idx(idx)
        return column if column is not None and column[0] in self._sortable_columns else None
