"""The legal clocks of Decree 861: the Russian working-day calendar the Rules count in
(calendar.py), with the administrator's corrections over the library's data, and the terms
counted on it."""
