"""A plain OAuth 2.0 social provider for tests (Facebook- or Login with Amazon-shaped): a small
Starlette app on loopback, served by uvicorn in a thread. /authorize sends the browser back to
the redirect_uri with a one-time code for the user `sign_in_as` names (or with `error`),
/token redeems the code for an access token when client id, secret and redirect_uri match,
and the profile endpoint (Graph's /<version>/me?fields=, Amazon's /user/profile) answers the
Bearer token with that user's profile (Graph's only with the fields asked for)."""

from __future__ import annotations

import secrets
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from tests.support.live import free_port


@dataclass
class SocialStandIn:
    """`kind`: "facebook" or "amazon"; what the provider saw is kept for the tests to read."""

    kind: str
    client_id: str
    client_secret: str
    url: str = ""
    profile: dict[str, Any] = field(default_factory=dict)
    deny: bool = False
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    profile_requests: list[str] = field(default_factory=list)
    _codes: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    _tokens: dict[str, dict[str, Any]] = field(default_factory=dict)

    def sign_in_as(self, **profile: Any) -> None:
        self.profile, self.deny = dict(profile), False

    def endpoints(self) -> dict[str, str]:
        """The federation_endpoints overrides that point mamori here."""
        if self.kind == "facebook":
            return {
                "facebook.authorize_url": f"{self.url}/{{api_version}}/dialog/oauth",
                "facebook.token_url": f"{self.url}/{{api_version}}/oauth/access_token",
                "facebook.attributes_url": f"{self.url}/{{api_version}}/me?fields=",
            }
        return {
            "amazon.authorize_url": f"{self.url}/ap/oa",
            "amazon.token_url": f"{self.url}/auth/o2/token",
            "amazon.attributes_url": f"{self.url}/user/profile",
        }

    async def authorize(self, request: Request) -> Response:
        params = dict(request.query_params)
        self.authorize_requests.append(params)
        back: dict[str, str] = {"state": params.get("state", "")}
        if self.deny:
            back["error"] = "access_denied"
        else:
            code = secrets.token_urlsafe(16)
            self._codes[code] = (params.get("redirect_uri", ""), dict(self.profile))
            back["code"] = code
        sep = "&" if "?" in params.get("redirect_uri", "") else "?"
        return RedirectResponse(
            f"{params['redirect_uri']}{sep}{urllib.parse.urlencode(back)}", status_code=302
        )

    async def token(self, request: Request) -> Response:
        form = dict(urllib.parse.parse_qsl((await request.body()).decode()))
        self.token_requests.append(form)
        issued = self._codes.pop(form.get("code", ""), None)
        if (
            issued is None
            or form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
            or form.get("redirect_uri") != issued[0]
        ):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        access = secrets.token_urlsafe(24)
        self._tokens[access] = issued[1]
        return JSONResponse({"access_token": access, "token_type": "bearer", "expires_in": 3600})

    async def me(self, request: Request) -> Response:
        self.profile_requests.append(str(request.url))
        auth = request.headers.get("authorization", "")
        profile = self._tokens.get(auth.removeprefix("Bearer "))
        if profile is None:
            return JSONResponse({"error": {"message": "Invalid OAuth access token"}}, 401)
        if self.kind == "facebook":
            fields = request.query_params.get("fields", "").split(",")
            profile = {k: v for k, v in profile.items() if k in fields}
        return JSONResponse(profile)

    def app(self) -> Starlette:
        if self.kind == "facebook":
            routes = [
                Route("/{version}/dialog/oauth", self.authorize),
                Route("/{version}/oauth/access_token", self.token, methods=["POST"]),
                Route("/{version}/me", self.me),
            ]
        else:
            routes = [
                Route("/ap/oa", self.authorize),
                Route("/auth/o2/token", self.token, methods=["POST"]),
                Route("/user/profile", self.me),
            ]
        return Starlette(routes=routes)


@contextmanager
def social_stand_in(kind: str, client_id: str, client_secret: str) -> Iterator[SocialStandIn]:
    port = free_port()
    stand_in = SocialStandIn(kind, client_id, client_secret, url=f"http://127.0.0.1:{port}")
    server = uvicorn.Server(
        uvicorn.Config(stand_in.app(), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the {kind} stand-in did not start")
        time.sleep(0.02)
    try:
        yield stand_in
    finally:
        server.should_exit = True
        thread.join(timeout=10)
