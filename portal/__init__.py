"""The applicant portal: one blueprint, views split by area."""
from flask import Blueprint

bp = Blueprint("portal", __name__)

from portal import account, auth  # noqa: E402,F401  (views register on bp)
from portal import appeal_list, appeal_view  # noqa: E402,F401
from portal import signing  # noqa: E402,F401
from portal import appeal_forms, uploads  # noqa: E402,F401
