"""Fixtures of the back-office tests."""
import pytest

from tests.conftest import make_staff

PASSWORD = "Staff-pass1"
ADMIN, CLERK, GP = "admin@kalinovsk-es.ru", "clerk@kalinovsk-es.ru", "gp@kalinovsk-energo.ru"
GP_NAME = "АО «Калиновскэнергосбыт»"


@pytest.fixture
def staff(app, database):
    """Test clients logged in as admin, grid clerk and supplier clerk."""
    make_staff(ADMIN, "admin")
    make_staff(CLERK, "grid")
    make_staff(GP, "supplier", GP_NAME)
    clients = {}
    for key, email in (("admin", ADMIN), ("clerk", CLERK), ("gp", GP)):
        client = app.test_client()
        response = client.post("/backoffice/login", data={"email": email, "password": PASSWORD})
        assert response.status_code == 302
        clients[key] = client
    return clients
