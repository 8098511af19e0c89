"""The command line: subcommands, their flags, and the settings the flags override."""

from __future__ import annotations

import argparse

from mamori.cli.import_cognito import add_parser as add_import_cognito
from mamori.config import Settings, load_settings

DESCRIPTION = (
    "The `mamori` command: serve, migrate, admin-credentials, outbox, purge, breached, risk, keys, "
    "import-cognito."
)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="TOML settings file (also MAMORI_CONFIG)")
    parser.add_argument("--data-dir", dest="data_dir", help="data directory (default ./.mamori)")
    parser.add_argument(
        "--database-url",
        dest="database_url",
        help="sqlite:///path or postgresql://... (default: SQLite in data dir)",
    )


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mamori", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the server")
    _common(serve)
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument(
        "--public-url", dest="public_url", help="external base URL, used as the token issuer prefix"
    )
    serve.add_argument("--workers", type=int, help="server processes (default 1)")
    serve.add_argument("--tls-cert", dest="tls_cert")
    serve.add_argument("--tls-key", dest="tls_key")
    serve.add_argument(
        "--trusted-proxies",
        dest="trusted_proxies",
        help="comma-separated addresses whose X-Forwarded-* headers are trusted",
    )
    serve.add_argument(
        "--allowed-hosts",
        dest="allowed_hosts",
        help="comma-separated Host names answered (default: the public URL's host and loopback)",
    )
    serve.add_argument(
        "--auth-domain",
        dest="auth_domain",
        help="the host user pools' prefix domains hang off, <prefix>.<auth domain> "
        "(default: auth.localhost for a loopback or IP public URL, else auth.<its host>)",
    )
    serve.add_argument(
        "--cors-origins",
        dest="cors_origins",
        help="comma-separated origins browsers may call from (default *, none in emulator mode)",
    )
    serve.add_argument(
        "--accept-any-credentials",
        dest="accept_any_credentials",
        action="store_const",
        const=True,
        help="emulator mode: skip SigV4 checks on admin operations (UNSAFE)",
    )
    migrate = sub.add_parser("migrate", help="apply database migrations")
    _common(migrate)
    creds = sub.add_parser("admin-credentials", help="print the admin access key and secret")
    _common(creds)
    creds.add_argument("--json", action="store_true")
    outbox = sub.add_parser("outbox", help="print messages kept in the outbox")
    _common(outbox)
    outbox.add_argument("--pool")
    outbox.add_argument("--to")
    outbox.add_argument("--latest", action="store_true", help="only the newest message")
    outbox.add_argument(
        "--code-only",
        dest="code_only",
        action="store_true",
        help="print only the code of the newest matching message",
    )
    outbox.add_argument("--json", action="store_true")
    purge = sub.add_parser(
        "purge",
        help="delete expired refresh sessions and one-time codes and old outbox messages "
        "(servers also do it)",
    )
    _common(purge)
    purge.add_argument(
        "--dry-run", dest="dry_run", action="store_true", help="only count what would go"
    )
    risk = sub.add_parser(
        "risk",
        help="print the risk engine's effective weights and windows (risk_weights, "
        "risk_window_minutes)",
    )
    _common(risk)
    risk.add_argument("--json", action="store_true")
    _breached(sub)
    _keys(sub)
    _common(add_import_cognito(sub))
    return parser


def _keys(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = sub.add_parser("keys", help="a user pool's public signing keys (JWKS, JWK or PEM)")
    actions = keys.add_subparsers(dest="action", required=True)
    export = actions.add_parser(
        "export",
        help="print or write a pool's public keys: the JWKS (every key), or the signing key (or "
        "--kid's) as a JWK or a PEM public key (HAProxy's jwt_verify)",
    )
    _common(export)
    export.add_argument("pool_id", help="the user pool's id, e.g. us-east-1_Ab12Cd34E")
    export.add_argument("--format", choices=("jwks", "jwk", "pem"), default="jwks")
    export.add_argument("--kid", help="this key rather than the one the pool signs with now")
    export.add_argument("--out", help="write to this file rather than standard output")


def _breached(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    breached = sub.add_parser("breached", help="build or describe a breached-password corpus")
    actions = breached.add_subparsers(dest="action", required=True)
    build = actions.add_parser(
        "build",
        help="build a corpus file (breached_passwords_file) from a list of passwords, or of "
        "SHA-1 hashes as Pwned Passwords' download has them (HASH:COUNT lines)",
    )
    build.add_argument("source", help="the list: one password, or one HASH[:COUNT], a line")
    build.add_argument("out", help="the corpus file to write (replaced atomically)")
    build.add_argument(
        "--format",
        choices=("auto", "plain", "sha1"),
        default="auto",
        help="auto (default): SHA-1 lines if the first line is 40 hex digits, else passwords",
    )
    build.add_argument(
        "--min-count",
        dest="min_count",
        type=int,
        default=1,
        help="leave out hashes seen fewer times than this (HASH:COUNT lines)",
    )
    build.add_argument(
        "--bytes",
        type=int,
        default=8,
        help="bytes of each SHA-1 kept, 5-20 (default 8: chance matches about 1 in 2^64/N)",
    )
    info = actions.add_parser("info", help="what a corpus file holds")
    info.add_argument("file")


_SETTING_FLAGS = (
    "data_dir",
    "database_url",
    "host",
    "port",
    "public_url",
    "workers",
    "tls_cert",
    "tls_key",
    "trusted_proxies",
    "allowed_hosts",
    "auth_domain",
    "cors_origins",
    "accept_any_credentials",
)


def settings_from(args: argparse.Namespace) -> Settings:
    overrides = {k: getattr(args, k) for k in _SETTING_FLAGS if hasattr(args, k)}
    return load_settings(overrides, config_file=args.config)
