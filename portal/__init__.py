"""The applicant portal: one blueprint, views split by area."""
from flask import Blueprint

bp = Blueprint("portal", __name__)

from portal import account, auth  # noqa: E402,F401  (views register on bp)
