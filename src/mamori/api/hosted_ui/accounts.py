"""What the account pages (sign-up, confirmation, password reset) share, the first also with the
sign-in pages: the pool and client a visit is for, how the pool names its users (username,
email or phone number), the API's rate limits by operation name, refusals put into the page in
the user's language, the redirect that tells where a code went, and the page a flow ends on."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from mamori.api.hosted_ui import languages
from mamori.api.hosted_ui.account_errors import Refusal
from mamori.api.hosted_ui.pages import N_, Pages, Visit
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.user_pool import UserPool

# The username field's label and input, by the pool's UsernameAttributes.
_USERNAME_LABELS = {
    (): N_("Username"),
    ("email",): N_("Email address"),
    ("phone_number",): N_("Phone number"),
}
EMAIL_OR_PHONE = N_("Email address or phone number")
PHONE_HINT = N_("Include the country code, for example +81 90 1234 5678 as +819012345678.")


@dataclass(frozen=True)
class UsernameField:
    """The username input of a pool's forms: the field is always named `username`."""

    label: str  # a catalogue id
    type: str
    autocomplete: str
    hint: str | None = None


def username_field(pool: UserPool) -> UsernameField:
    kinds = tuple(sorted(pool.username_attributes))
    if kinds == ("email",):
        return UsernameField(_USERNAME_LABELS[kinds], "email", "username email")
    if kinds == ("phone_number",):
        return UsernameField(_USERNAME_LABELS[kinds], "tel", "username tel", PHONE_HINT)
    if kinds:
        return UsernameField(EMAIL_OR_PHONE, "text", "username")
    return UsernameField(_USERNAME_LABELS[()], "text", "username")


async def pool_and_client(pages: Pages, visit: Visit) -> tuple[UserPool, AppClient]:
    auth = visit.authorization
    return await pages.services.clients.client_in_pool(auth.pool_id, auth.client_id)


async def check_rate(pages: Pages, visit: Visit, operation: str, username: str) -> None:
    """The API's rate limits for `operation` (by its AWS name), before the service runs, as
    the AWS dispatcher applies them: TooManyRequestsException when exceeded."""
    client = visit.request.client
    ip = client.host if client else ""
    await pages.services.guard.check_operation(
        operation, ip, visit.authorization.client_id, username
    )


def say(visit: Visit, message: str, **values: Any) -> str:
    """`message` (a catalogue id) in the visit's language, its placeholders filled."""
    text = languages.translations(visit.lang).gettext(message)
    return text % values if values else text


def form_error(visit: Visit, message: str, **values: Any) -> str:
    """A form-level error for base.html, which passes `error` through the template's gettext
    (newstyle: `%` formats): translated here, its "%" kept literal."""
    return say(visit, message, **values).replace("%", "%%")


def refusal_values(visit: Visit, refusal: Refusal, shown: Collection[str]) -> dict[str, Any]:
    """`error` or `field_errors` for `Pages.render`: on its field when the form shows that
    field (`shown`), else for the whole form."""
    text = say(visit, refusal.message, **refusal.values)
    if refusal.on is None or refusal.on not in shown:
        return {"error": text.replace("%", "%%")}
    return {"field_errors": {refusal.on: text}}


@dataclass(frozen=True)
class Sent:
    """Where a code went, as the page after a POST tells it (`kind`: "signup", "resent" or
    "reset"); `medium` EMAIL or SMS, `destination` masked."""

    kind: str
    medium: str
    destination: str


def _sent_form(username: str, sent: Sent) -> str:
    return "\x00".join(("sent", username, sent.kind, sent.medium, sent.destination))


def sent_params(pages: Pages, visit: Visit, username: str, sent: Sent) -> dict[str, str]:
    """Query parameters for the page a POST redirects to (303), naming the user and where the
    code went, with a keyed MAC bound to the browser's CSRF cookie: no link can make a page
    claim a code was sent somewhere."""
    proof = pages.services.form_tokens.token(visit.csrf_cookie, _sent_form(username, sent))
    return {
        "username": username,
        "sent": sent.kind,
        "medium": sent.medium,
        "destination": sent.destination,
        "proof": proof,
    }


def sent_of(pages: Pages, visit: Visit) -> Sent | None:
    """The `sent_params` of this GET, when their MAC holds."""
    query = visit.request.query_params
    sent = Sent(query.get("sent", ""), query.get("medium", ""), query.get("destination", ""))
    cookie = None if visit.new_cookie else visit.csrf_cookie
    form = _sent_form(query.get("username", ""), sent)
    if not pages.services.form_tokens.check(cookie, form, query.get("proof")):
        return None
    return sent


def redirect_sent(
    pages: Pages, visit: Visit, path: str, username: str, sent: Sent, **extra: str
) -> Response:
    """The 303 after a POST that sent a code: to the page `path`, telling it where it went."""
    params = sent_params(pages, visit, username, sent)
    return pages.redirect(visit, visit.url(path, **params, **extra))


def done_page(
    pages: Pages, visit: Visit, heading: str, message: str, status: int = 200
) -> Response:
    """The page an account flow ends on: `heading` and `message` (catalogue ids) and a link
    to sign in."""
    return pages.render(
        visit,
        "done.html",
        status,
        heading=heading,
        message=say(visit, message),
        link_sign_in=True,
    )
