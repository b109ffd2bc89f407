"""Read state: an appeal is unread for a side when the other side added data after that
side last opened it.

The applicant's side is two times on the appeal (staff_activity_at, applicant_seen_at) and
the «new status / new message» marks. Staff read marks are per organisation: a supplier
clerk opening an application does not make it read for the grid company, and the other
way round (appeal_seen, with appeal_unread as its index kept by triggers: unread_index.py).
"""
from peewee import EXCLUDED

from domain.appeals.access import staff_organization_id
from models import Appeal, AppealSeen, AppealUnread, User, db, utcnow

# The applicant ----------------------------------------------------------------------

def unread_condition():
    """The appeal has data from the organisation the applicant has not seen yet."""
    return (Appeal.staff_activity_at.is_null(False)
            & (Appeal.applicant_seen_at.is_null(True)
               | (Appeal.staff_activity_at > Appeal.applicant_seen_at)))


def mark_read_by_applicant(appeal: Appeal):
    """The applicant has seen everything up to now: clear the unread state and the marks."""
    if not (appeal.unread_for_applicant or appeal.new_status_for_applicant
            or appeal.new_post_for_applicant):
        return
    with db.atomic():
        Appeal.update(applicant_seen_at=utcnow(), new_status_for_applicant=False,
                      new_post_for_applicant=False).where(Appeal.id == appeal.id).execute()


# Staff ------------------------------------------------------------------------------

def unread_for_staff(appeal: Appeal, clerk: User) -> bool:
    """Whether the appeal has applicant data the clerk's organisation has not opened."""
    return (AppealUnread.select().where((AppealUnread.appeal == appeal.id)
                                        & (AppealUnread.organization
                                           == staff_organization_id(clerk)))
            .exists())


def mark_seen_by_staff(appeal: Appeal, clerk: User, seen_at=None):
    """Opening the appeal's page: the applicant's data up to `seen_at` (by default now;
    the page passes the moment it started reading) is read by the clerk's organisation.

    One upsert per (appeal, organisation); a later mark never moves back in time. The
    organisation's unread row goes only if the page read the applicant's latest data."""
    organization_id = staff_organization_id(clerk)
    if organization_id is None:
        return
    seen_at = seen_at or utcnow()
    with db.atomic():
        (AppealSeen.insert(appeal=appeal.id, organization=organization_id, seen_at=seen_at)
         .on_conflict(conflict_target=[AppealSeen.appeal, AppealSeen.organization],
                      preserve=[AppealSeen.seen_at],
                      where=(AppealSeen.seen_at < EXCLUDED.seen_at))
         .execute())
        (AppealUnread.delete()
         .where((AppealUnread.appeal == appeal.id)
                & (AppealUnread.organization == organization_id)
                & (AppealUnread.activity_at <= seen_at))
         .execute())
