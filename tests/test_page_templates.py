"""No page template or script of ours holds what the Content-Security-Policy refuses: inline
script (a <script> without src and without the request's nonce, on*= handlers, javascript:
URLs) or inline style (<style>, style=). E-mail templates are not pages and keep theirs."""
import re

import pytest

from tests.conftest import ROOT

TEMPLATES = ROOT / "templates"
PAGE_TEMPLATES = sorted(p for p in TEMPLATES.rglob("*.html")
                        if TEMPLATES / "email" not in p.parents)
SCRIPTS = sorted((ROOT / "static").glob("*.js"))  # ours; static/vendor/ is CryptoPro's

JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
NONCE = re.compile(r"\bnonce=|admin_csp_nonce_attribute")
HANDLER = re.compile(r"""(?<![\w-])on[a-z]{3,}\s*=\s*["'{]""", re.IGNORECASE)
STYLE = re.compile(r"<style\b|(?<![\w-])style\s*=", re.IGNORECASE)
JS_URL = re.compile(r"javascript:", re.IGNORECASE)


def refused_parts(markup: str) -> list[str]:
    """What in a template's source the policy would refuse, for the failure message."""
    markup = JINJA_COMMENT.sub("", markup)
    found = [f"<script{attrs}>" for attrs in SCRIPT_TAG.findall(markup)
             if "src=" not in attrs and not NONCE.search(attrs)]
    for pattern in (HANDLER, STYLE, JS_URL):
        found += [match.group(0) for match in pattern.finditer(markup)]
    return found


def test_the_check_finds_each_kind_of_inline_code():
    sample = ('<script>go()</script><script src="/static/a.js"></script>'
              '<script {{ admin_csp_nonce_attribute }}>ok()</script>'
              '<button onclick="go()"><form onsubmit=\'x\'><a href="javascript:void(0)">'
              '<p style="color:red"><style>p{}</style><div data-onclick="x">{# onclick="" #}')
    assert refused_parts(sample) == ["<script>", 'onclick="', "onsubmit='", "style=",
                                     "<style", "javascript:"]


@pytest.mark.parametrize("path", PAGE_TEMPLATES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_page_template_has_no_inline_script_or_style(path):
    assert refused_parts(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_our_scripts_inject_no_inline_code(path):
    """Markup a script writes (innerHTML) is held to the same rules, and no string is run
    as code (backoffice.js names javascript: links only to cancel them)."""
    source = path.read_text(encoding="utf-8")
    assert [part for part in refused_parts(source) if part.lower() != "javascript:"] == []
    assert not re.search(r"\beval\s*\(|new\s+Function\b|setAttribute\(\s*['\"](on|style)",
                         source)
