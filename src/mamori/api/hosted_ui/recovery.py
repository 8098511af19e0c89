"""The password reset pages: /forgotPassword (a code to the user's verified email or phone) and
/confirmForgotPassword (the code and a new password). They call the same RecoveryService as
ForgotPassword and ConfirmForgotPassword, under the same rate limits; whether an account
exists is never told (an unknown user is "sent" a code like anyone)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from mamori.api.hosted_ui.account_errors import (
    PASSWORDS_DIFFER,
    Refusal,
    password_refusal,
    refusal,
)
from mamori.api.hosted_ui.accounts import (
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
from mamori.domain.errors import InvalidPasswordException, NotAuthorizedException, ServiceError
from mamori.domain.userpools.user_pool import UserPool

RESET_SENT_EMAIL = N_(
    "We sent a code by email to %(destination)s. Enter it below with your new password."
)
RESET_SENT_SMS = N_(
    "We sent a code by text message to %(destination)s. Enter it below with your new password."
)
ADMIN_ONLY = N_("Your password cannot be reset here. Please contact your administrator.")
PASSWORD_CHANGED = N_("Your password has been changed. You can now sign in with it.")


class RecoveryPages:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self.flow = SignInFlow(pages)  # its login page: for clients without COGNITO

    def routes(self) -> list[BaseRoute]:
        return [
            page_route("/forgotPassword", self.forgot),
            page_route("/confirmForgotPassword", self.reset),
        ]

    # --- /forgotPassword
    async def forgot(self, request: Request) -> Response:
        visit = await self.pages.visit(request)
        await self.flow.pool_sign_in_only(visit)
        pool, _client = await pool_and_client(self.pages, visit)
        if request.method == "GET":
            return self._forgot_form(visit, pool, request.query_params.get("username", ""))
        posted = await self.pages.posted(visit, "forgot")
        username = posted.get("username").strip()
        if not posted.csrf_ok:
            return self._forgot_form(visit, pool, username, CSRF_STATUS, error=CSRF_FAILED)
        auth = visit.authorization
        try:
            await check_rate(self.pages, visit, "ForgotPassword", username)
            delivery = await self.pages.services.recovery.hosted_forgot_password(
                auth.pool_id, auth.client_id, username
            )
        except NotAuthorizedException:
            # The pool's AccountRecoverySetting is admin_only: the same for every username.
            return self._forgot_form(visit, pool, username, 400, error=ADMIN_ONLY)
        except ServiceError as exc:
            refused = refusal_values(visit, refusal(exc), {"username"})
            return self._forgot_form(visit, pool, username, 400, **refused)
        sent = Sent("reset", delivery.medium, delivery.destination)
        return redirect_sent(self.pages, visit, "/confirmForgotPassword", username, sent)

    def _forgot_form(
        self, visit: Visit, pool: UserPool, username: str, status: int = 200, **extra: object
    ) -> Response:
        return self.pages.render(
            visit,
            "forgot_password.html",
            status,
            username_field=username_field(pool),
            username=username,
            **extra,
        )

    # --- /confirmForgotPassword
    async def reset(self, request: Request) -> Response:
        visit = await self.pages.visit(request)
        await self.flow.pool_sign_in_only(visit)
        pool, _client = await pool_and_client(self.pages, visit)
        if request.method == "GET":
            sent = sent_of(self.pages, visit)
            notice = None
            if sent is not None:
                template = RESET_SENT_SMS if sent.medium == "SMS" else RESET_SENT_EMAIL
                notice = say(visit, template, destination=sent.destination)
            username = request.query_params.get("username", "")
            return self._reset_form(visit, pool, username, notice=notice)
        posted = await self.pages.posted(visit, "reset")
        username, code = posted.get("username").strip(), posted.get("code").strip()
        password = posted.get("password")
        if not posted.csrf_ok:
            return self._reset_form(visit, pool, username, CSRF_STATUS, error=CSRF_FAILED)
        shown = {"username", "code", "password", "confirm_password"}
        if password != posted.get("confirm_password"):
            refused = refusal_values(visit, Refusal(PASSWORDS_DIFFER, "confirm_password"), shown)
            return self._reset_form(visit, pool, username, 400, **refused)
        auth = visit.authorization
        try:
            await check_rate(self.pages, visit, "ConfirmForgotPassword", username)
            await self.pages.services.recovery.hosted_confirm_forgot_password(
                auth.pool_id, auth.client_id, username, code, password
            )
        except InvalidPasswordException as exc:
            refused_password = password_refusal(pool.password_policy, password, exc)
            refused = refusal_values(visit, refused_password, shown)
            return self._reset_form(visit, pool, username, 400, **refused)
        except ServiceError as exc:
            refused = refusal_values(visit, refusal(exc), shown)
            return self._reset_form(visit, pool, username, 400, **refused)
        return done_page(self.pages, visit, N_("Password changed"), PASSWORD_CHANGED)

    def _reset_form(
        self, visit: Visit, pool: UserPool, username: str, status: int = 200, **extra: object
    ) -> Response:
        return self.pages.render(
            visit,
            "confirm_forgot_password.html",
            status,
            username_field=username_field(pool),
            username=username,
            policy=pool.password_policy,
            **extra,
        )


def recovery_routes(pages: Pages) -> list[BaseRoute]:
    return RecoveryPages(pages).routes()
