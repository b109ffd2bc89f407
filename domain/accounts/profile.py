"""«Данные и настройки»: the applicant's own registration data."""
from domain.appeals import search_index
from models import User, audit, db


def save_profile(user: User, notify_email: str, identity: dict, ip: str | None = None):
    """Store the applicant's edited data (`identity`: cleaned form fields by name) and
    journal it; every appeal of theirs is then found by the new name, company name,
    СНИЛС, ИНН and e-mail, and no longer by the old ones (one UPDATE in this same
    transaction; none when nothing searchable changed, e.g. only the КПП)."""
    with db.atomic():
        before = user.search_text
        user.notify_email = (notify_email or "").strip().lower()
        for name, value in identity.items():
            setattr(user, name, value)
        user.save()
        # Re-indexing thousands of appeals takes a while on SQLite: only when it matters.
        if user.search_text != before:
            search_index.refresh_applicant_appeals(user)
        audit("profile_changed", actor=user, obj=user, ip=ip)
