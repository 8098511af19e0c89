"""What the sign-in pages (sign_in.py, mfa.py) share: a challenge answered through
AuthService.hosted_respond, the page that follows each step (the next challenge's form, or the
end: the login session's cookie and AuthorizeService's redirect), and the login form again."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mamori.api.hosted_ui.accounts import pool_and_client, username_field
from mamori.api.hosted_ui.challenge_forms import ChallengeForms
from mamori.api.hosted_ui.forms import read_form
from mamori.api.hosted_ui.pages import PageExit, Pages, Posted, Visit
from mamori.api.hosted_ui.sign_in_messages import (
    OPTION_UNAVAILABLE,
    SOMETHING_WRONG,
    sign_in_message,
)
from mamori.api.oauth2.session_cookie import is_https, set_session_cookie
from mamori.domain.auth.answers import ChallengeAnswer
from mamori.domain.auth.auth_flow import Challenge, FirstFactor
from mamori.domain.errors import ExpiredCodeException, NotAuthorizedException, ServiceError
from mamori.domain.oauth.authorization import SignedIn
from mamori.domain.security.auth_events import RequestContext
from mamori.domain.userpools.mfa_settings import MfaFactor
from mamori.domain.userpools.user_pool import UserPool
from mamori.services.auth.service import AuthOutcome
from mamori.services.oauth.authorize import COGNITO

CODE_CHALLENGES = frozenset(
    {Challenge.SMS_MFA, Challenge.SOFTWARE_TOKEN_MFA, Challenge.EMAIL_OTP, Challenge.SMS_OTP}
)
_PASSWORDLESS = frozenset({"EMAIL_OTP", "SMS_OTP"})


class SignInFlow:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self.services = pages.services
        self.forms = ChallengeForms(pages)

    def login_form(
        self, visit: Visit, pool: UserPool, username: str, status: int = 200, **values: object
    ) -> Response:
        return self.pages.render(
            visit,
            "login.html",
            status,
            username=username,
            username_field=username_field(pool),
            passwordless=self.passwordless(pool),
            sign_up=not pool.allow_admin_create_user_only,
            providers=provider_links(visit),
            corporate=visit.corporate_login,
            pool_sign_in=visit.pool_sign_in,
            **values,
        )

    async def pool_sign_in_only(self, visit: Visit) -> None:
        """For the pages of the pool's own users (a password sign-in and its challenges,
        sign-up, confirmation, password reset): PageExit with the login page, its provider
        buttons only and Cognito's "Login option is not available", when the client does
        not sign them in (no COGNITO among its SupportedIdentityProviders)."""
        if visit.pool_sign_in:
            return
        if visit.request.method == "POST":
            # The form is read (and dropped) before the answer: a server that closes a
            # connection holding unread bytes resets it, and the browser may lose the page.
            await read_form(visit.request)
        pool, _ = await pool_and_client(self.pages, visit)
        raise PageExit(self.login_form(visit, pool, "", 400, error=OPTION_UNAVAILABLE))

    @staticmethod
    def passwordless(pool: UserPool) -> bool:
        return bool(_PASSWORDLESS & set(pool.allowed_first_auth_factors))

    # --- what follows a step
    async def next_page(self, visit: Visit, outcome: AuthOutcome, username: str) -> Response:
        if outcome.signed_in is not None:
            return await self._signed_in(visit, outcome.signed_in)
        challenge, session = outcome.challenge, outcome.session or ""
        prompt = outcome.prompt
        # The name as typed: a prompt's USERNAME is the stored one, or for an unknown user a
        # decoy's, which would tell the two apart.
        name = username or prompt.user_id_for_srp or ""
        if challenge is Challenge.SELECT_CHALLENGE:
            options = [f.value for f in outcome.available if f is not FirstFactor.PASSWORD_SRP]
            return self.forms.choose(visit, session, username, options)
        if challenge in CODE_CHALLENGES:
            assert challenge is not None
            return self.forms.code(
                visit,
                session,
                challenge.value,
                prompt.delivery_medium or "",
                prompt.delivery_destination or "",
                prompt.friendly_device_name or "",
                first_factor=challenge in (Challenge.EMAIL_OTP, Challenge.SMS_OTP)
                and _is_first_factor(outcome),
            )
        if challenge is Challenge.SELECT_MFA_TYPE:
            options = [f.value for f in prompt.mfas_can_choose or ()]
            return self.forms.select(visit, session, options)
        if challenge is Challenge.MFA_SETUP:
            can_set_up = prompt.mfas_can_setup or ()
            if MfaFactor.SOFTWARE_TOKEN_MFA not in can_set_up:
                return await self.start_again(visit, SOMETHING_WRONG)
            secret, following = await self.services.auth.associate_software_token_for_session(
                session
            )
            return await self.forms.setup(visit, following, secret, name)
        if challenge is Challenge.NEW_PASSWORD_REQUIRED:
            required = list(prompt.required_attributes or ())
            return self.forms.new_password(visit, session, required)
        # DEVICE_SRP_AUTH and SRP never happen here (services/auth: the hosted entry).
        return await self.start_again(visit, SOMETHING_WRONG)

    async def _signed_in(self, visit: Visit, signed_in: SignedIn) -> Response:
        value = await self.services.login_sessions.start(visit.ctx.pool_id, signed_in)
        location = await self.services.authorize.complete(visit.authorization, signed_in)
        response = self.pages.redirect(visit, location)
        set_session_cookie(response, visit.ctx, value, is_https(visit.ctx))
        return response

    async def start_again(self, visit: Visit, message: str) -> Response:
        """The login form again, for a sign-in that can't go on (its Session spent, expired,
        tampered with, or over its wrong answers)."""
        pool, _ = await pool_and_client(self.pages, visit)
        return self.login_form(visit, pool, "", 400, error=message)

    async def answer(
        self, visit: Visit, posted: Posted, answer: ChallengeAnswer
    ) -> AuthOutcome | ServiceError:
        try:
            return await self.services.auth.hosted_respond(
                visit.ctx.pool_id,
                visit.authorization.client_id,
                posted.get("session") or None,
                answer,
                client_ip(visit.request),
                user_context(visit.request),
            )
        except ServiceError as exc:
            return exc

    async def refused_or_next(
        self, visit: Visit, result: AuthOutcome | ServiceError, again: Response | None
    ) -> Response | None:
        """The next page, or the login page for a Session that can't go on; None: show the
        same form again (with `sign_in_message`)."""
        if isinstance(result, AuthOutcome):
            return await self.next_page(visit, result, "")
        if session_over(result):
            return await self.start_again(visit, sign_in_message(result))
        return again


def provider_links(visit: Visit) -> list[tuple[str, str]]:
    """(name, /oauth2/authorize URL) of each federated provider the client supports: the same
    authorization request, sent to that provider."""
    query = {k: v for k, v in visit.query.items() if k != "idp_identifier"}
    return [
        (name, visit.ctx.url("/oauth2/authorize", {**query, "identity_provider": name}))
        for name in visit.identity_providers
        if name != COGNITO
    ]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def user_context(request: Request) -> RequestContext:
    """The browser's address and User-Agent, for the auth event (the pages send no
    EncodedData: Cognito's own pages collect it with their script, these have none)."""
    return RequestContext(ip=client_ip(request), user_agent=request.headers.get("user-agent"))


def words(value: str) -> list[str]:
    return [w for w in value.split() if w][:16]


def session_over(exc: ServiceError) -> bool:
    """A Session spent, expired or over its wrong answers: only a new sign-in goes on."""
    return isinstance(exc, NotAuthorizedException | ExpiredCodeException) and (
        exc.message.startswith("Invalid session") or isinstance(exc, ExpiredCodeException)
    )


def _is_first_factor(outcome: AuthOutcome) -> bool:
    """EMAIL_OTP / SMS_OTP as USER_AUTH's first factor (not as MFA): no MFA factor prompts
    with a USERNAME, the first factor's prompt does (services/auth/user_auth.py)."""
    return outcome.prompt.username is not None
