"""«Документооборот»: the applicant's «Список обращений» with its filters, search and sorting."""
from urllib.parse import quote, urlencode

from flask import render_template, request, url_for
from flask_login import current_user

from domain.appeals.listing.params import APPLICANT, KINDS, READS, ListParams
from domain.appeals.listing.queries import applicant_page
from domain.deadlines.timeline import attach_headlines
from portal import bp
from portal.web import applicant_required

FILTER_GROUPS = (
    ("state", "По статусу обращения", APPLICANT.state_labels()),
    ("kind", "По типу обращения", KINDS),
    ("read", "По статусу осведомления", READS),
)


def list_url(base: str, args: dict) -> str:
    """The list's address with its query string (built directly: a page has ~20 links)."""
    return f"{base}?{urlencode(args)}" if args else base


def view_links(params: ListParams, base: str) -> dict:
    """Every filter tab and sort link as (text, href, active), each keeping the other choices."""
    groups = [(label, [(text, list_url(base, params.to_args(**{name: value})),
                        getattr(params, name) == value) for value, text in tabs.items()])
              for name, label, tabs in FILTER_GROUPS]
    sorts = [(text, list_url(base, params.to_args(sort=key)), params.sort == key)
             for key, text in APPLICANT.sort_labels().items()]
    return {"groups": groups, "sorts": sorts}


@bp.route("/appeals")
@applicant_required
def appeals():
    """The list of the applicant's appeals: one SELECT per page, filters kept in the URL."""
    params = ListParams.from_args(request.args)
    page = applicant_page(current_user._get_current_object(), params)
    attach_headlines(page.rows)
    base = url_for("portal.appeals")
    # Each row links to its page carrying this very view (filters, sort and page) for
    # «← Вернуться к списку обращений».
    back = urlencode(params.to_args(after=params.after, before=params.before))
    return render_template(
        "portal/appeals.html", params=params, page=page, links=view_links(params, base),
        row_suffix=f"?back={quote(back)}" if back else "", appeal_base=url_for("portal.appeal", appeal_id=0)[:-1],
        search_hidden=params.to_args(q=""), reset_search=list_url(base, params.to_args(q="")),
        first_page=list_url(base, params.to_args()),
        prev_page=list_url(base, params.to_args(before=page.prev_cursor)),
        next_page=list_url(base, params.to_args(after=page.next_cursor)))
