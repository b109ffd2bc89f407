"""The one refusal type of the domain: what the user did that cannot be done, in Russian.

Every operation that refuses raises Refusal; views catch it and show `message` next to the
form field it names (`errors` maps several fields at once; show_on() puts them on a WTForms
form), or answer `status` to a script.
Nothing is ever decided by reading the message text.
"""


class Refusal(ValueError):
    """A refused action with a Russian message for the user.

    field: the form field the message belongs beside (None: the whole form).
    errors: {field: message} when several fields are wrong at once.
    status: the HTTP status a view answers with (400; 413 for a too large file, 409 …).
    documents: for upload refusals, the documents that were kept (the others' rows).
    """

    def __init__(self, message: str, field: str | None = None, errors: dict | None = None,
                 status: int = 400):
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors = dict(errors) if errors else ({field: message} if field else {})
        self.status = status
        self.documents: list = []

    def __str__(self):
        return self.message

    def show_on(self, form):
        """Put the messages beside the fields of a (WTForms) form they name; a message that
        names no field of the form joins form.form_errors (the whole form's)."""
        for name, message in (self.errors or {None: self.message}).items():
            field = form[name] if name and name in form else None
            if field is None:
                form.form_errors.append(message)
            else:
                field.errors = [*field.errors, message]

    @classmethod
    def of(cls, errors: dict, status: int = 400) -> "Refusal":
        """One refusal carrying several fields' messages (the first one is the message)."""
        field, message = next(iter(errors.items()))
        return cls(message, field, errors, status)
