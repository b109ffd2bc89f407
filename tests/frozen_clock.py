"""«Now» frozen for the clocks' tests: the domain operations and the timeline read it through
the `utcnow` each module imported, which the fixture replaces."""
import datetime as dt

from domain.appeals import casework, filing, incomplete
from domain.deadlines import due, recompute, reminders, timeline
from domain.deadlines.calendar import MOSCOW
from domain.files import uploads
from domain.signing import pep

MODULES = (filing, casework, incomplete, uploads, timeline, pep, reminders, recompute, due)


class Clock:
    """Set to a Moscow wall time; returns the naive UTC the models store."""

    def __init__(self):
        self.now = None

    def set(self, *args):
        self.now = (dt.datetime(*args, tzinfo=MOSCOW).astimezone(dt.timezone.utc)
                    .replace(tzinfo=None))

    def __call__(self):
        return self.now


def freeze(monkeypatch) -> Clock:
    clock = Clock()
    for module in MODULES:
        monkeypatch.setattr(module, "utcnow", clock)
    return clock


def due(year, month, day) -> dt.datetime:
    """The stored end of a term whose last day is that date: the Moscow midnight after it."""
    end = dt.datetime(year, month, day, tzinfo=MOSCOW) + dt.timedelta(days=1)
    return end.astimezone(dt.timezone.utc).replace(tzinfo=None)
