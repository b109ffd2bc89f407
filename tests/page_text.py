"""What a user reads on a page: the HTML's visible text, whitespace collapsed."""
import re
from html import unescape


def visible_text(response) -> str:
    """The page's visible text (scripts and styles left out), whitespace collapsed."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
