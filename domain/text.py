"""Rich text from users (comments, messages) reduced to a safe subset of HTML with nh3."""
import html as html_lib
import re

import nh3

ALLOWED_TAGS = {"p", "br", "b", "strong", "i", "em", "u", "ul", "ol", "li", "a", "blockquote",
                "h3", "h4", "s", "div", "span"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


def clean_html(html: str | None) -> str:
    """Sanitised HTML: script, styles, event handlers and unknown tags removed."""
    cleaned = nh3.clean(html or "", tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                        url_schemes={"http", "https", "mailto"}, link_rel="noopener nofollow")
    return cleaned.strip()


def html_to_text(html: str | None) -> str:
    """Plain text of sanitised HTML, for e-mails and the search column."""
    text = re.sub(r"<\s*(br|/p|/div|/li|/h\d)\s*/?>", "\n", html or "", flags=re.I)
    text = nh3.clean(text, tags=set())
    return re.sub(r"\n{3,}", "\n\n", html_lib.unescape(text)).strip()


def is_blank(html: str | None) -> bool:
    return not html_to_text(html).strip()


def _is_plain(value: str) -> bool:
    """True for text from a plain textarea: no tag in it (the editor's value has tags)."""
    return not re.search(r"<\s*/?\s*[a-zA-Z]", value)


def clean_rich_text(value: str | None) -> str:
    """Rich text from the editor (HTML) or a plain textarea (text with line breaks), sanitised."""
    value = value or ""
    if _is_plain(value):
        paragraphs = [p for p in re.split(r"\r?\n\s*\r?\n", value.strip()) if p.strip()]
        value = "".join("<p>" + "<br>".join(html_lib.escape(line) for line in p.splitlines()) + "</p>"
                        for p in paragraphs)
    return clean_html(value)


def editor_text(value: str | None) -> str:
    """Rich text as it is put back into its editor when a form is shown again: HTML
    sanitised (clean_html), plain text (no tag) as typed, so that sending it again gives
    what sending it first would have; the page escapes it either way."""
    value = value or ""
    return value if _is_plain(value) else clean_html(value)


def lower_first(text: str) -> str:
    """The text with its first letter small, to go inside a sentence («Ваш шаг: оплатить…»)."""
    return text[:1].lower() + text[1:]
