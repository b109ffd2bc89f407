"""Account rules: registration, password checks, login throttling, recovery tokens."""
import datetime as dt
import secrets

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from models import Consent, LegalDocument, LoginAttempt, User, audit, db, utcnow

MAX_FAILURES = 5  # failed logins from one address before it waits
ACCOUNT_FAILURES = 20  # failed logins to one account from anywhere before strangers wait
BASE_WAIT = dt.timedelta(minutes=1)  # the first wait; each further failure doubles it
FAILURE_WINDOW = dt.timedelta(minutes=15)  # failures older than this are forgotten
TRUSTED_ADDRESS_AGE = dt.timedelta(days=90)
RESET_MAX_AGE = 3600  # seconds a recovery link lives
MIN_PASSWORD = 8
HASH_METHOD = "scrypt"  # tests swap in a cheap method; production keeps scrypt


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=HASH_METHOD)


def password_problem(password: str, email: str) -> str | None:
    """Why a new password is unacceptable, in Russian, or None."""
    if len(password or "") < MIN_PASSWORD:
        return f"Пароль должен содержать не менее {MIN_PASSWORD} символов"
    if password.strip().lower() == (email or "").strip().lower():
        return "Пароль не должен совпадать с адресом электронной почты"
    return None


def _failures_since(condition, since: dt.datetime) -> list[dt.datetime]:
    """Times of the failed attempts matching `condition` since `since`, newest first."""
    return [row.at for row in LoginAttempt.select(LoginAttempt.at)
            .where(condition & (LoginAttempt.success == False)  # noqa: E712
                   & (LoginAttempt.at > since))
            .order_by(LoginAttempt.at.desc())]


def _growing_wait(failures: list[dt.datetime], allowed: int) -> dt.datetime | None:
    """After `allowed` failures each further one doubles the wait (1, 2, 4 … minutes, at
    most the window), counted from the latest failure; None while under the allowance."""
    extra = len(failures) - allowed
    if extra < 0:
        return None
    wait = min(BASE_WAIT * (2 ** min(extra, 10)), FAILURE_WINDOW)
    return failures[0] + wait


def _trusted_address(email: str, ip: str, now: dt.datetime) -> bool:
    """Whether the account logged in successfully from this address lately: its owner's
    usual address is not slowed down by failures that come from elsewhere."""
    return bool(ip) and LoginAttempt.select().where(
        (LoginAttempt.email == email) & (LoginAttempt.ip == ip) & (LoginAttempt.success == True)  # noqa: E712
        & (LoginAttempt.at > now - TRUSTED_ADDRESS_AGE)).exists()


def locked_until(email: str, ip: str = "", now: dt.datetime | None = None) -> dt.datetime | None:
    """When the next login attempt for this e-mail from this address is allowed, or None.

    Growing delays instead of a hard lock: failures from one address slow down that
    address (after MAX_FAILURES); failures from everywhere slow the account down only
    after ACCOUNT_FAILURES and never for an address the account recently logged in from,
    so a stranger's guesses cannot lock the owner out."""
    now = now or utcnow()
    since = now - FAILURE_WINDOW
    waits = [_growing_wait(_failures_since((LoginAttempt.email == email)
                                           & (LoginAttempt.ip == ip), since), MAX_FAILURES)]
    if not _trusted_address(email, ip, now):
        waits.append(_growing_wait(_failures_since(LoginAttempt.email == email, since),
                                   ACCOUNT_FAILURES))
    until = max((w for w in waits if w), default=None)
    return until if until and until > now else None


_dummy_hashes: dict = {}


def _dummy_hash() -> str:
    """A hash of the current method to check unknown accounts against: the unknown-user
    path then costs what a wrong password costs, and timing tells nothing."""
    if HASH_METHOD not in _dummy_hashes:
        _dummy_hashes[HASH_METHOD] = hash_password(secrets.token_urlsafe(16))
    return _dummy_hashes[HASH_METHOD]


def authenticate(email: str, password: str, ip: str = "") -> tuple[User | None, dt.datetime | None]:
    """(user, None) on success; (None, until) while throttled; (None, None) when wrong."""
    email = (email or "").strip().lower()
    until = locked_until(email, ip)
    if until:
        return None, until
    user = User.by_email(email)
    matches = check_password_hash(user.password_hash if user else _dummy_hash(), password or "")
    ok = bool(user and user.is_active and matches)
    with db.atomic():
        LoginAttempt.create(email=email, ip=ip, success=ok)
        audit("login" if ok else "login_failed", actor=user if ok else None, obj=user,
              details=email, ip=ip)
    return (user, None) if ok else (None, None)


def rotate_session_token(user: User):
    """A new session token: every session of the account ends (logout, password change)."""
    user.session_token = secrets.token_urlsafe(32)
    User.update(session_token=user.session_token).where(User.id == user.id).execute()


def set_password(user: User, password: str):
    """Store a new password and sign out every other session (new session token)."""
    user.password_hash = hash_password(password)
    user.session_token = secrets.token_urlsafe(32)
    user.save()


def check_password(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password or "")


def _reset_serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="password-reset")


def make_reset_token(user: User, secret_key: str) -> str:
    """A link token bound to the current password hash: it dies when the password changes."""
    return _reset_serializer(secret_key).dumps({"id": user.id, "pw": user.password_hash[-16:]})


def user_for_reset_token(token: str, secret_key: str) -> User | None:
    """The user a valid, unexpired, unused token belongs to, else None."""
    try:
        data = _reset_serializer(secret_key).loads(token, max_age=RESET_MAX_AGE)
    except (SignatureExpired, BadSignature):
        return None
    user = User.get_or_none(User.id == data.get("id"))
    if not user or not user.is_active or user.password_hash[-16:] != data.get("pw"):
        return None
    return user


def record_consents(user: User, ip: str, user_agent: str):
    """Store acceptance of the current version of each registration document."""
    for key in (LegalDocument.PERSONAL_DATA, LegalDocument.E_INTERACTION):
        Consent.create(user=user, document=LegalDocument.current(key), ip=ip,
                       user_agent=(user_agent or "")[:500])
