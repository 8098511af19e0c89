"""The pages' framework: a request's visit (its domain, checked authorization request,
language and CSRF cookie), rendering, posted forms checked for CSRF, and every response with
the security headers."""

from __future__ import annotations

import functools
import re
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from mamori.api.hosted_ui import languages
from mamori.api.hosted_ui.branding import branding_values, page_branding
from mamori.api.hosted_ui.errors import error_page
from mamori.api.hosted_ui.forms import FormError, read_form
from mamori.api.hosted_ui.headers import secure
from mamori.api.hosted_ui.rendering import N_ as N_  # (pages mark their messages with it)
from mamori.api.hosted_ui.rendering import render_template, static_url
from mamori.api.oauth2.context import DomainContext, domain_of
from mamori.domain.oauth.authorization import AuthorizationRequest
from mamori.domain.userpools.branding import PageBranding
from mamori.protocols.oauth2.errors import InvalidRequest, OAuthError
from mamori.services.container import Services
from mamori.services.oauth.authorize import COGNITO, Redirectable

CSRF_COOKIE = "mamori-csrf"
CSRF_FIELD = "_csrf"
# The page answered when a form's CSRF token does not match the browser's cookie.
CSRF_STATUS = 403

CSRF_FAILED = N_(
    "This page was open too long or was sent from elsewhere. Please check the form and "
    "send it again."
)


class PageExit(Exception):
    """Raised inside a page to answer with `response` at once (an error page, a redirect)."""

    def __init__(self, response: Response) -> None:
        super().__init__("page exit")
        self.response = response


@dataclass(frozen=True)
class Visit:
    """One request to a page: where it came in, what it is signing in to, in which language,
    and the browser's CSRF cookie (`new_cookie`: set it on the answer)."""

    request: Request
    ctx: DomainContext
    authorization: AuthorizationRequest
    lang: str
    csrf_cookie: str
    new_cookie: bool
    # The client's branding (its UI customization, else the pool's; managed-login colours
    # and logo) and its name, the logo's alt text (api/hosted_ui/branding.py renders them).
    branding: PageBranding | None = None
    client_name: str = ""
    # The client's SupportedIdentityProviders: the login page's provider buttons (issue 12).
    identity_providers: tuple[str, ...] = ()
    # Whether one of them has IdpIdentifiers: the login page's corporate email form.
    corporate_login: bool = False

    @property
    def pool_sign_in(self) -> bool:
        """Whether the client signs the pool's own users in (COGNITO among its
        SupportedIdentityProviders): the login form, sign-up and password reset. Without it
        the login page shows only the provider buttons, as Cognito's does."""
        return COGNITO in self.identity_providers

    @property
    def query(self) -> dict[str, str]:
        """The authorization request as query parameters: every link and form carries it."""
        return self.authorization.to_query()

    def url(self, path: str, **extra: str) -> str:
        """A page's URL with the authorization request (and `extra` parameters)."""
        return self.ctx.url(path, {**self.query, **extra})

    @property
    def secure_transport(self) -> bool:
        return self.ctx.base_url.startswith("https:")


@dataclass(frozen=True)
class Posted:
    """A posted form: its fields (CSRF token aside) and whether the token matched."""

    fields: Mapping[str, str]
    csrf_ok: bool

    def get(self, name: str) -> str:
        return self.fields.get(name, "")


class Pages:
    """What every page uses; built once by `hosted_ui_routes`."""

    def __init__(self, services: Services) -> None:
        self.services = services

    # --- the visit
    async def visit(self, request: Request) -> Visit:
        """The page's request checked again (as /oauth2/authorize checked it): PageExit with
        the error page, or a redirect with the error once the redirect_uri is known."""
        try:
            ctx = domain_of(request)
        except LookupError:
            raise PageExit(error_page(request, InvalidRequest("Unknown domain."), 404)) from None
        params = dict(request.query_params)
        try:
            authorization = await self.services.authorize.check(ctx.pool_id, params)
        except Redirectable as target:
            raise PageExit(secure(RedirectResponse(target.location(), 302))) from None
        except OAuthError as exc:
            raise PageExit(error_page(request, exc, exc.status)) from None
        cookie = request.cookies.get(CSRF_COOKIE, "")
        new_cookie = not (20 <= len(cookie) <= 100 and cookie.isascii())
        if new_cookie:
            cookie = self.services.form_tokens.new_cookie()
        lang = languages.choose(authorization.lang, request.headers.get("accept-language"))
        branding, client_name = await page_branding(self.services, authorization)
        _pool, client = await self.services.clients.client_in_pool(
            ctx.pool_id, authorization.client_id
        )
        supported = tuple(client.oauth.identity_providers or ())
        corporate = False
        if any(name != COGNITO for name in supported):
            providers = await self.services.identity_providers.providers_of(ctx.pool_id)
            corporate = any(p.idp_identifiers and p.name in supported for p in providers)
        return Visit(
            request,
            ctx,
            authorization,
            lang,
            cookie,
            new_cookie,
            branding,
            client_name,
            supported,
            corporate,
        )

    # --- forms
    async def posted(self, visit: Visit, form: str) -> Posted:
        """The form `form` as posted; FormError (an error page) for a body this server does not
        read. A CSRF mismatch is not raised: the page shows its form again with CSRF_FAILED."""
        fields = dict(await read_form(visit.request))
        token = fields.pop(CSRF_FIELD, None)
        cookie = None if visit.new_cookie else visit.csrf_cookie
        ok = self.services.form_tokens.check(cookie, form, token)
        return Posted(fields, ok)

    # --- answers
    def render(self, visit: Visit, template: str, status: int = 200, **values: Any) -> Response:
        """`template` with the page's common values: `visit`, `url(path)` (a page's URL with the
        authorization request), `csrf(form)` (the hidden field's token), `stylesheet`,
        `languages`; `error`, `notice` and `field_errors` default to none."""
        tokens = self.services.form_tokens
        common: dict[str, Any] = {
            "visit": visit,
            "url": visit.url,
            "csrf_field": CSRF_FIELD,
            "csrf": lambda form: tokens.token(visit.csrf_cookie, form),
            "stylesheet": static_url(visit.ctx, "mamori.css"),
            "language_links": [
                (
                    code,
                    languages.NATIVE_NAMES[code],
                    visit.ctx.url(
                        visit.request.url.path.removeprefix(_path_prefix(visit.ctx)),
                        {**visit.query, "lang": code},
                    ),
                )
                for code in languages.LANGUAGES
            ],
            "error": None,
            "notice": None,
            "field_errors": {},
        }
        common.update(branding_values(visit))
        common.update(values)
        response = render_template(template, visit.lang, common, status)
        # A form whose answer redirects to the client's callback (the sign-in's end) needs
        # that origin in form-action: browsers apply it to the redirect after a POST.
        secure(response, callback_sources(visit.authorization.redirect_uri))
        return self.with_cookie(visit, response)

    def redirect(self, visit: Visit, url: str) -> Response:
        """303 See Other to `url` (after a POST: the browser GETs it)."""
        return self.with_cookie(visit, secure(RedirectResponse(url, 303)))

    def with_cookie(self, visit: Visit, response: Response) -> Response:
        if visit.new_cookie:
            response.set_cookie(
                CSRF_COOKIE,
                visit.csrf_cookie,
                path=visit.ctx.cookie_path,
                httponly=True,
                secure=visit.secure_transport,
                samesite="lax",
            )
        return response


def callback_sources(redirect_uri: str) -> list[str]:
    """The CSP source naming the callback's origin (`https://app.example:8443`, or `myapp:` for
    a custom scheme); none when it can't be written as one safely."""
    parts = urllib.parse.urlsplit(redirect_uri)
    scheme = parts.scheme.lower()
    if not re.fullmatch(r"[a-z][a-z0-9+.-]*", scheme):
        return []
    if scheme in ("http", "https"):
        if not re.fullmatch(
            r"[A-Za-z0-9.\-]+(:[0-9]+)?|\[[0-9A-Fa-f:.]+\](:[0-9]+)?", parts.netloc
        ):
            return []
        return [f"{scheme}://{parts.netloc}"]
    return [f"{scheme}:"]


def _path_prefix(ctx: DomainContext) -> str:
    """The path the domain's routes hang under: "" on a domain host, "/<poolId>" by prefix."""
    return urllib.parse.urlsplit(ctx.base_url).path.rstrip("/")


Handler = Callable[[Request], Awaitable[Response]]


def page(handler: Handler) -> Handler:
    """Wraps a page: PageExit answers with its response, an unreadable form with the error
    page (never a 500 for anything a browser can send)."""

    @functools.wraps(handler)
    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except PageExit as exit_:
            return exit_.response
        except FormError as exc:
            return error_page(request, InvalidRequest(str(exc)), exc.status)

    return run


def page_route(path: str, handler: Handler, methods: tuple[str, ...] = ("GET", "POST")) -> Route:
    return Route(path, page(handler), methods=list(methods))
