"""Who sees and may act on which appeal: the Python rule for one loaded appeal and its SQL
twin for lists, side by side, so they cannot drift apart.

An applicant sees only their own appeals and documents. A grid clerk or administrator
sees every appeal that was sent (drafts never); a supplier clerk only the ТП applications
naming its supplier and the messages addressed to it. Numbering, archiving, «Заявка
неполная» and the annulment belong to the appeal's receiving organisation; replies,
statuses and documents to anyone who sees it.
"""
from domain.request_input import record_id
from models import Appeal, Document, Organization, Post, User

VIEW, NUMBER, STATUS, POST, DOCUMENT, ARCHIVE = (
    "view", "number", "status", "post", "document", "archive")
# «Заявка неполная» and «Аннулировать заявку»: the receiving grid company's, on a ТП application.
INCOMPLETE, ANNUL = "incomplete", "annul"


# The applicant's own ---------------------------------------------------------------

def own_appeal(applicant, appeal_id) -> Appeal | None:
    """The applicant's appeal with that id, or None (anybody else's is None too)."""
    appeal_id = record_id(appeal_id)
    if appeal_id is None:
        return None
    return Appeal.get_or_none((Appeal.id == appeal_id) & (Appeal.applicant == applicant.id))


def own_document(applicant, document_id) -> Document | None:
    """A document (of any party) of one of the applicant's appeals, or None."""
    document_id = record_id(document_id)
    if document_id is None:
        return None
    return (Document.select().join(Appeal)
            .where((Document.id == document_id) & (Appeal.applicant == applicant.id)).first())


# Staff ------------------------------------------------------------------------------

def acting_organization(clerk: User) -> Organization | None:
    """The organisation a clerk acts for: its own, or the grid company for grid staff."""
    if clerk.role == User.SUPPLIER_CLERK:
        return clerk.organization if clerk.organization_id else None
    if clerk.role in (User.GRID_CLERK, User.ADMIN):
        if clerk.organization_id:
            return clerk.organization
        return Organization.grid()
    return None


def staff_organization_id(clerk: User) -> int | None:
    """Id of the organisation the clerk acts for (no query when the account names it)."""
    if clerk.role in (User.GRID_CLERK, User.ADMIN, User.SUPPLIER_CLERK) and clerk.organization_id:
        return clerk.organization_id
    org = acting_organization(clerk)
    return org.id if org else None


def side_of(org: Organization) -> str:
    """Post/Document party of an organisation: 'grid' or 'supplier'."""
    return Post.SUPPLIER if org.kind == Organization.SUPPLIER else Post.GRID


def visible_to(clerk: User, appeal: Appeal) -> bool:
    """True when the clerk may see the appeal (drafts are never shown to staff).

    The same rule as visible_condition, for one loaded appeal."""
    if not clerk or not clerk.is_active or appeal.state == Appeal.DRAFT:
        return False
    if clerk.role in (User.GRID_CLERK, User.ADMIN):
        return True
    if clerk.role != User.SUPPLIER_CLERK or not clerk.organization_id:
        return False
    if appeal.kind == Appeal.TP:
        return appeal.supplier_id == clerk.organization_id
    return appeal.organization_id == clerk.organization_id


def visible_condition(user: User):
    """SQL condition on Appeal for the appeals `user` may see; None-safe for non-staff.

    The same rule as visible_to, for lists, counts and searches."""
    base = Appeal.state != Appeal.DRAFT
    if user is None or not getattr(user, "is_active", False):
        return base & False
    if user.role in (User.GRID_CLERK, User.ADMIN):
        return base
    if user.role == User.SUPPLIER_CLERK and user.organization_id:
        org = user.organization_id
        return base & (((Appeal.kind == Appeal.TP) & (Appeal.supplier == org))
                       | ((Appeal.kind == Appeal.MESSAGE) & (Appeal.organization == org)))
    return base & False


def visible_appeals(user: User, *columns):
    """A SELECT of the appeals the user may see."""
    return Appeal.select(*columns).where(visible_condition(user))


def may(clerk: User, appeal: Appeal, action: str) -> bool:
    """Whether the clerk may perform `action` on the appeal."""
    if not visible_to(clerk, appeal):
        return False
    if action in (NUMBER, ARCHIVE, INCOMPLETE, ANNUL):
        org = acting_organization(clerk)
        return bool(org and org.id == appeal.organization_id)
    return action in (VIEW, STATUS, POST, DOCUMENT)


def require(clerk: User, appeal: Appeal, action: str):
    """PermissionError unless the clerk may perform `action` on the appeal."""
    if not may(clerk, appeal, action):
        raise PermissionError(f"{clerk.email} may not {action} appeal {appeal.id}")
