"""Counting the SQL statements a block of code runs, for the bounded-queries tests."""
from contextlib import contextmanager

from models import db


@contextmanager
def count_queries():
    """Collect the SQL text of every statement the database runs inside the block."""
    database = db.obj
    original = database.execute_sql
    statements = []

    def counting(sql, params=None, *args, **kwargs):
        statements.append(sql)
        return original(sql, params, *args, **kwargs)

    database.execute_sql = counting
    try:
        yield statements
    finally:
        database.execute_sql = original  # what was there: the suite's guard (tests/conftest.py)
