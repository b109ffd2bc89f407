"""The opt-in database: a test without the `database` fixture cannot reach the database, and
one with it starts from the seeded reference data whatever the test before it wrote."""
import threading

import pytest

from models import Organization, User, db
from tests.conftest import DatabaseNotRequested


def test_sql_without_the_fixture_fails_the_test(app):
    with pytest.raises(pytest.fail.Exception, match="without the `database` fixture"):
        with db.connection_context():
            Organization.select().count()


def test_sql_from_a_background_thread_without_the_fixture_is_refused(app):
    errors = []

    def query():
        try:
            with db.connection_context():
                Organization.select().count()
        except DatabaseNotRequested as exc:
            errors.append(exc)

    thread = threading.Thread(target=query)
    thread.start()
    thread.join()
    assert len(errors) == 1 and "SELECT" in str(errors[0])


@pytest.mark.parametrize("turn", [1, 2])
def test_each_test_with_the_fixture_starts_from_the_seeded_data(database, turn):
    with db.connection_context():
        assert User.select().count() == 0
        assert Organization.grid() is not None and len(list(Organization.suppliers())) == 3
        User.create(email=f"left-behind-{turn}@example.ru", password_hash="x")
