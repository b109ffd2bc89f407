"""The appeal lists of both sides: the applicant's «Список обращений» and the back
office's «Входящие», «Все обращения» and «Архив».

params (the query string: filters, sorts, kinds, states, dates), filters (them as
conditions), search (the text search), keyset (pages by date and id), counting (capped
totals) and queries (each side's SELECT: what differs by side — who may see a row, the
unread marks, the presets — is passed in).
"""
