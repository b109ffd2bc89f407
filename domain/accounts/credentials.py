"""Account rules: registration, password checks, login throttling, recovery tokens."""
import datetime as dt
import secrets

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from models import Consent, LegalDocument, LoginAttempt, User, audit, db, utcnow

MAX_FAILURES = 5
FAILURE_WINDOW = dt.timedelta(minutes=15)
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


def locked_until(email: str, now: dt.datetime | None = None) -> dt.datetime | None:
    """When login for this e-mail opens again after too many failures, or None."""
    now = now or utcnow()
    failures = list(LoginAttempt.select(LoginAttempt.at)
                    .where((LoginAttempt.email == email) & (LoginAttempt.success == False)  # noqa: E712
                           & (LoginAttempt.at > now - FAILURE_WINDOW))
                    .order_by(LoginAttempt.at.desc()).limit(MAX_FAILURES))
    if len(failures) < MAX_FAILURES:
        return None
    # The window reopens when the oldest of the last five failures leaves it.
    return failures[-1].at + FAILURE_WINDOW


def authenticate(email: str, password: str, ip: str = "") -> tuple[User | None, dt.datetime | None]:
    """(user, None) on success; (None, until) while throttled; (None, None) when wrong."""
    email = (email or "").strip().lower()
    until = locked_until(email)
    if until:
        return None, until
    user = User.by_email(email)
    ok = bool(user and user.is_active and check_password_hash(user.password_hash, password or ""))
    with db.atomic():
        LoginAttempt.create(email=email, ip=ip, success=ok)
        audit("login" if ok else "login_failed", actor=user if ok else None, obj=user,
              details=email, ip=ip)
    return (user, None) if ok else (None, None)


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
