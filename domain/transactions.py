"""Transactions that take their locks at once, for operations that read, then write."""
from models import Appeal, db, is_postgres


def write_transaction():
    """A transaction that takes the write lock at once on SQLite.

    In WAL mode a transaction that read first and writes later fails with SQLITE_BUSY
    when another writer committed in between; BEGIN IMMEDIATE waits its turn instead."""
    if not is_postgres():
        return db.atomic("IMMEDIATE")
    return db.atomic()


def locked_appeal(appeal: Appeal) -> Appeal:
    """The appeal re-read inside the transaction (row-locked on PostgreSQL)."""
    query = Appeal.select().where(Appeal.id == appeal.id)
    if db.obj.for_update:
        query = query.for_update()
    return query.get()
