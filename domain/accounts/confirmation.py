"""Account confirmation after the identity check in the office («Подтвердить учетную запись»)."""
from domain.outbox import notify
from models import User, audit, db, utcnow


def confirm(user: User, staff: User, ip: str = "") -> bool:
    """Mark the applicant's account confirmed by `staff` now; False when it already was.

    Writes the account, the journal row and the applicant's e-mail in one transaction.
    """
    with db.atomic():
        changed = (User.update(confirmed=True, confirmed_by=staff, confirmed_at=utcnow())
                   .where((User.id == user.id) & (User.role == User.APPLICANT)
                          & (User.confirmed == False))  # noqa: E712
                   .execute())
        if not changed:
            return False
        user = User.get_by_id(user.id)
        audit("account_confirmed", actor=staff, obj=user, details=user.email, ip=ip)
        notify.email(user.notify_email, "account_confirmed", user=user)
    return True


def unconfirm(user: User, staff: User, ip: str = "") -> bool:
    """Undo a confirmation («Отменить подтверждение»); False when it was not confirmed."""
    with db.atomic():
        changed = (User.update(confirmed=False, confirmed_by=None, confirmed_at=None)
                   .where((User.id == user.id) & (User.role == User.APPLICANT)
                          & (User.confirmed == True))  # noqa: E712
                   .execute())
        if not changed:
            return False
        audit("account_unconfirmed", actor=staff, obj=user, details=user.email, ip=ip)
    return True
