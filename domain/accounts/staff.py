"""Staff accounts: creation, activation and password resets done by an administrator."""
import secrets

from domain.accounts.credentials import hash_password
from domain.request_input import record_id
from models import Organization, User, audit, db

ROLE_LABELS = {User.GRID_CLERK: "Специалист сетевой организации",
               User.SUPPLIER_CLERK: "Специалист гарантирующего поставщика",
               User.ADMIN: "Администратор"}


def temporary_password() -> str:
    """A random password shown once to the administrator (12 URL-safe characters)."""
    return secrets.token_urlsafe(9)


def organization_for(role: str, supplier_id) -> Organization | None:
    """The organisation a staff account of `role` belongs to; None when the supplier is missing."""
    if role == User.SUPPLIER_CLERK:
        supplier_id = record_id(supplier_id)
        if supplier_id is None:  # none chosen, or not an id
            return None
        return Organization.get_or_none((Organization.id == supplier_id)
                                        & (Organization.kind == Organization.SUPPLIER))
    return Organization.grid()


def create(*, email, last_name, first_name, middle_name, role, organization, password,
           actor, ip="") -> User:
    """A new active staff account; journal entry in the same transaction."""
    with db.atomic():
        user = User.create(email=email.strip().lower(), role=role, organization=organization,
                           last_name=last_name.strip(), first_name=(first_name or "").strip(),
                           middle_name=(middle_name or "").strip(),
                           password_hash=hash_password(password), confirmed=True)
        audit("staff_created", actor=actor, obj=user,
              details=f"{user.email}: {ROLE_LABELS[role]}, {organization.name}", ip=ip)
    return user


def set_active(user: User, active: bool, *, actor, ip="") -> bool:
    """Deactivate (signing out every session) or activate a staff account; False if unchanged."""
    if user.is_active == active:
        return False
    with db.atomic():
        user.is_active = active
        if not active:
            user.session_token = secrets.token_urlsafe(32)
        user.save()
        audit("staff_activated" if active else "staff_deactivated", actor=actor, obj=user,
              details=user.email, ip=ip)
    return True


def reset_password(user: User, password: str, *, actor, ip="") -> None:
    """Set a new password and sign out the account's sessions."""
    with db.atomic():
        user.password_hash = hash_password(password)
        user.session_token = secrets.token_urlsafe(32)
        user.save()
        audit("staff_password_reset", actor=actor, obj=user, details=user.email, ip=ip)


def find_supplier(name_or_inn: str | None) -> Organization | None:
    """A supplier by its ИНН or its exact name (quotes and all)."""
    value = " ".join((name_or_inn or "").split())
    kind = Organization.kind == Organization.SUPPLIER
    if value.isdigit():
        found = Organization.get_or_none(kind & (Organization.inn == value))
        if found:
            return found
    return Organization.get_or_none(kind & (Organization.name == value))


def create_staff(email, password, role, supplier=None, last_name="Сотрудник", first_name=""):
    """A staff account bound to the grid company or to the supplier named by its ИНН or
    name (the command line's create-staff); an existing account gets the new password and
    role. LookupError when the supplier is unknown."""
    with db.connection_context(), db.atomic():
        if role == User.SUPPLIER_CLERK:
            org = find_supplier(supplier)
            if not org:
                raise LookupError(f"Гарантирующий поставщик «{supplier}» не найден: укажите "
                                  f"ИНН или точное наименование")
        else:
            org = Organization.grid()
        user = User.by_email(email) or User(email=email.strip().lower())
        user.role, user.organization = role, org
        user.last_name, user.first_name = last_name, first_name
        user.password_hash = hash_password(password)
        user.confirmed = True
        user.save()
        return user
