"""A stand-in token issuer for the verifier's tests: RSA keys, Cognito-shaped tokens signed
locally, and the JWKS served over HTTP on a free port (counting its fetches)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

CLIENT = "client1abc"
POOL = "eu-west-1_AbCdEf123"


@dataclass
class Clock:
    """Wall time the test moves by hand."""

    now: float = field(default_factory=lambda: float(int(time.time())))

    def __call__(self) -> float:
        return self.now


@dataclass
class Key:
    kid: str
    private: rsa.RSAPrivateKey

    def jwk(self) -> dict[str, Any]:
        public = RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {**public, "kid": self.kid, "alg": "RS256", "use": "sig"}


def new_key(kid: str | None = None) -> Key:
    return Key(kid or uuid.uuid4().hex, rsa.generate_private_key(65537, 2048))


class Issuer:
    """Tokens for `issuer`; `published` is what its JWKS lists (change it to rotate keys)."""

    def __init__(self, base_url: str, issuer: str | None = None) -> None:
        self.base_url = base_url
        self.issuer = issuer or f"{base_url}/{POOL}"
        self.signing = new_key()
        self.published: list[Key] = [self.signing]
        self.fetches = 0
        self.status = 200
        self.delay = 0.0

    @property
    def jwks_url(self) -> str:
        return f"{self.base_url}/{POOL}/.well-known/jwks.json"

    def jwks(self) -> dict[str, Any]:
        return {"keys": [k.jwk() for k in self.published]}

    def token(
        self,
        token_use: str = "access",  # noqa: S107 (not a secret)
        *,
        key: Key | None = None,
        headers: dict[str, Any] | None = None,
        now: float | None = None,
        **overrides: Any,
    ) -> str:
        iat = int(now if now is not None else time.time())
        claims: dict[str, Any] = {
            "sub": "7f2c1e2a-0000-4000-8000-000000000001",
            "iss": self.issuer,
            "token_use": token_use,
            "auth_time": iat,
            "iat": iat,
            "exp": iat + 3600,
            "jti": str(uuid.uuid4()),
            "origin_jti": str(uuid.uuid4()),
            "event_id": str(uuid.uuid4()),
        }
        if token_use == "access":
            claims |= {
                "client_id": CLIENT,
                "scope": "orders/read aws.cognito.signin.user.admin",
                "username": "alice",
                "cognito:groups": ["reader"],
                "version": 2,
            }
        else:
            claims |= {
                "aud": CLIENT,
                "cognito:username": "alice",
                "email": "alice@example.com",
                "email_verified": True,
                "cognito:groups": ["reader"],
            }
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        signer = key or self.signing
        return jwt.encode(
            claims,
            signer.private,
            algorithm="RS256",
            headers={"kid": signer.kid, **(headers or {})},
        )


@contextmanager
def serve_issuer(issuer_url: str | None = None) -> Iterator[Issuer]:
    """An Issuer whose JWKS answers at `{base}/{POOL}/.well-known/jwks.json`; `issuer_url`
    overrides the `iss` its tokens carry (a real Cognito pool's, served from here)."""
    holder: dict[str, Issuer] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            issuer = holder["issuer"]
            if self.path != f"/{POOL}/.well-known/jwks.json":
                self.send_error(404)
                return
            issuer.fetches += 1
            if issuer.delay:
                time.sleep(issuer.delay)
            body = json.dumps(issuer.jwks()).encode()
            self.send_response(issuer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    holder["issuer"] = Issuer(base, issuer_url)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder["issuer"]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
