"""WTForms of the applicant portal, with identifier checks for each legal form."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from domain import identifiers as ids
from domain.accounts.credentials import password_problem
from models import User

REQUIRED = "Заполните поле"
EMAIL_BAD = "Введите корректный адрес электронной почты, например ivanov@mail.ru"

# Which identity fields each legal form asks for (beyond names, e-mail and phone).
FORM_FIELDS = {
    User.PERSON: ("snils",),
    User.SOLE_TRADER: ("inn", "ogrnip"),
    User.COMPANY: ("company_name", "inn", "ogrn", "kpp"),
}


def _normalizer(field_name, legal_form):
    return {
        "snils": ids.normalize_snils,
        "inn": lambda v: ids.normalize_inn(v, "legal" if legal_form == User.COMPANY else "person"),
        "ogrn": ids.normalize_ogrn,
        "ogrnip": ids.normalize_ogrnip,
        "kpp": ids.normalize_kpp,
        "phone": ids.normalize_mobile_phone,
    }.get(field_name)


class IdentityMixin:
    """Names, identifiers and phone, checked for the chosen legal form."""
    last_name = StringField("Фамилия", validators=[Length(max=100)])
    first_name = StringField("Имя", validators=[Length(max=100)])
    middle_name = StringField("Отчество", validators=[Optional(), Length(max=100)])
    company_name = StringField("Наименование", validators=[Length(max=500)])
    snils = StringField("СНИЛС")
    inn = StringField("ИНН")
    ogrnip = StringField("ОГРНИП")
    ogrn = StringField("ОГРН")
    kpp = StringField("КПП")
    phone = StringField("Сотовый телефон")

    def identity_fields(self, legal_form, with_ids=True):
        names = ["last_name", "first_name"]
        if with_ids:
            names += list(FORM_FIELDS.get(legal_form, ()))
        elif legal_form == User.COMPANY:
            names.append("company_name")
        return names

    def check_identity(self, legal_form, with_ids=True, with_phone=True) -> dict:
        """Validate the fields of this legal form; returns their cleaned values."""
        cleaned = {"middle_name": (self.middle_name.data or "").strip()}
        names = self.identity_fields(legal_form, with_ids) + (["phone"] if with_phone else [])
        for name in names:
            field = getattr(self, name)
            value = (field.data or "").strip()
            if not value:
                field.errors.append(REQUIRED)
                continue
            normalize = _normalizer(name, legal_form)
            if normalize:
                try:
                    value = normalize(value)
                except ids.IdentifierError as exc:
                    field.errors.append(str(exc))
                    continue
            cleaned[name] = value
        return cleaned


class RegistrationForm(IdentityMixin, FlaskForm):
    legal_form = RadioField("Правовая форма", choices=list(User.LEGAL_FORMS.items()),
                            default=User.PERSON,
                            validators=[DataRequired("Выберите правовую форму")])
    email = EmailField("E-mail", validators=[DataRequired(REQUIRED), Email(EMAIL_BAD),
                                             Length(max=255)])
    password = PasswordField("Пароль", validators=[DataRequired(REQUIRED)])
    password2 = PasswordField("Подтвердите пароль", validators=[
        DataRequired(REQUIRED), EqualTo("password", "Пароли не совпадают")])
    consent_personal_data = BooleanField(
        "Согласие на обработку персональных данных",
        validators=[DataRequired("Необходимо принять согласие на обработку персональных данных")])
    consent_e_interaction = BooleanField(
        "Соглашение между участниками электронного взаимодействия",
        validators=[DataRequired("Необходимо принять соглашение между участниками "
                                 "электронного взаимодействия")])

    def validate_all(self) -> dict | None:
        """Full check; returns cleaned data, or None with errors attached to fields."""
        ok = self.validate()
        cleaned = self.check_identity(self.legal_form.data)
        email = (self.email.data or "").strip().lower()
        if email and not self.email.errors and User.by_email(email):
            self.email.errors.append("Пользователь с таким e-mail уже зарегистрирован")
        problem = password_problem(self.password.data or "", email)
        if self.password.data and problem:
            self.password.errors.append(problem)
        if cleaned.get("snils") and User.get_or_none(User.snils == cleaned["snils"]):
            self.snils.errors.append("Пользователь с таким СНИЛС уже зарегистрирован")
        if not ok or any(f.errors for f in self):
            return None
        cleaned.update(email=email, legal_form=self.legal_form.data)
        return cleaned


class LoginForm(FlaskForm):
    # No account has a longer login (User.email), and the attempt's row could not hold it.
    email = StringField("E-mail", validators=[
        DataRequired(REQUIRED), Length(max=255, message="E-mail не длиннее 255 символов")])
    password = PasswordField("Пароль", validators=[DataRequired(REQUIRED)])


class ForgotForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(REQUIRED), Email(EMAIL_BAD)])


class NewPasswordMixin:
    new_password = PasswordField("Новый пароль", validators=[DataRequired(REQUIRED)])
    new_password2 = PasswordField("Подтвердите пароль", validators=[
        DataRequired(REQUIRED), EqualTo("new_password", "Пароли не совпадают")])

    def check_new_password(self, email: str) -> bool:
        problem = password_problem(self.new_password.data or "", email)
        if self.new_password.data and problem:
            self.new_password.errors.append(problem)
        return not problem


class ResetForm(NewPasswordMixin, FlaskForm):
    pass


class PasswordForm(NewPasswordMixin, FlaskForm):
    old_password = PasswordField("Старый пароль", validators=[DataRequired(REQUIRED)])


class ProfileForm(IdentityMixin, FlaskForm):
    notify_email = EmailField("E-mail", validators=[Optional(), Email(EMAIL_BAD), Length(max=255)])
