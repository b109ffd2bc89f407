"""Appeals made directly with the models, for the list and page tests (no forms involved)."""
import datetime as dt
import itertools

from domain.appeals import search_index
from models import (
    Appeal,
    Document,
    DocumentType,
    StatusCatalog,
    Organization,
    Post,
    StatusEvent,
    User,
    db,
    utcnow,
)

_counter = itertools.count(1)


def other_applicant(email="other@example.ru", legal_form=User.PERSON, last_name="Сидоров"):
    """A second applicant, created without going through registration."""
    return User.create(email=email, legal_form=legal_form, last_name=last_name,
                       first_name="Олег", password_hash="x")


def supplier(name="АО «Калиновскэнергосбыт»"):
    """One of the demo guaranteeing suppliers seeded by conftest."""
    return Organization.get((Organization.kind == Organization.SUPPLIER)
                            & (Organization.name == name))


def make_appeal(applicant, kind=Appeal.TP, state=Appeal.ACTIVE, *, subject="", reg_number=None,
                last_status=None, last_status_kind=None, created_at=None, updated_at=None, unread=False,
                new_status=False, new_post=False, supplier=None, organization=None,
                comment_html="", power="le15", scheme="permanent", complies=True,
                posts=(), statuses=(), documents=()):
    """An appeal with optional thread posts [(side, html)], statuses [text] and documents
    [(party, doc_type, file_name)]; the search column is refreshed as real callers do.
    last_status_kind: the kind of the last status (StatusEvent.SENT unless a draft)."""
    grid = Organization.grid()
    created = created_at or utcnow() - dt.timedelta(minutes=next(_counter))
    updated = updated_at or created
    if last_status_kind is None and state != Appeal.DRAFT:
        last_status_kind = StatusEvent.SENT
    if last_status is None:
        last_status = "" if state == Appeal.DRAFT else (
            "Заявка создана и отправлена в сетевую" if kind == Appeal.TP else "Сообщение отправлено")
    with db.atomic():
        appeal = Appeal(applicant=applicant, kind=kind, state=state,
                        organization=organization or grid, reg_number=reg_number,
                        subject=subject, supplier=supplier, comment_html=comment_html,
                        last_status=last_status, last_status_kind=last_status_kind,
                        created_at=created, updated_at=updated,
                        power=power if kind == Appeal.TP else None,
                        scheme=scheme if kind == Appeal.TP else None,
                        complies=complies if kind == Appeal.TP else None,
                        sent_at=None if state == Appeal.DRAFT else created,
                        staff_activity_at=updated if unread else None,
                        new_status_for_applicant=new_status, new_post_for_applicant=new_post)
        appeal.save()
        for offset, (side, html) in enumerate(posts):
            Post.create(appeal=appeal, side=side, body_html=html,
                        author=applicant if side == Post.APPLICANT else None,
                        organization=None if side == Post.APPLICANT else (organization or grid),
                        created_at=created + dt.timedelta(seconds=offset))
        for offset, text in enumerate(statuses):
            StatusEvent.create(appeal=appeal, text=text, code=StatusCatalog.code_for(text),
                               organization=organization or grid,
                               created_at=created + dt.timedelta(seconds=offset))
        for party, doc_type, file_name in documents:
            org = None if party == "applicant" else (supplier if party == "supplier" else grid)
            Document.create(appeal=appeal, party=party, organization=org, doc_type=doc_type,
                            type_code=DocumentType.code_for(party, doc_type),
                            file_name=file_name, size=1024, sha256="0" * 64,
                            storage_key=f"{next(_counter):040x}", created_at=created)
        search_index.refresh_search_text(appeal)
        appeal.save()
    return appeal
