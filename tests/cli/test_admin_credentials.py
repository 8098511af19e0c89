"""`mamori admin-credentials`: the credentials a server generated, as JSON and as an AWS profile,
work as the admin's; shown once at start-up, never in a request log line."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from tests.support.cognito import error
from tests.support.live import run_server
from tests.support.signing import client_with


def admin_credentials(data_dir: Path, *flags: str) -> str:
    """`mamori admin-credentials` on a data directory, with no MAMORI_* settings around."""
    command = [sys.executable, "-m", "mamori.cli", "admin-credentials"]
    return subprocess.run(
        [*command, "--data-dir", str(data_dir), *flags],
        env={k: v for k, v in os.environ.items() if not k.startswith("MAMORI_")},
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_generated_admin_credentials(tmp: Path) -> None:
    no_credentials = {"MAMORI_ADMIN_ACCESS_KEY_ID": "", "MAMORI_ADMIN_SECRET_ACCESS_KEY": ""}
    with run_server(tmp, extra_env=no_credentials) as live:
        path = live.data_dir / "admin-credentials.json"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        stored = json.loads(path.read_text())
        creds = json.loads(admin_credentials(live.data_dir, "--json"))
        assert creds == {
            "aws_access_key_id": stored["access_key_id"],
            "aws_secret_access_key": stored["secret_access_key"],
        }
        plain = admin_credentials(live.data_dir)
        assert f"aws_secret_access_key = {stored['secret_access_key']}" in plain
        generated = client_with(live, creds["aws_access_key_id"], creds["aws_secret_access_key"])
        assert "UserPools" in generated.list_user_pools(MaxResults=1)
        with pytest.raises(ClientError) as exc:
            live.admin().list_user_pools(MaxResults=1)  # the credentials run_server made up
        assert error(exc)[0] == "UnrecognizedClientException"
        assert live.log_path is not None
        log = live.log_path.read_text()
    # Generated credentials are shown once in the start-up banner (the quick start needs them),
    # and never in a request log line.
    assert stored["access_key_id"] in log
    lines_with_secret = [line for line in log.splitlines() if stored["secret_access_key"] in line]
    assert lines_with_secret == [f"  aws_secret_access_key = {stored['secret_access_key']}"]
