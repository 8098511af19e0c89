"""`python -m bench.run`: seed a pool, drive SignUp / sign-in / GetUser / refresh and the token
endpoint, report.

Against a live `mamori serve`. Reports ops/s, p50/p99 latency, errors, the server's CPU
milliseconds per operation and its RSS, and the machine's own argon2id verify rate at the
configured parameters (the ceiling for password sign-in). See docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

from bench import argon2ref, flows, load, oauth, procs, seed
from mamori.config import load_settings
from mamori.crypto.aead import Keyring
from mamori.crypto.passwords import HashParams
from mamori.wiring import master_key

OPS = ("signup", "signin", "getuser", "refresh", *flows.OPS, *oauth.OPS)
TARGETS = {
    "signup": "SignUp",
    "signin": "InitiateAuth",
    "getuser": "GetUser",
    "refresh": "InitiateAuth",
    # Two requests per sign-in (bench/flows.py): InitiateAuth, then RespondToAuthChallenge.
    "srp_signin": "InitiateAuth",
    "mfa_signin": "InitiateAuth",
    # POST /<poolId>/oauth2/token (bench/oauth.py), not the AWS JSON endpoint.
    "client_credentials": "token",
    "code_exchange": "token",
}


@dataclass
class Row:
    op: str
    users: int
    ops_per_s: float
    p50_ms: float
    p99_ms: float
    ok: int
    errors: int
    server_cpu_ms_per_op: float
    server_cpu_util: float  # cores busy on average
    client_cpu_util: float
    other_cpu_util: float  # cores busy with neither server, database nor load generator: noise
    db_cpu_ms_per_op: float  # this database's PostgreSQL backends (0 on SQLite)
    client_cpu_ms_per_op: float
    # What the machine's cores would sustain if nothing else ran: cores / (server + database +
    # load generator CPU per op). An estimate for a shared machine, never a measured rate.
    cpu_bound_ops_per_s: float
    server_rss_mib: dict[int, float]
    error_samples: list[str]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    p.add_argument("--url", default="http://127.0.0.1:9229")
    p.add_argument(
        "--users",
        type=int,
        default=None,
        help="users in the pool, seeding any missing; the load picks among all of them "
        "(default: a reused pool keeps the users it has, a new one gets 1,000)",
    )
    p.add_argument("--duration", type=float, default=10.0, help="measured seconds per op")
    p.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each op")
    p.add_argument("--concurrency", type=int, default=32, help="connections in total")
    p.add_argument("--procs", type=int, default=2, help="load generator processes")
    p.add_argument("--ops", default=",".join(OPS), help=f"comma list of {', '.join(OPS)}")
    p.add_argument("--pool-id", help="reuse this pool (and --client-id) instead of creating one")
    p.add_argument("--client-id")
    p.add_argument("--token-users", type=int, default=512, help="distinct users for tokens")
    p.add_argument("--srp-users", type=int, default=256, help="distinct users for srp_signin")
    p.add_argument(
        "--mfa-users",
        type=int,
        default=400,
        help="users with a TOTP token for mfa_signin (each takes ~3 sign-ins per 30 s)",
    )
    p.add_argument("--server-pid", help="comma list of server pids (default: found by port)")
    p.add_argument("--config", help="mamori TOML settings (for the database URL, argon2)")
    p.add_argument("--data-dir", dest="data_dir")
    p.add_argument("--database-url", dest="database_url")
    p.add_argument("--access-key-id", dest="access_key_id")
    p.add_argument("--secret-access-key", dest="secret_access_key")
    p.add_argument(
        "--seed-mode",
        choices=("store", "clone"),
        default="store",
        help="store: add_user per user; clone: copy the first user's rows (see bench/seed.py)",
    )
    p.add_argument("--seed-only", action="store_true", help="create and seed, measure nothing")
    p.add_argument("--argon2-seconds", type=float, default=4.0, help="0 skips the reference")
    p.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="signin: measure this many times, each against the mean of 2-thread argon2id "
        "references measured just before and just after it",
    )
    p.add_argument(
        "--oauth-path-prefix",
        action="store_true",
        help="client_credentials, code_exchange: reach the pool's domain by path prefix "
        "(/<poolId>/oauth2/token) instead of by Host (<prefix>.<auth_domain>)",
    )
    p.add_argument("--json-out", help="append the results as one JSON line to this file")
    p.add_argument("--label", default="", help="free text stored with --json-out results")
    return p


def _credentials(args: argparse.Namespace) -> tuple[str, str]:
    akid = args.access_key_id or os.environ.get("MAMORI_ADMIN_ACCESS_KEY_ID")
    secret = args.secret_access_key or os.environ.get("MAMORI_ADMIN_SECRET_ACCESS_KEY")
    if akid and secret:
        return akid, secret
    cmd = [sys.executable, "-m", "mamori.cli", "admin-credentials", "--json"]
    for flag in ("config", "data_dir", "database_url"):
        if getattr(args, flag):
            cmd += [f"--{flag.replace('_', '-')}", getattr(args, flag)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"cannot read admin credentials ({' '.join(cmd)}): {done.stderr}")
    data = json.loads(done.stdout)
    return data["aws_access_key_id"], data["aws_secret_access_key"]


def _admin(url: str, akid: str, secret: str) -> Any:
    import botocore.session
    from botocore.config import Config

    return botocore.session.get_session().create_client(
        "cognito-idp",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=akid,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )


def _setup_pool(admin: Any) -> tuple[str, str]:
    pool = admin.create_user_pool(PoolName=f"bench-{int(time.time())}")["UserPool"]["Id"]
    client = admin.create_user_pool_client(
        UserPoolId=pool,
        ClientName="bench",
        ExplicitAuthFlows=[
            "ALLOW_USER_PASSWORD_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH",
            "ALLOW_USER_SRP_AUTH",
        ],
    )["UserPoolClient"]["ClientId"]
    return pool, client


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def _bodies(op: str, client_id: str, users: int, tokens: list[tuple[str, str]]) -> list[bytes]:
    def dump(value: dict[str, Any]) -> bytes:
        return json.dumps(value, separators=(",", ":")).encode()

    if op == "signup":
        return [dump({"ClientId": client_id, "Username": "{n}", "Password": argon2ref.PASSWORD})]
    if op == "signin":
        picks = random.sample(range(users), min(users, 4096))
        return [
            dump(
                {
                    "AuthFlow": "USER_PASSWORD_AUTH",
                    "ClientId": client_id,
                    "AuthParameters": {
                        "USERNAME": seed.username(i),
                        "PASSWORD": argon2ref.PASSWORD,
                    },
                }
            )
            for i in picks
        ]
    if op == "getuser":
        return [dump({"AccessToken": access}) for access, _ in tokens]
    return [
        dump(
            {
                "AuthFlow": "REFRESH_TOKEN_AUTH",
                "ClientId": client_id,
                "AuthParameters": {"REFRESH_TOKEN": refresh},
            }
        )
        for _, refresh in tokens
    ]


def _harvest(bodies: list[bytes]) -> list[tuple[str, str]]:
    tokens = []
    for body in bodies:
        result = json.loads(body).get("AuthenticationResult") or {}
        if result.get("AccessToken") and result.get("RefreshToken"):
            tokens.append((result["AccessToken"], result["RefreshToken"]))
    return tokens


def _sign_in_for_tokens(
    args: argparse.Namespace, client_id: str, count: int
) -> list[tuple[str, str]]:
    bodies = _bodies("signin", client_id, args.users, [])[:count]
    now = time.time()
    jobs = [
        load.Job(
            args.url,
            "InitiateAuth",
            part,
            max(1, args.concurrency // args.procs),
            now,
            now,
            now + 600,
            once=True,
            keep_bodies=True,
        )
        for part in load.split(bodies, args.procs)
    ]
    outcomes = load.run_jobs(jobs)
    return _harvest([b for o in outcomes for b in o.bodies])


def _measure(
    args: argparse.Namespace,
    op: str,
    client_id: str,
    tokens: list[tuple[str, str]],
    pids: list[int],
    pg_database: str | None,
    flow: flows.Setup | None = None,
    token_endpoint: oauth.Setup | None = None,
) -> tuple[Row, list[bytes]]:
    bodies = _bodies(op, client_id, args.users, tokens)
    start = time.time() + 0.5
    measure_at = start + args.warmup
    end = measure_at + args.duration
    per_proc = max(1, args.concurrency // args.procs)
    run_id = f"{int(time.time()) % 100000}"
    jobs = [
        load.Job(
            args.url,
            TARGETS[op],
            part if op != "signup" else bodies,
            per_proc,
            start,
            measure_at,
            end,
            keep_bodies=(op == "signin"),
            unique_prefix=f"su{run_id}p{k}n" if op == "signup" else "",
        )
        for k, part in enumerate(
            load.split(bodies, args.procs) if op != "signup" else [bodies] * args.procs
        )
    ]

    async def snapshot_at(when: float) -> procs.Snapshot:
        await asyncio.sleep(max(0.0, when - time.time()))
        return procs.snapshot(pids, pg_database)

    import threading

    before: list[procs.Snapshot] = []
    t = threading.Thread(target=lambda: before.append(asyncio.run(snapshot_at(measure_at))))
    t.start()
    if token_endpoint is not None:
        outcomes = load.run_jobs(
            oauth.jobs(
                args.url, op, token_endpoint, args.concurrency, args.procs, start, measure_at, end
            )
        )
    elif flow is not None:
        outcomes = flows.run_jobs(
            flows.jobs(args.url, op, flow, args.concurrency, args.procs, start, measure_at, end)
        )
    else:
        outcomes = load.run_jobs(jobs)
    t.join()
    after = procs.snapshot(pids, pg_database)
    elapsed_server = time.time() - measure_at
    latencies = sorted(x for o in outcomes for x in o.latencies)
    errors = sum(o.errors for o in outcomes)
    late = sum(o.late for o in outcomes)
    handled = len(latencies) + errors + late
    cpu = after.total - before[0].total
    client_cpu = sum(o.cpu for o in outcomes)
    machine = after.machine - before[0].machine
    database = procs.database_cpu(before[0], after)
    row = Row(
        op=op,
        users=args.users,
        ops_per_s=len(latencies) / args.duration,
        p50_ms=_percentile(latencies, 0.50) * 1000,
        p99_ms=_percentile(latencies, 0.99) * 1000,
        ok=len(latencies),
        errors=errors,
        server_cpu_ms_per_op=cpu / handled * 1000 if handled else float("nan"),
        server_cpu_util=cpu / elapsed_server,
        client_cpu_util=client_cpu / (end - start),
        other_cpu_util=max(
            0.0, machine - cpu - database - client_cpu * elapsed_server / (end - start)
        )
        / elapsed_server,
        db_cpu_ms_per_op=database / handled * 1000 if handled else float("nan"),
        client_cpu_ms_per_op=client_cpu / handled * 1000 if handled else float("nan"),
        cpu_bound_ops_per_s=(
            (os.cpu_count() or 1) / ((cpu + database + client_cpu) / handled)
            if handled and cpu + database + client_cpu > 0
            else float("nan")
        ),
        server_rss_mib=procs.rss(pids),
        error_samples=[s for o in outcomes for s in o.error_samples][:5],
    )
    return row, [b for o in outcomes for b in o.bodies]


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    ops = [o.strip() for o in args.ops.split(",") if o.strip()]
    unknown = set(ops) - set(OPS)
    if unknown:
        print(f"unknown ops: {sorted(unknown)}", file=sys.stderr)
        return 2
    settings = load_settings(
        {"data_dir": args.data_dir, "database_url": args.database_url}, config_file=args.config
    )
    params = HashParams(
        settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
    )
    port = urlsplit(args.url).port or 80
    pids = (
        [int(p) for p in args.server_pid.split(",")]
        if args.server_pid
        else procs.pids_listening_on(port)
    )
    if not pids:
        print(f"no process listens on port {port}: is the server running?", file=sys.stderr)
        return 2
    akid, secret = _credentials(args)
    admin = _admin(args.url, akid, secret)
    if args.pool_id:
        pool_id, client_id = args.pool_id, args.client_id
        if not client_id:
            print("--pool-id needs --client-id", file=sys.stderr)
            return 2
    else:
        pool_id, client_id = _setup_pool(admin)
    print(f"pool {pool_id} client {client_id}; server pids {pids}", flush=True)
    db_url = make_url(settings.effective_database_url)
    pg_database = db_url.database if db_url.drivername.startswith("postgres") else None
    print(
        f"argon2id t={params.time_cost} m={params.memory_kib} KiB p={params.parallelism}; "
        f"database {settings.effective_database_url}",
        flush=True,
    )

    started = time.monotonic()
    added, args.users = asyncio.run(
        seed.seed(
            settings.effective_database_url,
            pool_id,
            args.users,
            argon2ref.shared_hash(params),
            Keyring(master_key(settings)),
            args.seed_mode,
        )
    )
    print(
        f"seeded {added} users in {time.monotonic() - started:.1f}s; the pool holds {args.users}",
        flush=True,
    )
    if args.seed_only:
        print(f"--pool-id {pool_id} --client-id {client_id}")
        return 0
    rss_idle = procs.rss(pids)
    print(f"server RSS before load (MiB): {_fmt_rss(rss_idle)}", flush=True)

    reference: dict[str, float] = {}
    if args.argon2_seconds > 0:
        for threads in (1, 2):
            rate = argon2ref.verify_rate(params, threads, args.argon2_seconds)
            reference[f"argon2id_verify_per_s_{threads}t"] = rate
            print(f"argon2id verify, {threads} thread(s): {rate:.1f}/s", flush=True)

    tokens: list[tuple[str, str]] = []
    token_endpoint: oauth.Setup | None = None
    rows: list[Row] = []
    ratios: list[float] = []
    bracket: list[tuple[float, float]] = []  # each sign-in round's references, before and after
    for op in ops:
        if op in {"getuser", "refresh"} and len(tokens) < min(args.token_users, args.users):
            need = min(args.token_users, args.users) - len(tokens)
            print(f"signing in {need} users for tokens...", flush=True)
            tokens += _sign_in_for_tokens(args, client_id, need)
        flow = None
        if op == "srp_signin":
            count = min(args.srp_users, args.users)
            print(f"signing in {count} users once with their password (SRP verifiers)...")
            flow = flows.prepare_srp(args.url, pool_id, client_id, count, args.procs)
        elif op == "mfa_signin":
            print(f"creating an MFA pool with {args.mfa_users} TOTP users...", flush=True)
            flow = flows.prepare_mfa(
                admin,
                args.url,
                settings.effective_database_url,
                argon2ref.shared_hash(params),
                args.mfa_users,
                args.procs,
            )
        if op in oauth.OPS:
            if token_endpoint is None:
                by_host = None if args.oauth_path_prefix else settings.effective_auth_domain
                token_endpoint = oauth.prepare(admin, pool_id, by_host)
            if op == "code_exchange":
                count = oauth.codes_needed(2000, args.warmup, args.duration)
                print(f"minting {count} authorization codes...", flush=True)
                oauth.mint_codes(
                    settings.effective_database_url,
                    Keyring(master_key(settings)),
                    token_endpoint,
                    count,
                )
        for _ in range(args.rounds if op == "signin" else 1):
            row, bodies = _measure(
                args,
                op,
                client_id,
                tokens,
                pids,
                pg_database,
                flow,
                token_endpoint if op in oauth.OPS else None,
            )
            if op == "signin":
                tokens += _harvest(bodies)
                tokens = tokens[: max(args.token_users, 1)]
                before = reference.get("argon2id_verify_per_s_2t")
                if before and args.argon2_seconds > 0:
                    # The machine's speed drifts with its neighbours' load: each round is
                    # compared with the mean of references measured just before and just after
                    # it (the one after is the next round's before).
                    after = argon2ref.verify_rate(params, 2, args.argon2_seconds)
                    print(f"argon2id verify, 2 thread(s): {after:.1f}/s", flush=True)
                    ratios.append(row.ops_per_s / ((before + after) / 2))
                    bracket.append((before, after))
                    reference["argon2id_verify_per_s_2t"] = after
            rows.append(row)
            ratio = ratios[-1] if op == "signin" and ratios else None
            print(_fmt_row(row, ratio), flush=True)
    if len(ratios) > 1:
        listed = ", ".join(f"{r:.0%}" for r in ratios)
        print(
            f"\nsignin / argon2id 2-thread rate (mean of the references before and after) by "
            f"round: {listed}; median "
            f"{statistics.median(ratios):.0%}"
        )
    print()
    print(_table(rows, reference))
    rates = {r.op: r.ops_per_s for r in rows}
    if rates.get("signin") and "srp_signin" in rates:
        # The SRP sign-in must not be the slow path: at least 80% of USER_PASSWORD_AUTH's rate.
        print(f"\nsrp_signin / signin: {rates['srp_signin'] / rates['signin']:.0%}")
    if args.json_out:
        record = {
            "label": args.label,
            "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "url": args.url,
            "database": settings.effective_database_url.split(":", 1)[0],
            "users": args.users,
            "concurrency": args.concurrency,
            "procs": args.procs,
            "duration": args.duration,
            "argon2": asdict(params),
            "reference": reference,
            "signin_ratios": ratios,
            "signin_references": bracket,
            "rss_idle": rss_idle,
            "rows": [asdict(r) for r in rows],
        }
        out = Path(args.json_out)
        out.parent.mkdir(parents=True, exist_ok=True)  # bench/results/ is git-ignored
        with out.open("a") as fh:
            fh.write(json.dumps(record) + "\n")
    return 0


def _fmt_rss(rss: dict[int, float]) -> str:
    return ", ".join(f"{pid}: {mib:.0f}" for pid, mib in rss.items())


def _fmt_row(row: Row, ratio: float | None = None) -> str:
    text = (
        f"{row.op:8} {row.ops_per_s:8.1f} ops/s  p50 {row.p50_ms:7.2f} ms  p99 {row.p99_ms:7.2f} ms"
        f"  errors {row.errors}  server {row.server_cpu_ms_per_op:.2f} CPU-ms/op"
        f" ({row.server_cpu_util:.2f} cores)  db {row.db_cpu_ms_per_op:.2f} CPU-ms/op"
        f"  client {row.client_cpu_util:.2f} cores"
        f"  other {row.other_cpu_util:.2f} cores  RSS {_fmt_rss(row.server_rss_mib)} MiB"
        f"  CPU-bound estimate {row.cpu_bound_ops_per_s:.0f} ops/s"
    )
    if ratio is not None:
        text += f"  = {ratio:.0%} of argon2id 2-thread verify rate"
    if row.error_samples:
        text += f"\n         error samples: {row.error_samples}"
    return text


def _table(rows: list[Row], reference: dict[str, float]) -> str:
    lines = [
        "| op | users | ops/s | p50 ms | p99 ms | errors | server CPU ms/op | db CPU ms/op "
        "| max RSS MiB | other load (cores) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        rss = max(r.server_rss_mib.values()) if r.server_rss_mib else float("nan")
        lines.append(
            f"| {r.op} | {r.users} | {r.ops_per_s:.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} "
            f"| {r.errors} | {r.server_cpu_ms_per_op:.2f} | {r.db_cpu_ms_per_op:.2f} | {rss:.0f} "
            f"| {r.other_cpu_util:.2f} |"
        )
    for key, value in reference.items():
        lines.append(f"\n{key}: {value:.1f}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
