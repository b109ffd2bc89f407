"""«Обращения» → «Сроки»: the board of the open terms by due date, grouped on each page by
organisation and step (domain/deadlines/board.py), with the lists' «Срок» filter. Grid
clerks and administrators see every term, a supplier's clerk its supplier's."""
from flask import request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user

from backoffice.access import StaffMixin
from domain.deadlines import due
from domain.deadlines.board import board_count, board_page, board_params


class TermBoardView(StaffMixin, BaseView):
    """The «Сроки» board."""

    @expose("/")
    def index(self):
        params = board_params(request.args)
        moment = due.now()  # one moment for the page and its count
        page, groups = board_page(current_user, params, moment=moment)
        total, capped = board_count(current_user, params.term, moment) if page.next_cursor \
            or page.prev_cursor else (len(page.rows), False)
        return self.render("backoffice/term_board.html", f=params, page=page, groups=groups,
                           total=total, capped=capped, terms=due.TERM_FILTERS,
                           details_url=url_for("appeals.details", appeal_id=0)[:-1])
