"""The lists' text search words: folded, at most MAX_QUERY_WORDS, wildcards literal."""
from domain.appeals.listing.search import MAX_QUERY_WORDS, text_condition, words_of
from models import Appeal


def test_words_are_folded_and_bounded():
    assert words_of("  ДОГОВОР  Ёлка ") == ["договор", "елка"]
    assert len(words_of(" ".join(f"w{n}" for n in range(20)))) == MAX_QUERY_WORDS


def test_no_words_no_condition():
    assert text_condition(Appeal.search_text, "   ") is None
