"""The hosted pages' routes, relative to the domain's root (api/oauth2/routing.py mounts them
on a pool's domain host and under `/<poolId>/`)."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from mamori.api.hosted_ui.branding import branding_routes
from mamori.api.hosted_ui.mfa import mfa_routes
from mamori.api.hosted_ui.pages import Pages
from mamori.api.hosted_ui.recovery import recovery_routes
from mamori.api.hosted_ui.rendering import serve_static
from mamori.api.hosted_ui.sign_in import sign_in_routes
from mamori.api.hosted_ui.sign_up import sign_up_routes
from mamori.services.container import Services


def hosted_ui_routes(services: Services) -> list[BaseRoute]:
    pages = Pages(services)
    # /static/custom.css (the pool's or client's branding) before the static files' route.
    routes: list[BaseRoute] = [*branding_routes(services)]
    routes.append(Route("/static/{name}", serve_static, methods=["GET"]))
    # Each page module gives its routes as `<name>_routes(pages) -> list[BaseRoute]`:
    # sign-in (/login and the challenges after it) in sign_in.py, its MFA pages in mfa.py;
    # sign-up, confirmation, recovery and resend pages (C2) join the list here.
    routes += sign_in_routes(pages) + mfa_routes(pages)
    routes += sign_up_routes(pages) + recovery_routes(pages)
    return routes
