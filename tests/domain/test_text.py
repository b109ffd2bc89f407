"""Rich text put back into its editor when a form is shown again: sanitised, never as posted."""
from domain.text import clean_rich_text, editor_text
from tests.data import HOSTILE_RICH_TEXT, SANITISED_RICH_TEXT


def test_html_goes_back_into_the_editor_sanitised():
    assert editor_text(HOSTILE_RICH_TEXT) == SANITISED_RICH_TEXT


def test_plain_text_goes_back_as_typed_and_sends_as_it_would_have():
    typed = "ООО «Ромашка» & партнеры\n\nвторой абзац"
    assert editor_text(typed) == typed
    assert clean_rich_text(editor_text(typed)) == clean_rich_text(typed)
    assert clean_rich_text(editor_text(HOSTILE_RICH_TEXT)) == clean_rich_text(HOSTILE_RICH_TEXT)
    assert editor_text(None) == ""
