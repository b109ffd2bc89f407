"""A lean list query for back-office model views: casefolded search, filters, stable order.

Flask-Admin's stock peewee search uses LIKE/ILIKE, which on SQLite folds only ASCII
("иван" misses "Иванов"). Views using this mixin search either a stored casefolded
column (User.search_text) or a column folded in SQL (SQLite: the casefold() function
registered by models.connect_database; PostgreSQL: lower(), which is Unicode-aware).
"""
from peewee import fn

from models import fold, is_postgres


def folded(column):
    """SQL expression of `column` casefolded the same way on SQLite and PostgreSQL."""
    if is_postgres():
        return fn.lower(column)
    return fn.casefold(column)


class FoldedSearchMixin:
    """get_list with a custom search clause (search_clause), filters and a stable order.

    Subclasses define search_clause(query_text) -> peewee expression, and
    default_order -> list of order expressions (the primary key last, so a page never
    shows different rows on SQLite and PostgreSQL).
    """
    default_order = ()

    def search_clause(self, text: str):
        raise NotImplementedError

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True,
                 page_size=None):
        """Rows of one page and the total, as Flask-Admin's list view expects."""
        query = self.get_query()
        if search and fold(search):
            query = query.where(self.search_clause(search))
        for flt, _name, value in filters or ():
            flt_obj = self._filters[flt]
            query = flt_obj.apply(query, flt_obj.clean(value))
        count = query.count()
        pk = self.model._meta.primary_key
        if sort_column is not None:
            field = self._sortable_columns[sort_column]
            if isinstance(field, str):
                field = getattr(self.model, field)
            order = [field.desc() if sort_desc else field.asc(),
                     pk.desc() if sort_desc else pk.asc()]
        else:
            order = list(self.default_order) or [pk.desc()]
        query = query.order_by(*order)
        page_size = self.page_size if page_size is None else page_size
        if page_size:
            query = query.limit(page_size)
            if page:
                query = query.offset(page * page_size)
        return count, (list(query) if execute else query)
