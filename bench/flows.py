"""Sign-ins of several requests for the load generator: `srp_signin` (InitiateAuth USER_SRP_AUTH,
then PASSWORD_VERIFIER) and `mfa_signin` (USER_PASSWORD_AUTH, then SOFTWARE_TOKEN_MFA).

The client's side must be cheap, or the load generator measures itself: the SRP math runs on
gmpy2, and g^x is computed once per user (it depends only on the user's salt and password,
which do not change), leaving two modular exponentiations with short exponents per sign-in.
One latency sample is one whole sign-in (both requests).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import multiprocessing as mp
import secrets
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import gmpy2
import pyotp

from bench import argon2ref, load, seed
from mamori.crypto.srp import G, K, N, format_timestamp, pad_hex, pool_name

OPS = ("srp_signin", "mfa_signin")
TOTP_STEP = 30
_INFO = b"Caldera Derived Key\x01"


def _h(data: bytes) -> int:
    return int.from_bytes(hashlib.sha256(data).digest(), "big")


def _padded(value: int) -> bytes:
    return bytes.fromhex(pad_hex(value))


class SrpClient:
    """What amazon-cognito-identity-js's AuthenticationHelper computes, on gmpy2."""

    def __init__(self, pool_id: str, password: str) -> None:
        self.realm = pool_name(pool_id)
        self.password = password
        self._gx: dict[tuple[str, str], tuple[Any, Any]] = {}

    def start(self) -> tuple[Any, int]:
        a = gmpy2.mpz(secrets.randbits(256) | 1)
        return a, int(gmpy2.powmod(G, a, N))

    def claim(self, a: Any, big_a: int, params: dict[str, str], now: datetime) -> dict[str, str]:
        user_id, salt, big_b = params["USER_ID_FOR_SRP"], params["SALT"], int(params["SRP_B"], 16)
        cached = self._gx.get((user_id, salt))
        if cached is None:
            inner = hashlib.sha256(f"{self.realm}{user_id}:{self.password}".encode()).digest()
            x = gmpy2.mpz(_h(_padded(int(salt, 16)) + inner))
            cached = self._gx[(user_id, salt)] = (x, gmpy2.powmod(G, x, N))
        x, gx = cached
        u = _h(_padded(big_a) + _padded(big_b))
        s = int(gmpy2.powmod((big_b - K * gx) % N, a + u * x, N))
        prk = hmac.new(_padded(u), _padded(s), hashlib.sha256).digest()
        key = hmac.new(prk, _INFO, hashlib.sha256).digest()[:16]
        stamp = format_timestamp(now)
        block = base64.b64decode(params["SECRET_BLOCK"])
        message = self.realm.encode() + user_id.encode() + block + stamp.encode()
        return {
            "USERNAME": params["USERNAME"],
            "PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"],
            "PASSWORD_CLAIM_SIGNATURE": base64.b64encode(
                hmac.new(key, message, hashlib.sha256).digest()
            ).decode(),
            "TIMESTAMP": stamp,
        }


@dataclass
class Setup:
    """What an op needs beyond the pool: its client, users and (MFA) their TOTP secrets."""

    pool_id: str
    client_id: str
    users: list[str]
    secrets: dict[str, str] = field(default_factory=dict)
    last_steps: dict[str, int] = field(default_factory=dict)


@dataclass
class FlowJob:
    url: str
    op: str
    setup: Setup
    concurrency: int
    start_at: float
    measure_at: float
    end_at: float


def _dump(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


class _Conn:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.hostport = f"{host}:{port}"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def call(self, operation: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(load.request_bytes(self.hostport, operation, _dump(body)))
        status, raw = await load._read_response(self.reader)
        return status, json.loads(raw) if raw else {}

    async def reset(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


async def _srp_once(conn: _Conn, job: FlowJob, client: SrpClient, user: str) -> str | None:
    a, big_a = client.start()
    status, out = await conn.call(
        "InitiateAuth",
        {
            "AuthFlow": "USER_SRP_AUTH",
            "ClientId": job.setup.client_id,
            "AuthParameters": {"USERNAME": user, "SRP_A": format(big_a, "x")},
        },
    )
    if status != 200 or out.get("ChallengeName") != "PASSWORD_VERIFIER":
        return f"{status} {str(out)[:160]}"
    responses = client.claim(a, big_a, out["ChallengeParameters"], datetime.now(UTC))
    status, out = await conn.call(
        "RespondToAuthChallenge",
        {
            "ChallengeName": "PASSWORD_VERIFIER",
            "ClientId": job.setup.client_id,
            "ChallengeResponses": responses,
        },
    )
    if status != 200 or "AuthenticationResult" not in out:
        return f"{status} {str(out)[:160]}"
    return None


def totp_code(secret: str, last: int | None) -> tuple[int, str] | None:
    """The next code this user may use (each step once, one step of drift either way, and
    still good for a few seconds): None when the user must wait for the next step."""
    moment = time.time()
    now = int(moment) // TOTP_STEP
    earliest = now - 1 if (now + 1) * TOTP_STEP - moment > 5 else now
    step = earliest if last is None else max(last + 1, earliest)
    if step > now + 1:
        return None
    return step, pyotp.TOTP(secret).at(step * TOTP_STEP)


async def _mfa_once(conn: _Conn, job: FlowJob, user: str, step: int, code: str) -> str | None:
    status, out = await conn.call(
        "InitiateAuth",
        {
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": job.setup.client_id,
            "AuthParameters": {"USERNAME": user, "PASSWORD": argon2ref.PASSWORD},
        },
    )
    if status != 200 or out.get("ChallengeName") != "SOFTWARE_TOKEN_MFA":
        return f"{status} {str(out)[:160]}"
    status, out = await conn.call(
        "RespondToAuthChallenge",
        {
            "ChallengeName": "SOFTWARE_TOKEN_MFA",
            "ClientId": job.setup.client_id,
            "Session": out["Session"],
            "ChallengeResponses": {"USERNAME": user, "SOFTWARE_TOKEN_MFA_CODE": code},
        },
    )
    if status != 200 or "AuthenticationResult" not in out:
        return f"{status} {str(out)[:160]}"
    return None


async def _run(job: FlowJob) -> load.Outcome:
    parts = urlsplit(job.url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    outcome = load.Outcome()
    users: deque[str] = deque(job.setup.users)
    last = dict(job.setup.last_steps)
    client = SrpClient(job.setup.pool_id, argon2ref.PASSWORD)

    async def connection() -> None:
        conn = _Conn(host, port)
        try:
            while time.time() < job.end_at:
                user = users.popleft()
                started, wall = time.perf_counter(), time.time()
                try:
                    if job.op == "srp_signin":
                        problem = await _srp_once(conn, job, client, user)
                    else:
                        code = totp_code(job.setup.secrets[user], last.get(user))
                        if code is None:  # this user's codes are used up for now
                            users.append(user)
                            await asyncio.sleep(0.02)
                            continue
                        last[user] = code[0]
                        problem = await _mfa_once(conn, job, user, *code)
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    problem = repr(exc)
                    await conn.reset()
                users.append(user)
                if wall < job.measure_at:
                    continue
                if time.time() > job.end_at:
                    outcome.late += 1
                    continue
                if problem is not None:
                    outcome.errors += 1
                    if len(outcome.error_samples) < 5:
                        outcome.error_samples.append(problem)
                    continue
                outcome.latencies.append(time.perf_counter() - started)
        finally:
            await conn.reset()

    delay = job.start_at - time.time()
    if delay > 0:
        await asyncio.sleep(delay)
    cpu0 = time.process_time()
    await asyncio.gather(*(connection() for _ in range(job.concurrency)))
    outcome.cpu = time.process_time() - cpu0
    return outcome


def _worker(job: FlowJob, results: mp.Queue[load.Outcome]) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    results.put(asyncio.run(_run(job)))


def run_jobs(jobs: Sequence[FlowJob]) -> list[load.Outcome]:
    ctx = mp.get_context("fork")
    results: mp.Queue[load.Outcome] = ctx.Queue()
    workers = [ctx.Process(target=_worker, args=(job, results), daemon=True) for job in jobs]
    for w in workers:
        w.start()
    outcomes = [results.get() for _ in workers]
    for w in workers:
        w.join()
    return outcomes


def jobs(
    url: str,
    op: str,
    setup: Setup,
    concurrency: int,
    procs: int,
    start: float,
    measure_at: float,
    end: float,
) -> list[FlowJob]:
    """One job per load process, each with its own users (a user is never in two sign-ins)."""
    per_proc = max(1, concurrency // procs)
    out = []
    for k in range(procs):
        users = setup.users[k::procs]
        part = Setup(
            setup.pool_id,
            setup.client_id,
            users,
            {u: setup.secrets[u] for u in users if u in setup.secrets},
            {u: setup.last_steps[u] for u in users if u in setup.last_steps},
        )
        out.append(FlowJob(url, op, part, min(per_proc, len(users)), start, measure_at, end))
    return out


# --- preparing the users
def _password_sign_ins(url: str, client_id: str, users: Sequence[str], procs: int) -> list[bytes]:
    bodies = [
        _dump(
            {
                "AuthFlow": "USER_PASSWORD_AUTH",
                "ClientId": client_id,
                "AuthParameters": {"USERNAME": u, "PASSWORD": argon2ref.PASSWORD},
            }
        )
        for u in users
    ]
    now = time.time()
    outcomes = load.run_jobs(
        [
            load.Job(url, "InitiateAuth", part, 8, now, now, now + 600, once=True, keep_bodies=True)
            for part in load.split(bodies, procs)
        ]
    )
    return [b for o in outcomes for b in o.bodies]


def prepare_srp(url: str, pool_id: str, client_id: str, count: int, procs: int) -> Setup:
    """The first `count` seeded users, each signed in once with its password: seeded users
    have no SRP verifier, and that sign-in makes it (services/auth/sign_in.py)."""
    users = [seed.username(i) for i in range(count)]
    signed = _password_sign_ins(url, client_id, users, procs)
    if len(signed) != len(users):
        raise SystemExit(f"srp_signin: {len(users) - len(signed)} password sign-ins failed")
    return Setup(pool_id, client_id, users)


async def _seed(database_url: str, pool_id: str, count: int, password_hash: str) -> None:
    await seed.seed(database_url, pool_id, count, password_hash)


def prepare_mfa(
    admin: Any, url: str, database_url: str, password_hash: str, count: int, procs: int
) -> Setup:
    """A pool with optional MFA and `count` users, each with a verified software token."""
    pool_id = admin.create_user_pool(PoolName=f"bench-mfa-{int(time.time())}")["UserPool"]["Id"]
    admin.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration="OPTIONAL",
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    client_id = admin.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="bench-mfa",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    asyncio.run(_seed(database_url, pool_id, count, password_hash))
    users = [seed.username(i) for i in range(count)]
    tokens = {}
    for body in _password_sign_ins(url, client_id, users, procs):
        result = json.loads(body).get("AuthenticationResult") or {}
        claims = json.loads(base64.urlsafe_b64decode(result["AccessToken"].split(".")[1] + "=="))
        tokens[claims["username"]] = result["AccessToken"]
    setup = Setup(pool_id, client_id, users)

    def enroll(user: str) -> None:
        secret = admin.associate_software_token(AccessToken=tokens[user])["SecretCode"]
        step, code = totp_code(secret, None) or (0, "")
        admin.verify_software_token(AccessToken=tokens[user], UserCode=code)
        admin.admin_set_user_mfa_preference(
            UserPoolId=pool_id,
            Username=user,
            SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
        )
        setup.secrets[user] = secret
        setup.last_steps[user] = step

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(enroll, users))
    return setup
