"""The AWS CLI, unmodified, against the live server: a few admin commands end to end."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.support.live import Server

AWS = Path(sys.executable).parent / "aws"


def aws(server: Server, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MAMORI_"))}
    env.update(
        AWS_ACCESS_KEY_ID=server.access_key_id,
        AWS_SECRET_ACCESS_KEY=server.secret_access_key,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        AWS_MAX_ATTEMPTS="1",
    )
    return subprocess.run(
        [str(AWS), "cognito-idp", *args, "--endpoint-url", server.url, "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        check=check,
        timeout=60,
    )


def aws_json(server: Server, *args: str) -> Any:
    return json.loads(aws(server, *args).stdout or "{}")


@pytest.fixture(scope="module", autouse=True)
def _needs_the_cli() -> None:
    assert AWS.exists(), f"the AWS CLI is not installed at {AWS}"


def test_admin_commands(server: Server) -> None:
    name = f"cli-{secrets.token_hex(3)}"
    pool = aws_json(
        server,
        "create-user-pool",
        "--pool-name",
        name,
        "--auto-verified-attributes",
        "email",
        "--schema",
        "Name=tier,AttributeDataType=String,Mutable=true",
    )["UserPool"]
    assert pool["Name"] == name
    pool_id = pool["Id"]

    client = aws_json(
        server,
        "create-user-pool-client",
        "--user-pool-id",
        pool_id,
        "--client-name",
        "cli-client",
        "--generate-secret",
        "--explicit-auth-flows",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    )["UserPoolClient"]
    assert client["UserPoolId"] == pool_id
    assert client["ClientSecret"]

    created = aws_json(
        server,
        "admin-create-user",
        "--user-pool-id",
        pool_id,
        "--username",
        "alice",
        "--user-attributes",
        "Name=email,Value=alice@example.com",
        "Name=custom:tier,Value=gold",
        "--message-action",
        "SUPPRESS",
    )["User"]
    assert created["Username"] == "alice"
    assert created["UserStatus"] == "FORCE_CHANGE_PASSWORD"

    users = aws_json(server, "list-users", "--user-pool-id", pool_id)["Users"]
    assert [u["Username"] for u in users] == ["alice"]
    attributes = {a["Name"]: a["Value"] for a in users[0]["Attributes"]}
    assert attributes["email"] == "alice@example.com"
    assert attributes["custom:tier"] == "gold"

    described = aws_json(server, "describe-user-pool", "--user-pool-id", pool_id)["UserPool"]
    assert described["Id"] == pool_id
    assert described["EstimatedNumberOfUsers"] == 1
    assert "custom:tier" in {a["Name"] for a in described["SchemaAttributes"]}


def test_errors_reach_the_cli(server: Server) -> None:
    result = aws(server, "describe-user-pool", "--user-pool-id", "us-east-1_Missing00", check=False)
    assert result.returncode != 0
    assert "ResourceNotFoundException" in result.stderr
    assert "User pool us-east-1_Missing00 does not exist." in result.stderr


def test_the_cli_with_wrong_credentials_is_refused(server: Server) -> None:
    wrong = Server(
        server.url,
        server.data_dir,
        server.database_url,
        server.access_key_id,
        "not-the-secret",
    )
    result = aws(wrong, "list-user-pools", "--max-results", "1", check=False)
    assert result.returncode != 0
    assert "InvalidSignatureException" in result.stderr
