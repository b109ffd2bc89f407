"""The security headers of every response, the portal's and the back office's.

Content-Security-Policy: scripts, styles, fonts and frames only from the portal itself; no
inline script (the templates load static files and pass parameters in data-* attributes).
Flask-Admin's templates write a few inline scripts of their own (the modal forms); they carry
the request's nonce (`csp_nonce`, Flask-Admin's csp_nonce_generator), which the policy of
that response then names. Strict-Transport-Security only behind HTTPS
(SESSION_COOKIE_SECURE); Permissions-Policy turns off the device APIs no page uses.
"""
import secrets

from flask import current_app, g

# «КриптоПро ЭЦП Browser plug-in»: CryptoPro's cadesplugin_api.js (static/vendor/, when the
# deployment places it) adds the browser extension's nmcades_plugin_api.js as a <script>:
# from the Chrome Web Store's and the Opera store's extension, or, in Firefox and Safari,
# from an extension URL whose id differs per installation (hence the bare schemes).
CRYPTOPRO_EXTENSION = ("chrome-extension://iifchhfnnmpdbibifmljnfjhpififfog",
                       "chrome-extension://epebfcehmdedogndhlcacafjaacknbcm",
                       "moz-extension:", "safari-extension:")

POLICY = (
    ("default-src", ("'self'",)),
    ("script-src", ("'self'", *CRYPTOPRO_EXTENSION)),
    ("style-src", ("'self'",)),
    # Bootstrap's and Flask-Admin's style sheets draw checkboxes and arrows as data: images.
    ("img-src", ("'self'", "data:")),
    ("object-src", ("'none'",)),
    ("base-uri", ("'none'",)),
    ("form-action", ("'self'",)),
    ("frame-ancestors", ("'self'",)),
)

# Device and payment APIs: no page of the portal asks for them, so no script may.
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "camera", "display-capture", "geolocation", "gyroscope",
    "hid", "magnetometer", "microphone", "midi", "payment", "serial", "usb"))

HSTS = "max-age=31536000; includeSubDomains"  # one year

_NONCE = "csp_nonce"  # the g attribute holding this request's nonce


def csp_nonce() -> str:
    """This request's nonce for inline scripts (made on first use; then the response's
    policy allows the scripts that carry it, and only in this response)."""
    if _NONCE not in g:
        setattr(g, _NONCE, secrets.token_urlsafe(18))
    return getattr(g, _NONCE)


def content_security_policy(nonce: str | None = None) -> str:
    """The policy text; with a nonce, inline scripts carrying it are allowed too."""
    parts = []
    for directive, sources in POLICY:
        if nonce and directive == "script-src":
            sources = (*sources, f"'nonce-{nonce}'")
        parts.append(f"{directive} {' '.join(sources)}")
    return "; ".join(parts)


def add_security_headers(response):
    """Set the headers a view did not set itself (a download keeps its sandbox policy)."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(g.get(_NONCE)))
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    headers.setdefault("Referrer-Policy", "same-origin")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        # Browsers ignore it over plain HTTP; behind HTTPS they never fall back to HTTP.
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response
