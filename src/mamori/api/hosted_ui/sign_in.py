"""The sign-in pages: /login (username and password, or a passwordless first factor to choose
in USER_AUTH pools) and the challenges that may follow, each a form posting to its own path:
/login/choose (SELECT_CHALLENGE), /mfa (a code), /mfa/select (SELECT_MFA_TYPE), /mfa/setup
(MFA_SETUP with an authenticator app) and /forceChangePassword (NEW_PASSWORD_REQUIRED).

They drive AuthService.hosted_sign_in / hosted_respond: every rule is the sign-in machine's.
The challenge's sealed Session travels in a hidden field; the sign-in ends in a login session
(its cookie) and the redirect AuthorizeService.complete makes (a code or tokens).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from mamori.api.hosted_ui.accounts import username_field
from mamori.api.hosted_ui.challenge_forms import ChallengeForms
from mamori.api.hosted_ui.pages import (
    CSRF_FAILED,
    CSRF_STATUS,
    Pages,
    Posted,
    Visit,
    page_route,
)
from mamori.api.hosted_ui.sign_in_messages import (
    CODE_NEEDED,
    INVALID_DETAILS,
    NOT_AVAILABLE,
    PASSWORD_NEEDED,
    PASSWORDS_DIFFER,
    SOMETHING_WRONG,
    START_AGAIN,
    USERNAME_NEEDED,
    WRONG_CODE,
    detail_error,
    say,
    sign_in_message,
)
from mamori.api.oauth2.session_cookie import is_https, set_session_cookie
from mamori.domain.auth.answers import (
    ChallengeAnswer,
    CodeAnswer,
    MfaSetupAnswer,
    NewPasswordAnswer,
    SelectChallengeAnswer,
    SelectMfaTypeAnswer,
    SignInRequest,
)
from mamori.domain.auth.auth_flow import AuthFlow, Challenge, FirstFactor
from mamori.domain.errors import (
    CodeMismatchException,
    EnableSoftwareTokenMFAException,
    ExpiredCodeException,
    InvalidParameterException,
    InvalidPasswordException,
    NotAuthorizedException,
    PasswordResetRequiredException,
    ServiceError,
    UserNotConfirmedException,
)
from mamori.domain.oauth.authorization import SignedIn
from mamori.domain.userpools.mfa_settings import MfaFactor
from mamori.domain.userpools.user_pool import UserPool
from mamori.services.auth.service import AuthOutcome

CODE_CHALLENGES = frozenset(
    {Challenge.SMS_MFA, Challenge.SOFTWARE_TOKEN_MFA, Challenge.EMAIL_OTP, Challenge.SMS_OTP}
)
_PASSWORDLESS = frozenset({"EMAIL_OTP", "SMS_OTP"})
_MAX_USERNAME = 128
_MAX_PASSWORD = 256


class SignInPages:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self.services = pages.services
        self.forms = ChallengeForms(pages)

    def routes(self) -> list[BaseRoute]:
        return [
            page_route("/login", self.login),
            page_route("/login/choose", self.choose),
            page_route("/mfa", self.code),
            page_route("/mfa/select", self.select_mfa),
            page_route("/mfa/setup", self.setup_totp),
            page_route("/forceChangePassword", self.new_password),
        ]

    # --- /login
    async def login(self, request: Request) -> Response:
        visit = await self.pages.visit(request)
        pool, _ = await self.services.clients.client_in_pool(
            visit.ctx.pool_id, visit.authorization.client_id
        )
        if request.method == "GET":
            return self._login_form(visit, pool, visit.authorization.login_hint or "")
        posted = await self.pages.posted(visit, "login")
        username = posted.get("username").strip()[:_MAX_USERNAME]
        if not posted.csrf_ok:
            return self._login_form(visit, pool, username, CSRF_STATUS, error=CSRF_FAILED)
        if not username:
            return self._login_form(
                visit, pool, "", 400, field_errors={"username": say(visit, USERNAME_NEEDED)}
            )
        if posted.get("action") == "choose" and self._passwordless(pool):
            request_ = SignInRequest(AuthFlow.USER_AUTH, username=username)
        else:
            password = posted.get("password")
            if not password:
                return self._login_form(
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
                visit.ctx.pool_id, visit.authorization.client_id, request_, _ip(request)
            )
        except UserNotConfirmedException:
            # After the right password only: Cognito's pages go on to confirm the account.
            return self.pages.redirect(visit, visit.url("/confirmUser", username=username))
        except PasswordResetRequiredException:
            return self.pages.redirect(visit, visit.url("/forgotPassword", username=username))
        except ServiceError as exc:
            return self._login_form(visit, pool, username, 400, error=sign_in_message(exc))
        return await self._next(visit, outcome, username)

    def _login_form(
        self, visit: Visit, pool: UserPool, username: str, status: int = 200, **values: object
    ) -> Response:
        return self.pages.render(
            visit,
            "login.html",
            status,
            username=username,
            username_field=username_field(pool),
            passwordless=self._passwordless(pool),
            sign_up=not pool.allow_admin_create_user_only,
            **values,
        )

    @staticmethod
    def _passwordless(pool: UserPool) -> bool:
        return bool(_PASSWORDLESS & set(pool.allowed_first_auth_factors))

    # --- what follows a step
    async def _next(self, visit: Visit, outcome: AuthOutcome, username: str) -> Response:
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
                return await self._start_again(visit, SOMETHING_WRONG)
            secret, following = await self.services.auth.associate_software_token_for_session(
                session
            )
            return await self.forms.setup(visit, following, secret, name)
        if challenge is Challenge.NEW_PASSWORD_REQUIRED:
            required = list(prompt.required_attributes or ())
            return self.forms.new_password(visit, session, required)
        # DEVICE_SRP_AUTH and SRP never happen here (services/auth: the hosted entry).
        return await self._start_again(visit, SOMETHING_WRONG)

    async def _signed_in(self, visit: Visit, signed_in: SignedIn) -> Response:
        value = await self.services.login_sessions.start(visit.ctx.pool_id, signed_in)
        location = await self.services.authorize.complete(visit.authorization, signed_in)
        response = self.pages.redirect(visit, location)
        set_session_cookie(response, visit.ctx, value, is_https(visit.ctx))
        return response

    async def _start_again(self, visit: Visit, message: str) -> Response:
        """The login form again, for a sign-in that can't go on (its Session spent, expired,
        tampered with, or over its wrong answers)."""
        pool, _ = await self.services.clients.client_in_pool(
            visit.ctx.pool_id, visit.authorization.client_id
        )
        return self._login_form(visit, pool, "", 400, error=message)

    async def _answer(
        self, visit: Visit, posted: Posted, answer: ChallengeAnswer
    ) -> AuthOutcome | ServiceError:
        try:
            return await self.services.auth.hosted_respond(
                visit.ctx.pool_id,
                visit.authorization.client_id,
                posted.get("session") or None,
                answer,
                _ip(visit.request),
            )
        except ServiceError as exc:
            return exc

    async def _refused_or_next(
        self, visit: Visit, result: AuthOutcome | ServiceError, again: Response | None
    ) -> Response | None:
        """The next page, or the login page for a Session that can't go on; None: show the
        same form again (with `sign_in_message`)."""
        if isinstance(result, AuthOutcome):
            return await self._next(visit, result, "")
        if _session_over(result):
            return await self._start_again(visit, sign_in_message(result))
        return again

    # --- SELECT_CHALLENGE
    async def choose(self, request: Request) -> Response:
        visit = await self.pages.visit(request)
        if request.method == "GET":
            return self.pages.redirect(visit, visit.url("/login"))
        posted = await self.pages.posted(visit, "choose")
        session, username = posted.get("session"), posted.get("username")
        options = _words(posted.get("options"))
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
        result = await self._answer(visit, posted, answer)
        if isinstance(result, InvalidParameterException):
            return self.forms.choose(visit, session, username, options, 400, NOT_AVAILABLE)
        nxt = await self._refused_or_next(visit, result, None)
        if nxt is not None:
            return nxt
        assert isinstance(result, ServiceError)
        message = sign_in_message(result)
        return self.forms.choose(visit, session, username, options, 400, message)

    # --- a code: SMS_MFA, SOFTWARE_TOKEN_MFA, EMAIL_OTP, SMS_OTP
    async def code(self, request: Request) -> Response:
        visit = await self.pages.visit(request)
        if request.method == "GET":
            return self.pages.redirect(visit, visit.url("/login"))
        posted = await self.pages.posted(visit, "mfa")
        shown = (
            posted.get("session"),
            posted.get("challenge"),
            posted.get("medium"),
            posted.get("destination"),
            posted.get("device_name"),
        )
        first_factor = posted.get("first_factor") == "1"
        if not posted.csrf_ok:
            return self.forms.code(
                visit, *shown, first_factor=first_factor, status=CSRF_STATUS, error=CSRF_FAILED
            )
        try:
            challenge = Challenge(posted.get("challenge"))
        except ValueError:
            challenge = None
        if challenge not in CODE_CHALLENGES:
            return await self._start_again(visit, START_AGAIN)
        assert challenge is not None
        code = "".join(posted.get("code").split())
        if not code:
            return self.forms.code(
                visit,
                *shown,
                first_factor=first_factor,
                status=400,
                field_errors={"code": say(visit, CODE_NEEDED)},
            )
        result = await self._answer(visit, posted, CodeAnswer(challenge, code=code[:16]))
        nxt = await self._refused_or_next(visit, result, None)
        if nxt is not None:
            return nxt
        assert isinstance(result, ServiceError)
        return self.forms.code(
            visit, *shown, first_factor=first_factor, status=400, error=sign_in_message(result)
        )

    # --- SELECT_MFA_TYPE
    async def select_mfa(self, request: Request) -> Response:
        visit = await self.pages.visit(request)
        if request.method == "GET":
            return self.pages.redirect(visit, visit.url("/login"))
        posted = await self.pages.posted(visit, "mfa-select")
        session, options = posted.get("session"), _words(posted.get("options"))
        if not posted.csrf_ok:
            return self.forms.select(visit, session, options, CSRF_STATUS, CSRF_FAILED)
        result = await self._answer(visit, posted, SelectMfaTypeAnswer(answer=posted.get("factor")))
        if isinstance(result, InvalidParameterException):
            return self.forms.select(visit, session, options, 400, NOT_AVAILABLE)
        nxt = await self._refused_or_next(visit, result, None)
        if nxt is not None:
            return nxt
        assert isinstance(result, ServiceError)
        return self.forms.select(visit, session, options, 400, sign_in_message(result))

    # --- MFA_SETUP (an authenticator app)
    async def setup_totp(self, request: Request) -> Response:
        visit = await self.pages.visit(request)
        if request.method == "GET":
            return self.pages.redirect(visit, visit.url("/login"))
        posted = await self.pages.posted(visit, "mfa-setup")
        session, secret, username = (
            posted.get("session"),
            posted.get("secret"),
            posted.get("username"),
        )
        if not posted.csrf_ok:
            return await self.forms.setup(
                visit, session, secret, username, CSRF_STATUS, error=CSRF_FAILED
            )
        code = "".join(posted.get("code").split())
        if not code:
            return await self.forms.setup(
                visit,
                session,
                secret,
                username,
                400,
                field_errors={"code": say(visit, CODE_NEEDED)},
            )
        device_name = posted.get("device_name").strip()[:128] or None
        try:
            verified = await self.services.auth.verify_software_token_for_session(
                session, code[:16], device_name
            )
        except ServiceError as exc:
            if _session_over(exc):
                return await self._start_again(visit, sign_in_message(exc))
            message = (
                WRONG_CODE
                if isinstance(exc, EnableSoftwareTokenMFAException | CodeMismatchException)
                else sign_in_message(exc)
            )
            return await self.forms.setup(visit, session, secret, username, 400, error=message)
        result = await self._answer(visit, Posted({"session": verified}, True), MfaSetupAnswer())
        nxt = await self._refused_or_next(visit, result, None)
        if nxt is not None:
            return nxt
        assert isinstance(result, ServiceError)
        return await self._start_again(visit, sign_in_message(result))

    # --- NEW_PASSWORD_REQUIRED
    async def new_password(self, request: Request) -> Response:
        visit = await self.pages.visit(request)
        if request.method == "GET":
            return self.pages.redirect(visit, visit.url("/login"))
        posted = await self.pages.posted(visit, "new-password")
        session, required = posted.get("session"), _words(posted.get("required"))
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
        result = await self._answer(visit, posted, answer)
        if isinstance(result, InvalidPasswordException | InvalidParameterException):
            return self.forms.new_password(
                visit,
                session,
                required,
                400,
                values,
                error=detail_error(visit, INVALID_DETAILS, detail=result.message),
            )
        nxt = await self._refused_or_next(visit, result, None)
        if nxt is not None:
            return nxt
        assert isinstance(result, ServiceError)
        return self.forms.new_password(
            visit, session, required, 400, values, error=sign_in_message(result)
        )


def sign_in_routes(pages: Pages) -> list[BaseRoute]:
    return SignInPages(pages).routes()


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _words(value: str) -> list[str]:
    return [w for w in value.split() if w][:16]


def _session_over(exc: ServiceError) -> bool:
    """A Session spent, expired or over its wrong answers: only a new sign-in goes on."""
    return isinstance(exc, NotAuthorizedException | ExpiredCodeException) and (
        exc.message.startswith("Invalid session") or isinstance(exc, ExpiredCodeException)
    )


def _is_first_factor(outcome: AuthOutcome) -> bool:
    """EMAIL_OTP / SMS_OTP as USER_AUTH's first factor (not as MFA): no MFA factor prompts
    with a USERNAME, the first factor's prompt does (services/auth/user_auth.py)."""
    return outcome.prompt.username is not None
