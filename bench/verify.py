"""Offline token verification: mamori.verify.Verifier's rate against the raw RS256 verify of the
same token (cryptography's RSA verify: the floor any verifier pays). Run by hand:

    .venv/bin/python -m bench.verify [--seconds 1] [--rounds 5] [--distinct 8192]

Rows, each in CPU time per call on one thread (thread_time, steady on a shared machine):
- raw: split the token, base64url-decode the signature, RSA-PKCS1v15-SHA256 verify over
  `header.payload` with the public key already parsed. The target's denominator.
- verify, same token: `Verifier.verify` on one token again and again (a client reusing its
  access token; the checked claims are cached by payload text, the signature is verified on
  every call).
- averify, same token: the same through `await Verifier.averify` inside one event loop.
- verify, distinct tokens: `--distinct` different tokens in turn, more than the claims cache
  holds, so every call parses and checks its claims; next to raw over the same distinct tokens
  (their memory traffic is part of both).
- PyJWT decode: `jwt.decode` with the same key and options, for reference.
The JWKS is served once by an in-process HTTP server and fetched before timing starts.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from jwt.algorithms import RSAAlgorithm

from mamori.verify import Verifier

POOL = "us-east-1_Bench0001"
CLIENT = "benchclient0000000000000001"


def claims_for(issuer: str, now: int) -> dict[str, Any]:
    """An access token's claims as mamori issues them after InitiateAuth."""
    return {
        "sub": str(uuid.uuid4()),
        "cognito:groups": ["admin", "reader"],
        "iss": issuer,
        "version": 2,
        "client_id": CLIENT,
        "origin_jti": str(uuid.uuid4()),
        "event_id": str(uuid.uuid4()),
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin",
        "auth_time": now,
        "exp": now + 3600,
        "iat": now,
        "jti": str(uuid.uuid4()),
        "username": f"user-{uuid.uuid4().hex[:8]}",
    }


def serve_jwks(jwks: dict[str, Any]) -> tuple[ThreadingHTTPServer, str]:
    body = json.dumps(jwks).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


def cpu_us(work: Callable[[], object], seconds: float) -> float:
    """CPU microseconds per call on this thread."""
    calls, stop = 0, time.perf_counter() + seconds
    cpu = time.thread_time()
    while time.perf_counter() < stop:
        for _ in range(100):
            work()
        calls += 100
    return (time.thread_time() - cpu) * 1e6 / calls


def async_cpu_us(verifier: Verifier, token: str, seconds: float) -> float:
    async def run() -> float:
        calls, stop = 0, time.perf_counter() + seconds
        cpu = time.thread_time()
        while time.perf_counter() < stop:
            for _ in range(100):
                await verifier.averify(token)
            calls += 100
        return (time.thread_time() - cpu) * 1e6 / calls

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--distinct", type=int, default=8192)
    args = parser.parse_args()

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = private.public_key()
    kid = uuid.uuid4().hex
    jwk = {**RSAAlgorithm.to_jwk(public, as_dict=True), "kid": kid, "alg": "RS256", "use": "sig"}
    httpd, base = serve_jwks({"keys": [jwk]})
    issuer = f"{base}/{POOL}"
    now = int(time.time())
    token = jwt.encode(claims_for(issuer, now), private, algorithm="RS256", headers={"kid": kid})
    print(f"signing {args.distinct} distinct tokens...", flush=True)
    distinct = [
        jwt.encode(claims_for(issuer, now), private, algorithm="RS256", headers={"kid": kid})
        for _ in range(args.distinct)
    ]
    verifier = Verifier(issuer, client_ids=[CLIENT])
    verifier.verify(token)  # the one JWKS fetch, before any timing
    httpd.shutdown()

    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()

    def raw() -> None:
        head, payload, signature = token.split(".")
        sig = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        public.verify(sig, f"{head}.{payload}".encode(), pkcs1, sha256)

    def same() -> None:
        verifier.verify(token)

    position = [0]

    def raw_different() -> None:
        i = position[0] = (position[0] + 1) % len(distinct)
        head, payload, signature = distinct[i].split(".")
        sig = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        public.verify(sig, f"{head}.{payload}".encode(), pkcs1, sha256)

    def different() -> None:
        i = position[0] = (position[0] + 1) % len(distinct)
        verifier.verify(distinct[i])

    def pyjwt() -> None:
        jwt.decode(token, public, algorithms=["RS256"], options={"verify_aud": False})

    rows: dict[str, list[float]] = {
        "raw RS256 verify": [],
        "Verifier.verify, same token": [],
        "Verifier.averify, same token": [],
        "raw RS256 verify, distinct tokens": [],
        "Verifier.verify, distinct tokens": [],
        "PyJWT jwt.decode, same token": [],
    }
    for _ in range(args.rounds):
        # Interleaved, so a burst of load from other processes hits every row alike.
        rows["raw RS256 verify"].append(cpu_us(raw, args.seconds))
        rows["Verifier.verify, same token"].append(cpu_us(same, args.seconds))
        rows["Verifier.averify, same token"].append(async_cpu_us(verifier, token, args.seconds))
        rows["raw RS256 verify, distinct tokens"].append(cpu_us(raw_different, args.seconds))
        rows["Verifier.verify, distinct tokens"].append(cpu_us(different, args.seconds))
        rows["PyJWT jwt.decode, same token"].append(cpu_us(pyjwt, args.seconds))

    print(
        "| what | µs/call (median, min-max) | calls/s (median) | share of raw, per round (median) |"
    )
    print("| --- | --- | --- | --- |")
    for name, values in rows.items():
        # Distinct tokens are compared with raw over the same distinct tokens.
        raws = rows["raw RS256 verify" + (", distinct tokens" if "distinct" in name else "")]
        shares = [r / v for r, v in zip(raws, values, strict=True)]
        med = statistics.median(values)
        print(
            f"| {name} | {med:.1f} ({min(values):.1f}-{max(values):.1f}) | {1e6 / med:,.0f} | "
            f"{statistics.median(shares):.0%} ({min(shares):.0%}-{max(shares):.0%}) |"
        )


if __name__ == "__main__":
    main()
