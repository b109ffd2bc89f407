"""What a signature changes beyond itself: the appeal's activity times and the e-mails to
the other side (and to the supplier for a signed act of connection).
"""
from domain.links import portal_link
from domain.outbox import notify
from domain.signing.state import KIND_LABELS
from models import Appeal, Organization, User


def signer_info(user: User) -> dict:
    info = {"id": user.id, "name": user.full_name, "email": user.email,
            "legal_form": user.legal_form_label}
    for key in ("snils", "inn", "ogrn", "ogrnip"):
        if getattr(user, key, None):
            info[key] = getattr(user, key)
    if user.legal_form == User.COMPANY and user.company_name:
        info["company"] = user.company_name
    return info


def applicant_touched(appeal: Appeal, now):
    Appeal.update(updated_at=now, applicant_activity_at=now).where(Appeal.id == appeal.id).execute()


def staff_touched(appeal: Appeal, now):
    Appeal.update(updated_at=now, staff_activity_at=now).where(Appeal.id == appeal.id).execute()


def notify_organization_of_applicant(appeal, document, user, kind, now):
    """The placing organisation's inbox hears that the applicant signed."""
    org = Organization.get_or_none(Organization.id == document.organization_id) \
        if document.organization_id else Organization.grid()
    if not org:
        return
    appeal.applicant = user
    notify.email(org.inbox_email, "signed_by_applicant", appeal=appeal, case=appeal,
                 document=document,
                 organization=org, applicant=user, method=KIND_LABELS[kind], signed_at=now)


def notify_applicant_of_organization(appeal, document, organization, now):
    """The applicant hears that the organisation signed (and whether they must sign too)."""
    applicant = User.get_by_id(appeal.applicant_id)
    appeal.applicant = applicant
    notify.email(applicant.notify_email, "signed_by_organization", appeal=appeal, case=appeal,
                 document=document, organization=organization, signed_at=now,
                 needs_signature=document.needs_applicant_signature,
                 link=portal_link(appeal))


def notify_supplier_of_act(appeal, document, now):
    """The supplier named in the application learns of the signed act of connection."""
    if not appeal.supplier_id:
        return
    supplier = Organization.get_by_id(appeal.supplier_id)
    appeal.applicant = User.get_by_id(appeal.applicant_id)
    notify.email(supplier.inbox_email, "signed_act_supplier", appeal=appeal, case=appeal,
                 document=document,
                 supplier=supplier, signed_at=now)
