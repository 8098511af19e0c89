"""`mamori keys export`: a user pool's public signing keys as the JWKS it publishes, one JWK, or
one PEM public key (HAProxy's jwt_verify takes a PEM file, not a JWKS)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from mamori.cli.migrate import database_error
from mamori.config import ConfigError, Settings


def export_keys(settings: Settings, args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from mamori.crypto.jose import public_pem
    from mamori.domain.errors import InternalErrorException, ResourceNotFoundException
    from mamori.wiring import signing_keys_for

    if not settings.master_key and not (settings.data_dir / "master.key").is_file():
        # Exporting reads; it must not make a new master key that opens nothing.
        raise ConfigError(
            f"no master key: {settings.data_dir / 'master.key'} does not exist and "
            "MAMORI_MASTER_KEY is not set (give the server's --data-dir or master key)"
        )

    async def read() -> list[dict[str, Any]]:
        async with signing_keys_for(settings) as keys:
            return list((await keys.jwks(args.pool_id))["keys"])

    try:
        found = asyncio.run(read())
    except ResourceNotFoundException:
        print(f"mamori: no user pool {args.pool_id} (or it has no keys)", file=sys.stderr)
        return 1
    except InternalErrorException as exc:
        raise ConfigError(f"the pool's keys cannot be opened: {exc.message}") from exc
    except SQLAlchemyError as exc:
        raise database_error(settings, exc) from exc
    if args.kid is not None:
        found = [k for k in found if k.get("kid") == args.kid]
        if not found:
            print(f"mamori: pool {args.pool_id} has no key {args.kid}", file=sys.stderr)
            return 1
    # The pool signs with its newest key, which the JWKS lists first (KeyService.jwks).
    if args.format == "jwks":
        text = json.dumps({"keys": found}, indent=2) + "\n"
    elif args.format == "jwk":
        text = json.dumps(found[0], indent=2) + "\n"
    else:
        text = public_pem(found[0])
    if args.out is None:
        sys.stdout.write(text)
    else:
        Path(args.out).write_text(text)
        print(f"wrote key {found[0]['kid']} of {args.pool_id} to {args.out}", file=sys.stderr)
    return 0
