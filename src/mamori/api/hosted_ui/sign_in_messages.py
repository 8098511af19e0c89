"""What the sign-in pages say: their messages (catalogue ids, translated by the template or by
`say`), the names of MFA factors and attributes, and a refused step's message, which never
tells whether the user exists."""

from __future__ import annotations

from mamori.api.hosted_ui import languages
from mamori.api.hosted_ui.pages import N_, Visit
from mamori.domain.errors import (
    BlockReason,
    CodeMismatchException,
    LimitExceededException,
    NotAuthorizedException,
    ServiceError,
    TooManyRequestsException,
    UserLambdaValidationException,
    UserNotFoundException,
)
from mamori.domain.userpools.mfa_settings import MfaFactor

# Cognito's managed login: the one message for an unknown user and a wrong password.
WRONG = N_("Incorrect username or password.")
LOCKED = N_("Password attempts exceeded. Please wait a while and try again.")
THROTTLED = N_("Too many requests. Please wait a moment and try again.")
TOO_MANY_ATTEMPTS = N_("Too many attempts. Please wait a while and try again.")
DISABLED = N_("User is disabled.")
# Threat protection refused a right password found on a breached-password list (the user must
# now reset it: the next sign-in goes to the reset page).
BLOCKED = N_("This sign-in was blocked for security reasons. Please reset your password.")
# Threat protection refused the sign-in as a risk (the level's BLOCK, MFA_REQUIRED without MFA,
# a blocked address range): no reset to advise, and nothing an attacker could use (no level,
# no signal, never whether the user exists: a blocked range is refused whatever the username).
RISK_BLOCKED = N_(
    "This sign-in was blocked because it looked unusual. Please try again from a device and "
    "network you usually use, or contact your administrator."
)
NO_PROVIDER = N_("No identity provider signs in this email address. Check it, or sign in below.")
# The same on a login page without the pool's own form (a client without COGNITO).
NO_PROVIDER_ONLY = N_("No identity provider signs in this email address. Please check it.")
TEMPORARY_EXPIRED = N_(
    "Your temporary password has expired. Please ask your administrator to reset it."
)
START_AGAIN = N_("This sign-in has expired or was already used. Please sign in again.")
WRONG_CODE = N_("The code is not correct. Please check it and try again.")
USERNAME_NEEDED = N_("Please enter your username.")
PASSWORD_NEEDED = N_("Please enter your password.")
CODE_NEEDED = N_("Please enter the code.")
PASSWORDS_DIFFER = N_("The passwords do not match.")
INVALID_DETAILS = N_("Some of the details are not valid: %(detail)s")
NOT_AVAILABLE = N_("This way of signing in is not available. Please choose another.")
SOMETHING_WRONG = N_("Something went wrong. Please try again.")
# Cognito's managed login, for a way of signing in the app client does not offer (a password
# for a client whose SupportedIdentityProviders lack COGNITO).
OPTION_UNAVAILABLE = N_("Login option is not available. Please try another one.")
FACTOR_NAMES = {
    MfaFactor.SMS_MFA.value: N_("Text message (SMS)"),
    MfaFactor.SOFTWARE_TOKEN_MFA.value: N_("Authenticator app"),
    MfaFactor.EMAIL_OTP.value: N_("Email"),
}
ATTRIBUTE_LABELS = {
    "email": N_("Email address"),
    "phone_number": N_("Phone number"),
    "name": N_("Name"),
    "given_name": N_("Given name"),
    "family_name": N_("Family name"),
    "middle_name": N_("Middle name"),
    "nickname": N_("Nickname"),
    "preferred_username": N_("Preferred username"),
    "birthdate": N_("Date of birth"),
    "address": N_("Address"),
    "gender": N_("Gender"),
    "locale": N_("Locale"),
    "picture": N_("Picture URL"),
    "profile": N_("Profile URL"),
    "website": N_("Website"),
    "zoneinfo": N_("Time zone"),
    "updated_at": N_("Updated at"),
}
ATTRIBUTE_AUTOCOMPLETE = {
    "email": "email",
    "phone_number": "tel",
    "name": "name",
    "given_name": "given-name",
    "family_name": "family-name",
    "middle_name": "additional-name",
    "nickname": "nickname",
    "birthdate": "bday",
    "address": "street-address",
    "gender": "sex",
    "locale": "language",
    "picture": "photo",
    "website": "url",
}


def say(visit: Visit, message: str, **values: str) -> str:
    """`message` (a catalogue id) in the visit's language, its placeholders filled; for
    field errors and messages with values (base.html translates a plain `error` itself)."""
    text = languages.translations(visit.lang).gettext(message)
    return text % values if values else text


def detail_error(visit: Visit, message: str, **values: str) -> str:
    """An `error` with values, translated here; "%" doubled, as base.html's gettext formats."""
    return say(visit, message, **values).replace("%", "%%")


def sign_in_message(exc: ServiceError) -> str:
    """What a refused sign-in step tells the user: never whether the user exists."""
    if isinstance(exc, TooManyRequestsException):
        return THROTTLED
    if isinstance(exc, LimitExceededException):
        return TOO_MANY_ATTEMPTS
    if isinstance(exc, CodeMismatchException):
        return WRONG_CODE
    if isinstance(exc, NotAuthorizedException):
        if exc.message.startswith("Password attempts exceeded"):
            return LOCKED
        if exc.message == "User is disabled.":
            return DISABLED  # told only after the right password, as Cognito's pages do
        if exc.message.startswith("Temporary password has expired"):
            return TEMPORARY_EXPIRED
        if exc.message.startswith("Invalid session"):
            return START_AGAIN
        # Cognito answers both with one message: the reason tells them apart.
        if exc.reason is BlockReason.COMPROMISED_CREDENTIALS:
            return BLOCKED  # told only after the right password, as the API tells it
        if exc.reason is BlockReason.RISK:
            # After the right password (a level's action) as the API tells it; a blocked range
            # before it, but whatever the username and password, so it tells nothing of either.
            return RISK_BLOCKED
        return WRONG
    if isinstance(exc, UserNotFoundException):
        return WRONG
    if isinstance(exc, UserLambdaValidationException):
        # Cognito's managed login shows the pool's own function's refusal as it is worded
        # ("PreAuthentication failed with error ..."): the app's words for its users.
        return exc.message
    return SOMETHING_WRONG
