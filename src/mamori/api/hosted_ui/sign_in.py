"""The sign-in pages: /login (username and password, or a passwordless first factor to choose
in USER_AUTH pools) and the challenges that may follow, each a form posting to its own path:
/login/choose (SELECT_CHALLENGE) and /forceChangePassword (NEW_PASSWORD_REQUIRED) here, the MFA
pages (/mfa, /mfa/select, /mfa/setup) in mfa.py; /login/corporate sends a corporate email to
the identity provider whose IdpIdentifier is its domain.

They drive AuthService.hosted_sign_in / hosted_respond: every rule is the sign-in machine's.
The challenge's sealed Session travels in a hidden field; the sign-in ends in a login session
(its cookie) and the redirect AuthorizeService.complete makes (a code or tokens).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from mamori.api.hosted_ui.accounts import pool_and_client
from mamori.api.hosted_ui.pages import CSRF_FAILED, CSRF_STATUS, Pages, Visit, page_route
from mamori.api.hosted_ui.sign_in_flow import SignInFlow, client_ip, user_context, words
from mamori.api.hosted_ui.sign_in_messages import (
    INVALID_DETAILS,
    NO_PROVIDER,
    NO_PROVIDER_ONLY,
    NOT_AVAILABLE,
    PASSWORD_NEEDED,
    PASSWORDS_DIFFER,
    USERNAME_NEEDED,
    detail_error,
    say,
    sign_in_message,
)
from mamori.domain.auth.answers import NewPasswordAnswer, SelectChallengeAnswer, SignInRequest
from mamori.domain.auth.auth_flow import AuthFlow
from mamori.domain.errors import (
    InvalidParameterException,
    InvalidPasswordException,
    PasswordResetRequiredException,
    ServiceError,
    UserNotConfirmedException,
)

_MAX_USERNAME = 128
_MAX_PASSWORD = 256


class SignInPages:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self.services = pages.services
        self.flow = SignInFlow(pages)
        self.forms = self.flow.forms

    def routes(self) -> list[BaseRoute]:
        return [
            page_route("/login", self.login),
            page_route("/login/choose", self.choose),
            page_route("/login/corporate", self.corporate),
            page_route("/forceChangePassword", self.new_password),
        ]

    # --- /login
    async def login(self, request: Request) -> Response:
        visit = await self.pages.visit(request)
        pool, _ = await pool_and_client(self.pages, visit)
        if request.method == "GET":
            return self.flow.login_form(visit, pool, visit.authorization.login_hint or "")
        await self.flow.pool_sign_in_only(visit)
        posted = await self.pages.posted(visit, "login")
        username = posted.get("username").strip()[:_MAX_USERNAME]
        if not posted.csrf_ok:
            return self.flow.login_form(visit, pool, username, CSRF_STATUS, error=CSRF_FAILED)
        if not username:
            return self.flow.login_form(
                visit, pool, "", 400, field_errors={"username": say(visit, USERNAME_NEEDED)}
            )
        if posted.get("action") == "choose" and self.flow.passwordless(pool):
            request_ = SignInRequest(AuthFlow.USER_AUTH, username=username)
        else:
            password = posted.get("password")
            if not password:
                return self.flow.login_form(
                    visit,
                    pool,
                    username,
                    400,
                    field_errors={"password": say(visit, PASSWORD_NEEDED)},
                )
            request_ = SignInRequest(
                AuthFlow.USER_PASSWORD_AUTH, username=username, password=password[:_MAX_PASSWORD]
            )
        try:
            outcome = await self.services.auth.hosted_sign_in(
                visit.ctx.pool_id,
                visit.authorization.client_id,
                request_,
                client_ip(request),
                user_context(request),
            )
        except UserNotConfirmedException:
            # After the right password only: Cognito's pages go on to confirm the account.
            return self.pages.redirect(visit, visit.url("/confirmUser", username=username))
        except PasswordResetRequiredException:
            return self.pages.redirect(visit, visit.url("/forgotPassword", username=username))
        except ServiceError as exc:
            return self.flow.login_form(visit, pool, username, 400, error=sign_in_message(exc))
        return await self.flow.next_page(visit, outcome, username)

    # --- the corporate email form: to the provider whose IdpIdentifier is its domain
    async def corporate(self, request: Request) -> Response:
        visit = await self.pages.visit(request)
        if request.method == "GET":
            return self._to_provider(visit)
        posted = await self.pages.posted(visit, "corporate")
        pool, _ = await pool_and_client(self.pages, visit)
        if not posted.csrf_ok:
            return self.flow.login_form(visit, pool, "", CSRF_STATUS, error=CSRF_FAILED)
        email = posted.get("corporate_email").strip()[:_MAX_USERNAME]
        identifier = await self._identifier_for(visit, email)
        if identifier is None:
            message = NO_PROVIDER if visit.pool_sign_in else NO_PROVIDER_ONLY
            error = {"corporate_email": say(visit, message)}
            return self.flow.login_form(visit, pool, "", 400, field_errors=error)
        query = {k: v for k, v in visit.query.items() if k != "identity_provider"}
        here = visit.ctx.url("/login/corporate", {**query, "idp_identifier": identifier})
        return self.pages.redirect(visit, here)

    def _to_provider(self, visit: Visit) -> Response:
        """GET /login/corporate?idp_identifier= (the request checked it names a provider the
        client supports): a page that goes on at once to /oauth2/authorize, and so to the
        provider. Not a redirect from the form's POST: browsers hold every redirect after a
        form to its page's CSP form-action, which can't name the provider's origin (its
        authorization endpoint may only be known from its discovery document)."""
        provider = visit.authorization.identity_provider
        if visit.authorization.idp_identifier is None or provider is None:
            return self.pages.redirect(visit, visit.url("/login"))
        target = visit.ctx.url("/oauth2/authorize", visit.query)
        return self.pages.render(visit, "to_provider.html", target=target, provider=provider)

    async def _identifier_for(self, visit: Visit, email: str) -> str | None:
        """The IdpIdentifier, as the provider holds it, that is the email's domain (Cognito
        compares them whatever their case), of a provider the client supports."""
        local, at, domain = email.rpartition("@")
        if not at or not local or not domain:
            return None
        providers = await self.services.identity_providers.providers_of(visit.ctx.pool_id)
        for provider in providers:
            if provider.name not in visit.identity_providers:
                continue
            for identifier in provider.idp_identifiers:
                if identifier.lower() == domain.lower():
                    return identifier
        return None

    # --- SELECT_CHALLENGE
    async def choose(self, request: Request) -> Response:
        visit = await self.pages.visit(request)
        await self.flow.pool_sign_in_only(visit)
        if request.method == "GET":
            return self.pages.redirect(visit, visit.url("/login"))
        posted = await self.pages.posted(visit, "choose")
        session, username = posted.get("session"), posted.get("username")
        options = words(posted.get("options"))
        if not posted.csrf_ok:
            return self.forms.choose(visit, session, username, options, CSRF_STATUS, CSRF_FAILED)
        factor = posted.get("factor")
        if factor == "PASSWORD" and not posted.get("password"):
            return self.forms.choose(
                visit,
                session,
                username,
                options,
                400,
                field_errors={"password": say(visit, PASSWORD_NEEDED)},
            )
        answer = SelectChallengeAnswer(
            answer=factor, password=posted.get("password")[:_MAX_PASSWORD] or None
        )
        result = await self.flow.answer(visit, posted, answer)
        if isinstance(result, InvalidParameterException):
            return self.forms.choose(visit, session, username, options, 400, NOT_AVAILABLE)
        nxt = await self.flow.refused_or_next(visit, result, None)
        if nxt is not None:
            return nxt
        assert isinstance(result, ServiceError)
        message = sign_in_message(result)
        return self.forms.choose(visit, session, username, options, 400, message)

    # --- NEW_PASSWORD_REQUIRED
    async def new_password(self, request: Request) -> Response:
        visit = await self.pages.visit(request)
        await self.flow.pool_sign_in_only(visit)
        if request.method == "GET":
            return self.pages.redirect(visit, visit.url("/login"))
        posted = await self.pages.posted(visit, "new-password")
        session, required = posted.get("session"), words(posted.get("required"))
        values = {f"attribute:{name}": posted.get(f"attribute:{name}") for name in required}
        if not posted.csrf_ok:
            return self.forms.new_password(
                visit, session, required, CSRF_STATUS, values, error=CSRF_FAILED
            )
        password = posted.get("password")[:_MAX_PASSWORD]
        if not password:
            return self.forms.new_password(
                visit,
                session,
                required,
                400,
                values,
                field_errors={"password": say(visit, PASSWORD_NEEDED)},
            )
        if password != posted.get("confirm_password")[:_MAX_PASSWORD]:
            return self.forms.new_password(
                visit,
                session,
                required,
                400,
                values,
                field_errors={"confirm_password": say(visit, PASSWORDS_DIFFER)},
            )
        attributes = {
            name: value.strip()
            for name in required
            if (value := posted.get(f"attribute:{name}")).strip()
        }
        answer = NewPasswordAnswer(new_password=password, attributes=attributes)
        result = await self.flow.answer(visit, posted, answer)
        if isinstance(result, InvalidPasswordException | InvalidParameterException):
            return self.forms.new_password(
                visit,
                session,
                required,
                400,
                values,
                error=detail_error(visit, INVALID_DETAILS, detail=result.message),
            )
        nxt = await self.flow.refused_or_next(visit, result, None)
        if nxt is not None:
            return nxt
        assert isinstance(result, ServiceError)
        return self.forms.new_password(
            visit, session, required, 400, values, error=sign_in_message(result)
        )


def sign_in_routes(pages: Pages) -> list[BaseRoute]:
    return SignInPages(pages).routes()
