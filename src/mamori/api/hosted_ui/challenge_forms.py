"""The forms of the sign-in's challenges, rendered with what the challenge told (or, shown
again after a wrong answer, what the form carried): SELECT_CHALLENGE, a code, SELECT_MFA_TYPE,
the authenticator's set-up with its QR code, NEW_PASSWORD_REQUIRED."""

from __future__ import annotations

from starlette.responses import Response

from mamori.api.hosted_ui import totp_setup
from mamori.api.hosted_ui.accounts import pool_and_client
from mamori.api.hosted_ui.pages import Pages, Visit
from mamori.api.hosted_ui.sign_in_messages import (
    ATTRIBUTE_AUTOCOMPLETE,
    ATTRIBUTE_LABELS,
    FACTOR_NAMES,
)


class ChallengeForms:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self.services = pages.services

    def choose(
        self,
        visit: Visit,
        session: str,
        username: str,
        options: list[str],
        status: int = 200,
        error: str | None = None,
        **values: object,
    ) -> Response:
        return self.pages.render(
            visit,
            "login_choose.html",
            status,
            session=session,
            username=username,
            options=options,
            error=error,
            **values,
        )

    def code(
        self,
        visit: Visit,
        session: str,
        challenge: str,
        medium: str,
        destination: str,
        device_name: str,
        *,
        first_factor: bool,
        status: int = 200,
        **values: object,
    ) -> Response:
        return self.pages.render(
            visit,
            "mfa_code.html",
            status,
            session=session,
            challenge=challenge,
            medium=medium,
            destination=destination,
            device_name=device_name,
            first_factor=first_factor,
            **values,
        )

    def select(
        self,
        visit: Visit,
        session: str,
        options: list[str],
        status: int = 200,
        error: str | None = None,
    ) -> Response:
        known = [o for o in options if o in FACTOR_NAMES]
        return self.pages.render(
            visit,
            "mfa_select.html",
            status,
            session=session,
            options=known,
            factor_names=FACTOR_NAMES,
            error=error,
        )

    async def setup(
        self,
        visit: Visit,
        session: str,
        secret: str,
        username: str,
        status: int = 200,
        **values: object,
    ) -> Response:
        issuer = await self._issuer(visit)
        qr = (
            totp_setup.qr_data_url(totp_setup.otpauth_uri(secret, username, issuer))
            if secret
            else ""
        )
        return self.pages.render(
            visit,
            "mfa_setup.html",
            status,
            session=session,
            secret=secret,
            username=username,
            qr=qr,
            **values,
        )

    async def _issuer(self, visit: Visit) -> str:
        """The otpauth issuer an authenticator shows: the pool's name (Cognito's default)."""
        pool, _ = await pool_and_client(self.pages, visit)
        return pool.name

    def new_password(
        self,
        visit: Visit,
        session: str,
        required: list[str],
        status: int = 200,
        values: dict[str, str] | None = None,
        **extra: object,
    ) -> Response:
        return self.pages.render(
            visit,
            "new_password.html",
            status,
            session=session,
            required=required,
            values=values or {},
            attribute_labels=ATTRIBUTE_LABELS,
            attribute_autocomplete=ATTRIBUTE_AUTOCOMPLETE,
            **extra,
        )
