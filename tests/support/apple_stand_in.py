"""Sign in with Apple for tests: a small Starlette app on loopback, served by uvicorn in a thread.
/auth/authorize answers (for the user `sign_in_as` names) an HTML page whose form POSTs
(response_mode=form_post) code, state, id_token and, the first time that user authorizes the
client only, the `user` JSON to the redirect_uri, with a submit button `#continue`; or the form
carries `error=user_cancelled_authorize`. /auth/token redeems the code only for a client secret
that is an ES256 JWT signed by the test's P-256 key (kid key_id, iss team_id, sub client_id, aud
https://appleid.apple.com, not expired) and answers an RS256 ID token whose keys are at
/auth/keys. Knobs make the ID token forged, for another audience, or with another nonce."""

from __future__ import annotations

import html
import json
import secrets
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from tests.support.hosted import forms_of
from tests.support.live import free_port

APPLE_ISSUER = "https://appleid.apple.com"
CANCELLED = "user_cancelled_authorize"


@dataclass
class AppleUser:
    sub: str
    email: str | None
    first_name: str | None
    last_name: str | None
    email_verified: str = "true"  # Apple sends strings ("true") as often as booleans
    is_private_email: str = "false"


@dataclass
class AppleStandIn:
    client_id: str
    team_id: str
    key_id: str
    client_key: ec.EllipticCurvePublicKey  # verifies mamori's client secret
    url: str = ""
    user: AppleUser | None = None
    deny: bool = False
    # Knobs for refused ID tokens: signed by a key not in the JWKS, another aud, another nonce.
    forge: bool = False
    audience: str | None = None
    nonce: str | None = None
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    secret_claims: list[dict[str, Any]] = field(default_factory=list)
    _signing: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    _kid: str = field(default_factory=lambda: secrets.token_hex(5))
    _authorized: set[str] = field(default_factory=set)  # subjects that authorized the client
    _codes: dict[str, tuple[str, AppleUser, str]] = field(default_factory=dict)

    def sign_in_as(
        self,
        sub: str,
        *,
        email: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        email_verified: str = "true",
        is_private_email: str = "false",
    ) -> None:
        self.user = AppleUser(sub, email, first_name, last_name, email_verified, is_private_email)
        self.deny = self.forge = False
        self.audience = self.nonce = None

    def endpoints(self) -> dict[str, str]:
        """The federation_endpoints overrides that point mamori here (the issuer stays Apple's:
        the stand-in signs as https://appleid.apple.com)."""
        return {
            "apple.authorize_url": f"{self.url}/auth/authorize",
            "apple.token_url": f"{self.url}/auth/token",
            "apple.jwks_uri": f"{self.url}/auth/keys",
        }

    def answer(self, authorize_url: str) -> tuple[str, dict[str, str]]:
        """What a browser at `authorize_url` would POST: (the form's action, its fields)."""
        page = httpx.get(authorize_url)
        assert page.status_code == 200, page.text
        [form] = forms_of(page.text)
        assert form.method == "post"
        return form.action, form.fields

    def id_token(self, user: AppleUser, nonce: str) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": APPLE_ISSUER,
            "aud": self.audience or self.client_id,
            "exp": now + 600,
            "iat": now,
            "sub": user.sub,
            "nonce": self.nonce or nonce,
            "nonce_supported": True,
            "auth_time": now,
        }
        if user.email is not None:
            claims["email"] = user.email
            claims["email_verified"] = user.email_verified
            claims["is_private_email"] = user.is_private_email
        key = (
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
            if self.forge
            else self._signing
        )
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": self._kid})

    async def authorize(self, request: Request) -> Response:
        params = dict(request.query_params)
        self.authorize_requests.append(params)
        if (
            params.get("client_id") != self.client_id
            or params.get("response_type") != "code"
            or params.get("response_mode") != "form_post"
            or not params.get("redirect_uri")
        ):
            return HTMLResponse("invalid_request", status_code=400)
        fields = {"state": params.get("state", "")}
        if self.deny or self.user is None:
            fields["error"] = CANCELLED
        else:
            user = self.user
            code = "c" + secrets.token_hex(16) + ".0.apple"
            nonce = params.get("nonce", "")
            self._codes[code] = (params["redirect_uri"], user, nonce)
            fields["code"] = code
            fields["id_token"] = self.id_token(user, nonce)
            if user.sub not in self._authorized:
                # Apple: the name and email come once, at the first authorization.
                self._authorized.add(user.sub)
                names = {"firstName": user.first_name, "lastName": user.last_name}
                shared: dict[str, Any] = {"name": {k: v for k, v in names.items() if v}}
                if user.email:
                    shared["email"] = user.email
                fields["user"] = json.dumps(shared)
        inputs = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in fields.items()
        )
        page = (
            "<!doctype html><title>Sign in with Apple</title>"
            f'<form method="post" action="{html.escape(params["redirect_uri"])}">{inputs}'
            '<button type="submit" id="continue">Continue</button></form>'
        )
        return HTMLResponse(page)

    def _secret_ok(self, secret: str) -> bool:
        try:
            header = jwt.get_unverified_header(secret)
            claims = jwt.decode(
                secret,
                self.client_key,
                algorithms=["ES256"],
                audience=APPLE_ISSUER,
                issuer=self.team_id,
                options={"require": ["exp", "iat", "iss", "sub", "aud"]},
            )
        except jwt.PyJWTError:
            return False
        self.secret_claims.append(dict(claims))
        return header.get("kid") == self.key_id and claims.get("sub") == self.client_id

    async def token(self, request: Request) -> Response:
        form = dict(urllib.parse.parse_qsl((await request.body()).decode()))
        self.token_requests.append(form)
        if form.get("client_id") != self.client_id or not self._secret_ok(
            form.get("client_secret", "")
        ):
            return JSONResponse({"error": "invalid_client"}, status_code=400)
        issued = self._codes.pop(form.get("code", ""), None)
        if (
            issued is None
            or form.get("grant_type") != "authorization_code"
            or form.get("redirect_uri") != issued[0]
        ):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        _, user, nonce = issued
        return JSONResponse(
            {
                "access_token": "a" + secrets.token_hex(16),
                "token_type": "Bearer",
                "expires_in": 3600,
                "refresh_token": "r" + secrets.token_hex(16),
                "id_token": self.id_token(user, nonce),
            }
        )

    async def keys(self, request: Request) -> Response:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._signing.public_key()))
        jwk.update({"kid": self._kid, "alg": "RS256", "use": "sig"})
        return JSONResponse({"keys": [jwk]})

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/auth/authorize", self.authorize),
                Route("/auth/token", self.token, methods=["POST"]),
                Route("/auth/keys", self.keys),
            ]
        )


@contextmanager
def apple_stand_in(
    client_id: str, team_id: str, key_id: str, client_key: ec.EllipticCurvePublicKey
) -> Iterator[AppleStandIn]:
    port = free_port()
    stand_in = AppleStandIn(client_id, team_id, key_id, client_key, url=f"http://127.0.0.1:{port}")
    server = uvicorn.Server(
        uvicorn.Config(stand_in.app(), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the Apple stand-in did not start")
        time.sleep(0.02)
    try:
        yield stand_in
    finally:
        server.should_exit = True
        thread.join(timeout=10)
