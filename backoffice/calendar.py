"""«Производственный календарь» (administrators only): the year's working days as a grid of
months, as the terms count them, and the corrections that override the library's data.

The grid and the form need no script: the year switcher is two links, each correction's
delete a small form.
"""
import calendar as month_calendar
import datetime as dt
import re

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField

from backoffice.access import AdminOnlyMixin
from domain.client_info import client_ip
from domain.deadlines import calendar, corrections
from domain.errors import Refusal
from models import CalendarCorrection

WEEKDAYS = ("Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс")
MONTHS = ("Январь", "Февраль", "Март", "Апрель", "Май", "Июнь", "Июль", "Август",
          "Сентябрь", "Октябрь", "Ноябрь", "Декабрь")
# The CSS class and the visible mark of each kind of day (static/backoffice.css).
DAY_STYLE = {
    calendar.WORKDAY: ("", ""),
    calendar.WEEKEND: ("cal-off", ""),
    calendar.HOLIDAY: ("cal-holiday", ""),
    calendar.WORKING_WEEKEND: ("cal-working-weekend", "р"),
    calendar.MADE_WORKING: ("cal-made-working", "*"),
    calendar.MADE_OFF: ("cal-made-off", "*"),
}
_YEAR = re.compile(r"[0-9]{4}")


class CorrectionForm(FlaskForm):
    """A date made working or non-working; the domain checks every field."""
    date = StringField("Дата", render_kw={"type": "date"})
    kind = RadioField("День", choices=list(corrections.KIND_LABELS.items()),
                      validate_choice=False)
    reason = StringField("Причина")


def year_grid(year: int, in_force: calendar.WorkingCalendar) -> list[dict]:
    """The year's months: name, weeks of seven cells (a Day, None outside the month),
    the number of working days."""
    months = []
    for month in range(1, 13):
        weeks = [[in_force.describe(day) if day.month == month else None for day in week]
                 for week in month_calendar.Calendar().monthdatescalendar(year, month)]
        working = sum(day.working for week in weeks for day in week if day)
        months.append({"name": MONTHS[month - 1], "weeks": weeks, "working": working})
    return months


def _year_asked() -> int:
    """?year=YYYY within the calendar's years (404 otherwise); this Moscow year without it."""
    text = request.args.get("year")
    if text is None:
        return calendar.moscow_date(dt.datetime.now(dt.timezone.utc)).year
    if not _YEAR.fullmatch(text) or int(text) not in corrections.YEARS:
        abort(404)
    return int(text)


class CalendarView(AdminOnlyMixin, BaseView):
    """The grid of the year, the form of a correction, the year's corrections."""

    def _page(self, year: int, form: CorrectionForm):
        in_force = calendar.current()
        return self.render("backoffice/calendar.html", year=year, form=form,
                           months=year_grid(year, in_force), weekdays=WEEKDAYS,
                           styles=DAY_STYLE, corrections=corrections.corrections_of(year),
                           kinds=corrections.KIND_LABELS, years=corrections.YEARS,
                           transfers_known=calendar.transfers_known(year))

    @expose("/")
    def index(self):
        form = CorrectionForm(formdata=None, kind=corrections.OFF)
        return self._page(_year_asked(), form)

    @expose("/corrections", methods=("POST",))
    def add(self):
        form = CorrectionForm()
        if form.validate_on_submit():
            try:
                made = corrections.add_correction(
                    form.date.data, form.kind.data, form.reason.data,
                    actor=current_user._get_current_object(), ip=client_ip())
            except Refusal as refusal:
                refusal.show_on(form)
            else:
                flash(f"Поправка внесена: {corrections.describe(made)}", "success")
                return redirect(url_for(".index", year=made.date.year))
        day = corrections.parse_day(form.date.data)
        if day:
            form.date.data = day.isoformat()  # what <input type="date"> shows
        year = day.year if day and day.year in corrections.YEARS else _year_asked()
        return self._page(year, form)

    @expose("/corrections/<int:correction_id>/delete", methods=("POST",))
    def delete(self, correction_id: int):
        correction = CalendarCorrection.get_or_none(CalendarCorrection.id == correction_id)
        if correction is None:
            abort(404)
        corrections.delete_correction(correction, actor=current_user._get_current_object(),
                                      ip=client_ip())
        flash(f"Поправка удалена: {corrections.describe(correction)}", "success")
        return redirect(url_for(".index", year=correction.date.year))
