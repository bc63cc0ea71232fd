"""Django password validators built on password_rules.py (offline: nothing is fetched when a password is checked).

Listed in AUTH_PASSWORD_VALIDATORS beside Django's own, so every password set here (the administration pages,
`createsuperuser`, `changepassword`) goes through them."""

from functools import cache

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError

from connecting_people.accounts import password_rules

SERVICE_NAMES = ("Connecting People",)


@cache
def _common_passwords() -> frozenset[str]:
    """Django's list of about 20,000 passwords seen most often in breaches (it ships with Django)."""
    return frozenset(CommonPasswordValidator().passwords)


class _RuleValidator:
    code = "password_too_guessable"
    help_text = ""

    def problem(self, password: str, user=None) -> str | None:
        raise NotImplementedError

    def validate(self, password: str, user=None) -> None:
        message = self.problem(password, user)
        if message:
            raise ValidationError(message, code=self.code)

    def get_help_text(self) -> str:
        return self.help_text


class RepetitionValidator(_RuleValidator):
    code = "password_repeated"
    help_text = "Your password cannot be one short piece repeated."

    def problem(self, password, user=None):
        return password_rules.repetition_problem(password)


class VarietyValidator(_RuleValidator):
    code = "password_low_variety"

    def __init__(self, minimum: int = password_rules.MIN_DIFFERENT_CHARACTERS):
        self.minimum = minimum
        self.help_text = f"Your password must use at least {minimum} different characters."

    def problem(self, password, user=None):
        return password_rules.variety_problem(password, self.minimum)


class SequenceValidator(_RuleValidator):
    code = "password_sequence"
    help_text = "Your password cannot be mostly keys or letters in order, such as qwerty or abcd."

    def problem(self, password, user=None):
        return password_rules.sequence_problem(password)


class ServiceNameValidator(_RuleValidator):
    code = "password_service_name"
    help_text = "Your password cannot contain the name of this service."

    def __init__(self, names: tuple[str, ...] = SERVICE_NAMES):
        self.names = tuple(names)

    def problem(self, password, user=None):
        return password_rules.name_problem(password, self.names)


class CommonVariantValidator(_RuleValidator):
    code = "password_common_variant"
    help_text = "Your password cannot be a common password with capitals, digits or symbols added."

    def problem(self, password, user=None):
        return password_rules.common_problem(password, _common_passwords())
