"""The sign-up pages: /signup (username or email/phone by the pool's UsernameAttributes, password,
the pool's required attributes), /confirmUser (the code sent) and /resendCode. They call the
same SignUpService as the API's SignUp, ConfirmSignUp and ResendConfirmationCode, under the
same rate limits; a taken username is told only to clients with PreventUserExistenceErrors
LEGACY (docs/oauth.md, "Sign-up and password reset pages")."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from mamori.api.hosted_ui.account_errors import (
    USER_EXISTS,
    Refusal,
    password_refusal,
    refusal,
)
from mamori.api.hosted_ui.accounts import (
    PHONE_HINT,
    Sent,
    check_rate,
    done_page,
    pool_and_client,
    redirect_sent,
    refusal_values,
    say,
    sent_of,
    username_field,
)
from mamori.api.hosted_ui.pages import CSRF_FAILED, CSRF_STATUS, N_, Pages, Visit, page_route
from mamori.api.hosted_ui.sign_in_flow import SignInFlow
from mamori.api.hosted_ui.sign_in_messages import ATTRIBUTE_LABELS
from mamori.api.oauth2.session_cookie import is_https, set_session_cookie
from mamori.domain.errors import InvalidPasswordException, ServiceError, UsernameExistsException
from mamori.domain.oauth.authorization import SignedIn
from mamori.domain.userpools.mfa_settings import MfaConfiguration
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import UserStatus

# Labels of the standard attributes a pool may require, by name.
_INPUTS = {  # name -> (input type, autocomplete token)
    "name": ("text", "name"),
    "given_name": ("text", "given-name"),
    "family_name": ("text", "family-name"),
    "middle_name": ("text", "additional-name"),
    "nickname": ("text", "nickname"),
    "email": ("email", "email"),
    "phone_number": ("tel", "tel"),
    "address": ("text", "street-address"),
    "birthdate": ("date", "bday"),
    "gender": ("text", "sex"),
    "locale": ("text", "language"),
    "picture": ("url", "photo"),
    "profile": ("url", "url"),
    "website": ("url", "url"),
}
SENT_EMAIL = N_(
    "We sent a code by email to %(destination)s. Enter it below to confirm your account."
)
SENT_SMS = N_(
    "We sent a code by text message to %(destination)s. Enter it below to confirm your account."
)
RESENT = N_("We sent a new code to %(destination)s.")
NO_SIGN_UP = N_("You cannot create an account here. Please contact your administrator.")
CREATED_PENDING = N_(
    "Your account has been created. An administrator must confirm it before you can sign in."
)
# How long after signing up the confirmation still signs the user in (then: /login).
TICKET_SECONDS = 3600
CONFIRMED = N_("Your account has been confirmed. You can now sign in.")


@dataclass(frozen=True)
class AttributeField:
    """One required attribute on the sign-up form: the input is named after the attribute."""

    name: str
    label: str  # a catalogue id
    type: str
    autocomplete: str
    hint: str | None


def attribute_fields(pool: UserPool) -> list[AttributeField]:
    """The pool's required attributes and those it verifies by code (Cognito's hosted UI asks
    for both: the code needs an address), but the one its users sign up with as their
    username."""
    by_username = set(pool.username_attributes) if len(pool.username_attributes) == 1 else set()
    wanted = set(pool.auto_verified_attributes)
    out = []
    for attribute in pool.schema:
        asked = attribute.required or attribute.name in wanted
        if not asked or attribute.name == "sub" or attribute.name in by_username:
            continue
        kind, autocomplete = _INPUTS.get(attribute.name, ("text", "off"))
        hint = PHONE_HINT if attribute.name == "phone_number" else None
        label = ATTRIBUTE_LABELS.get(attribute.name, attribute.name)
        out.append(AttributeField(attribute.name, label, kind, autocomplete, hint))
    return out


def delivery_notice(visit: Visit, sent: Sent) -> str:
    if sent.kind == "resent":
        return say(visit, RESENT, destination=sent.destination)
    template = SENT_SMS if sent.medium == "SMS" else SENT_EMAIL
    return say(visit, template, destination=sent.destination)


class SignUpPages:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self.flow = SignInFlow(pages)  # its login page: for clients without COGNITO

    def routes(self) -> list[BaseRoute]:
        return [
            page_route("/signup", self.sign_up),
            page_route("/confirmUser", self.confirm),
            page_route("/resendCode", self.resend, methods=("POST",)),
        ]

    # --- /signup
    async def sign_up(self, request: Request) -> Response:
        visit = await self.pages.visit(request)
        await self.flow.pool_sign_in_only(visit)
        pool, _client = await pool_and_client(self.pages, visit)
        if pool.allow_admin_create_user_only:
            # Cognito: AdminCreateUserOnly pools offer no sign-up; the page says so plainly.
            return done_page(self.pages, visit, N_("Sign up"), NO_SIGN_UP, 403)
        if request.method == "GET":
            return self._sign_up_form(visit, pool, {})
        posted = await self.pages.posted(visit, "signup")
        values = {k: v.strip() if k != "password" else v for k, v in posted.fields.items()}
        if not posted.csrf_ok:
            return self._sign_up_form(visit, pool, values, CSRF_STATUS, error=CSRF_FAILED)
        username = values.get("username", "")
        password = posted.get("password")
        attributes = {f.name: values[f.name] for f in attribute_fields(pool) if values.get(f.name)}
        try:
            await check_rate(self.pages, visit, "SignUp", username)
            user, delivery = await self.pages.services.sign_up.hosted_sign_up(
                pool.id, visit.authorization.client_id, username, password, attributes
            )
        except InvalidPasswordException as exc:
            return self._refused(
                visit, pool, values, password_refusal(pool.password_policy, password, exc)
            )
        except UsernameExistsException:
            # Raised only for PreventUserExistenceErrors LEGACY: Cognito's hosted UI says so.
            return self._refused(visit, pool, values, Refusal(USER_EXISTS, "username"))
        except ServiceError as exc:
            return self._refused(visit, pool, values, refusal(exc))
        if user is not None and user.status is UserStatus.CONFIRMED:
            # The pool's PreSignUp function confirmed the user: signed in at once, as after
            # confirming with a code here (a pool that requires MFA asks at /login instead).
            if pool.mfa_configuration is not MfaConfiguration.ON:
                return await self._sign_in(visit, user.sub)
            return done_page(self.pages, visit, N_("Account confirmed"), CONFIRMED)
        if delivery is None:
            return done_page(self.pages, visit, N_("Sign up"), CREATED_PENDING)
        # A concealed sign-up (no user) gets a ticket like anyone's, for a sub nobody has.
        ticket = self._ticket(visit, user.sub if user is not None else str(uuid.uuid4()))
        sent = Sent("signup", delivery.medium, delivery.destination)
        return redirect_sent(self.pages, visit, "/confirmUser", username, sent, ticket=ticket)

    def _sign_up_form(
        self,
        visit: Visit,
        pool: UserPool,
        values: dict[str, str],
        status: int = 200,
        **extra: object,
    ) -> Response:
        policy = pool.password_policy
        return self.pages.render(
            visit,
            "signup.html",
            status,
            username_field=username_field(pool),
            attributes=attribute_fields(pool),
            values=values,
            policy=policy,
            **extra,
        )

    def _refused(
        self, visit: Visit, pool: UserPool, values: dict[str, str], refused: Refusal
    ) -> Response:
        shown = {"username", "password", *(f.name for f in attribute_fields(pool))}
        return self._sign_up_form(visit, pool, values, 400, **refusal_values(visit, refused, shown))

    # --- /confirmUser and /resendCode
    async def confirm(self, request: Request) -> Response:
        visit = await self.pages.visit(request)
        await self.flow.pool_sign_in_only(visit)
        pool, _client = await pool_and_client(self.pages, visit)
        if request.method == "GET":
            query = request.query_params
            sent = sent_of(self.pages, visit)
            notice = delivery_notice(visit, sent) if sent else None
            username, ticket = query.get("username", ""), query.get("ticket", "")
            return self._confirm_form(visit, pool, username, ticket=ticket, notice=notice)
        posted = await self.pages.posted(visit, "confirm")
        username, code = posted.get("username").strip(), posted.get("code").strip()
        ticket = posted.get("ticket")
        if not posted.csrf_ok:
            return self._confirm_form(visit, pool, username, CSRF_STATUS, error=CSRF_FAILED)
        auth = visit.authorization
        try:
            await check_rate(self.pages, visit, "ConfirmSignUp", username)
            user = await self.pages.services.sign_up.hosted_confirm_sign_up(
                auth.pool_id, auth.client_id, username, code
            )
        except ServiceError as exc:
            refused = refusal_values(visit, refusal(exc), {"username", "code"})
            return self._confirm_form(visit, pool, username, 400, ticket=ticket, **refused)
        if self._ticket_sub(visit, ticket) == user.sub and pool.mfa_configuration is not (
            MfaConfiguration.ON
        ):
            # Cognito's hosted UI signs in whoever just signed up and confirmed (the password
            # was theirs moments ago, in this browser); a pool that requires MFA asks for it
            # at /login instead.
            return await self._sign_in(visit, user.sub)
        return done_page(self.pages, visit, N_("Account confirmed"), CONFIRMED)

    async def resend(self, request: Request) -> Response:
        visit = await self.pages.visit(request)
        await self.flow.pool_sign_in_only(visit)
        pool, _client = await pool_and_client(self.pages, visit)
        posted = await self.pages.posted(visit, "resend")
        username, ticket = posted.get("username").strip(), posted.get("ticket")
        if not posted.csrf_ok:
            return self._confirm_form(visit, pool, username, CSRF_STATUS, error=CSRF_FAILED)
        auth = visit.authorization
        try:
            await check_rate(self.pages, visit, "ResendConfirmationCode", username)
            delivery = await self.pages.services.sign_up.hosted_resend_confirmation_code(
                auth.pool_id, auth.client_id, username
            )
        except ServiceError as exc:
            refused = refusal_values(visit, refusal(exc), {"username"})
            return self._confirm_form(visit, pool, username, 400, ticket=ticket, **refused)
        sent = Sent("resent", delivery.medium, delivery.destination)
        return redirect_sent(self.pages, visit, "/confirmUser", username, sent, ticket=ticket)

    def _confirm_form(
        self,
        visit: Visit,
        pool: UserPool,
        username: str,
        status: int = 200,
        ticket: str = "",
        **extra: object,
    ) -> Response:
        return self.pages.render(
            visit,
            "confirm_sign_up.html",
            status,
            username_field=username_field(pool),
            username=username,
            ticket=ticket,
            **extra,
        )

    # --- signing in after confirmation
    def _ticket(self, visit: Visit, sub: str) -> str:
        """Proof, for the confirmation page, that this browser just signed up `sub` (and so
        knew its password): the sub, an expiry and a keyed MAC of both with the browser's
        CSRF cookie (services/security/form_tokens.py)."""
        expires = int(self.pages.services.clock.now().timestamp()) + TICKET_SECONDS
        mac = self.pages.services.form_tokens.token(visit.csrf_cookie, _ticket_form(sub, expires))
        return f"{sub}.{expires}.{mac}"

    def _ticket_sub(self, visit: Visit, ticket: str) -> str | None:
        sub, _, rest = ticket.partition(".")
        expires, _, mac = rest.partition(".")
        if not expires.isdigit() or len(expires) > 12:
            return None
        if int(expires) < self.pages.services.clock.now().timestamp():
            return None
        cookie = None if visit.new_cookie else visit.csrf_cookie
        form = _ticket_form(sub, int(expires))
        return sub if self.pages.services.form_tokens.check(cookie, form, mac) else None

    async def _sign_in(self, visit: Visit, sub: str) -> Response:
        """The login session and the redirect to the client, as the sign-in page does."""
        services = self.pages.services
        signed_in = SignedIn(sub, int(services.clock.now().timestamp()))
        value = await services.login_sessions.start(visit.ctx.pool_id, signed_in)
        location = await services.authorize.complete(visit.authorization, signed_in)
        response = self.pages.redirect(visit, location)
        set_session_cookie(response, visit.ctx, value, is_https(visit.ctx))
        return response


def _ticket_form(sub: str, expires: int) -> str:
    return f"signed-up\x00{sub}\x00{expires}"


def sign_up_routes(pages: Pages) -> list[BaseRoute]:
    return SignUpPages(pages).routes()
