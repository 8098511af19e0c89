"""The `mamori` command: serve, migrate, admin-credentials, outbox, purge, breached, risk, keys,
import-cognito.

`arguments.py` reads the command line; each command has its module (`serve.py`, which also builds
each worker process's application, `migrate.py`, `admin_credentials.py`, `outbox.py`, `purge.py`,
`breached.py`, `risk.py`, `keys.py`, `import_cognito.py`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from mamori.cli.admin_credentials import admin_credentials
from mamori.cli.arguments import parser, settings_from
from mamori.cli.breached import breached
from mamori.cli.import_cognito import import_cognito
from mamori.cli.keys import export_keys
from mamori.cli.migrate import migrate
from mamori.cli.outbox import outbox
from mamori.cli.purge import purge
from mamori.cli.risk import risk
from mamori.cli.serve import asgi_app, serve
from mamori.config import ConfigError

__all__ = ["asgi_app", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "breached":
        return breached(args)  # reads no settings: it only writes or reads the file named
    try:
        settings = settings_from(args)
        if args.command == "serve":
            serve(settings, args.config or os.environ.get("MAMORI_CONFIG"))
            return 0
        if args.command == "migrate":
            migrate(settings)
            print("database is at the newest revision")
            return 0
        if args.command == "admin-credentials":
            return admin_credentials(settings, args.json)
        if args.command == "outbox":
            migrate(settings)
            return outbox(settings, args)
        if args.command == "purge":
            migrate(settings)
            return purge(settings, args.dry_run)
        if args.command == "risk":
            return risk(settings, args.json)
        if args.command == "keys":
            return export_keys(settings, args)
        if args.command == "import-cognito":
            return import_cognito(settings, args)
    except ConfigError as exc:
        print(f"mamori: {exc}", file=sys.stderr)
        return 2
    return 2
