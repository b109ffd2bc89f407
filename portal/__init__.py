"""The applicant portal: one blueprint, views split by area."""
from flask import Blueprint

bp = Blueprint("portal", __name__)

from portal import (  # noqa: E402,F401  (views register on bp)  # noqa: E402,F401  # noqa: E402,F401
    account,
    appeal_forms,
    appeal_list,
    appeal_view,
    auth,
    signing,  # noqa: E402,F401
    uploads,
)
