"""Bringing a database to the current schema with its reference data, and the demo set."""
from domain.accounts.staff import create_staff, temporary_password
from domain.setup.migrations import upgrade
from domain.setup.seed import DEMO_SUPPLIERS, seed_demo_suppliers, seed_reference_data
from models import db

DEMO_STAFF = [("admin@kalinovsk-es.ru", "admin", None, "Администратор"),
              ("clerk@kalinovsk-es.ru", "grid", None, "Специалист"),
              ("gp@kalinovsk-energo.ru", "supplier", DEMO_SUPPLIERS[0][0], "Специалист ГП")]


def init_db() -> str:
    """Create or upgrade the schema, then seed reference data."""
    with db.connection_context():
        before, after = upgrade()
        seed_reference_data()
    return f"Схема базы данных: версия {before} → {after}"


def demo_data() -> list[str]:
    """Demo suppliers and staff; returns printable credential lines."""
    init_db()
    with db.connection_context():
        seed_demo_suppliers()
    lines = ["Гарантирующие поставщики (для create-staff --supplier: ИНН или наименование):"]
    lines += [f"  ИНН {inn}  {name}" for name, inn, _inbox in DEMO_SUPPLIERS]
    lines.append("Сотрудники:")
    for email, role, supplier, name in DEMO_STAFF:
        password = temporary_password()
        create_staff(email, password, role, supplier, name)
        lines.append(f"  {role:8} {email}  пароль: {password}")
    return lines
