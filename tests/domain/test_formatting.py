"""Values as the pages and e-mails show them."""
from domain.formatting import phone_text


def test_phone_reads_as_the_applicants_list_shows_it():
    assert phone_text("+79129780113") == "+7 912 978-01-13"


def test_legacy_phone_is_shown_as_stored():
    assert phone_text("8-912") == "8-912"
    assert phone_text("") == "" and phone_text(None) == ""
