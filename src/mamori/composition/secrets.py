"""The process's secrets on disk, for wiring.py (and, through it, `mamori serve` and
`mamori admin-credentials`): the master key and the admin credentials, from the settings,
else from the data directory's files, created 0600 on first use."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from mamori.config import ConfigError, Settings


@dataclass(frozen=True)
class AdminCredentials:
    access_key_id: str
    secret_access_key: str = field(repr=False)
    generated: bool = False  # by this call: `mamori serve` shows the secret only then


def _write_private(path: Path, data: str) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(data)


def master_key(settings: Settings) -> bytes:
    """From MAMORI_MASTER_KEY, else the data directory's key file, created 0600 on first use."""
    if settings.master_key:
        try:
            key = base64.b64decode(settings.master_key, validate=True)
        except ValueError as exc:
            raise ConfigError("master_key must be base64") from exc
        if len(key) != 32:
            raise ConfigError("master_key must decode to 32 bytes")
        return key
    path = settings.data_dir / "master.key"
    if not path.exists():
        # Another process may create it first; then its key stands.
        with contextlib.suppress(FileExistsError):
            _write_private(path, base64.b64encode(secrets.token_bytes(32)).decode())
    return base64.b64decode(path.read_text().strip())


def admin_credentials(settings: Settings) -> AdminCredentials:
    if settings.admin_access_key_id:
        return AdminCredentials(settings.admin_access_key_id, settings.admin_secret_access_key)
    path = settings.data_dir / "admin-credentials.json"
    generated = False
    if not path.exists():
        creds = {
            "access_key_id": "AKMAMORI" + secrets.token_hex(6).upper(),
            "secret_access_key": secrets.token_urlsafe(30),
        }
        # Another process may create it first; then its credentials stand.
        with contextlib.suppress(FileExistsError):
            _write_private(path, json.dumps(creds, indent=2))
            generated = True
    data = json.loads(path.read_text())
    return AdminCredentials(data["access_key_id"], data["secret_access_key"], generated)
