"""The sign-in's MFA pages, each a form posting to its own path: /mfa (a code: SMS_MFA,
SOFTWARE_TOKEN_MFA, EMAIL_OTP, SMS_OTP, also USER_AUTH's one-time codes), /mfa/select
(SELECT_MFA_TYPE) and /mfa/setup (MFA_SETUP with an authenticator app)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from mamori.api.hosted_ui.pages import CSRF_FAILED, CSRF_STATUS, Pages, Posted, page_route
from mamori.api.hosted_ui.sign_in_flow import CODE_CHALLENGES, SignInFlow, session_over, words
from mamori.api.hosted_ui.sign_in_messages import (
    CODE_NEEDED,
    NOT_AVAILABLE,
    START_AGAIN,
    WRONG_CODE,
    say,
    sign_in_message,
)
from mamori.domain.auth.answers import CodeAnswer, MfaSetupAnswer, SelectMfaTypeAnswer
from mamori.domain.auth.auth_flow import Challenge
from mamori.domain.errors import (
    CodeMismatchException,
    EnableSoftwareTokenMFAException,
    InvalidParameterException,
    ServiceError,
)


class MfaPages:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self.services = pages.services
        self.flow = SignInFlow(pages)
        self.forms = self.flow.forms

    def routes(self) -> list[BaseRoute]:
        return [
            page_route("/mfa", self.code),
            page_route("/mfa/select", self.select_mfa),
            page_route("/mfa/setup", self.setup_totp),
        ]

    # --- a code: SMS_MFA, SOFTWARE_TOKEN_MFA, EMAIL_OTP, SMS_OTP
    async def code(self, request: Request) -> Response:
        visit = await self.pages.visit(request)
        await self.flow.pool_sign_in_only(visit)
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
            return await self.flow.start_again(visit, START_AGAIN)
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
        result = await self.flow.answer(visit, posted, CodeAnswer(challenge, code=code[:16]))
        nxt = await self.flow.refused_or_next(visit, result, None)
        if nxt is not None:
            return nxt
        assert isinstance(result, ServiceError)
        return self.forms.code(
            visit, *shown, first_factor=first_factor, status=400, error=sign_in_message(result)
        )

    # --- SELECT_MFA_TYPE
    async def select_mfa(self, request: Request) -> Response:
        visit = await self.pages.visit(request)
        await self.flow.pool_sign_in_only(visit)
        if request.method == "GET":
            return self.pages.redirect(visit, visit.url("/login"))
        posted = await self.pages.posted(visit, "mfa-select")
        session, options = posted.get("session"), words(posted.get("options"))
        if not posted.csrf_ok:
            return self.forms.select(visit, session, options, CSRF_STATUS, CSRF_FAILED)
        result = await self.flow.answer(
            visit, posted, SelectMfaTypeAnswer(answer=posted.get("factor"))
        )
        if isinstance(result, InvalidParameterException):
            return self.forms.select(visit, session, options, 400, NOT_AVAILABLE)
        nxt = await self.flow.refused_or_next(visit, result, None)
        if nxt is not None:
            return nxt
        assert isinstance(result, ServiceError)
        return self.forms.select(visit, session, options, 400, sign_in_message(result))

    # --- MFA_SETUP (an authenticator app)
    async def setup_totp(self, request: Request) -> Response:
        visit = await self.pages.visit(request)
        await self.flow.pool_sign_in_only(visit)
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
            if session_over(exc):
                return await self.flow.start_again(visit, sign_in_message(exc))
            message = (
                WRONG_CODE
                if isinstance(exc, EnableSoftwareTokenMFAException | CodeMismatchException)
                else sign_in_message(exc)
            )
            return await self.forms.setup(visit, session, secret, username, 400, error=message)
        result = await self.flow.answer(
            visit, Posted({"session": verified}, True), MfaSetupAnswer()
        )
        nxt = await self.flow.refused_or_next(visit, result, None)
        if nxt is not None:
            return nxt
        assert isinstance(result, ServiceError)
        return await self.flow.start_again(visit, sign_in_message(result))


def mfa_routes(pages: Pages) -> list[BaseRoute]:
    return MfaPages(pages).routes()
