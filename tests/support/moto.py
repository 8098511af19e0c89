"""A real STS, S3 and DynamoDB for identity-pool tests: moto in server mode with IAM checks on.

moto enforces IAM policies (signatures, then actions and S3 resources) once it has served
INITIAL_NO_AUTH_ACTION_COUNT requests. The first three create an IAM user with an allow-all
policy and its access key; everything after is signed, by that user or by credentials STS hands
out, and checked.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from tests.support.live import REGION, free_port

ACCOUNT = "123456789012"  # moto's default account
_SETUP_CALLS = 3
_CONFIG = Config(retries={"max_attempts": 1, "mode": "standard"}, s3={"addressing_style": "path"})
ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


@dataclass
class Moto:
    url: str
    access_key_id: str
    secret_access_key: str = field(repr=False)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    def admin(self, service: str) -> Any:
        """A client signed by the setup IAM user (allowed everything)."""
        return self.client(service, self.access_key_id, self.secret_access_key)

    def client(
        self, service: str, access_key_id: str, secret: str, session_token: str | None = None
    ) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret,
            aws_session_token=session_token,
            config=_CONFIG,
        )

    def with_credentials(self, service: str, credentials: dict[str, Any]) -> Any:
        """A client using GetCredentialsForIdentity's Credentials."""
        return self.client(
            service,
            credentials["AccessKeyId"],
            credentials["SecretKey"],
            credentials["SessionToken"],
        )

    def mamori_env(self) -> dict[str, str]:
        """Settings that point a mamori server's STS client at this moto, signed."""
        return {
            "MAMORI_STS_ENDPOINT": self.url,
            "MAMORI_STS_ACCESS_KEY_ID": self.access_key_id,
            "MAMORI_STS_SECRET_ACCESS_KEY": self.secret_access_key,
        }

    def create_role(self, name: str, policy: dict[str, Any]) -> str:
        iam = self.admin("iam")
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                }
            ],
        }
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
        iam.put_role_policy(RoleName=name, PolicyName="access", PolicyDocument=json.dumps(policy))
        return role_arn(name)


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"moto_server exited: {log_path.read_text()[-3000:]}")
        # A bare TCP connect: an HTTP request would use up one of the unauthenticated calls.
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"moto_server did not start: {log_path.read_text()[-3000:]}")
        time.sleep(0.1)


@contextmanager
def run_moto(tmp: Path) -> Iterator[Moto]:
    port = free_port()
    log_path = tmp / f"moto-{port}.log"
    log = open(log_path, "wb")  # noqa: SIM115 (closed below)
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": str(_SETUP_CALLS)}
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        env.pop(name, None)
    moto_server = Path(sys.executable).with_name("moto_server")
    proc = subprocess.Popen(
        [str(moto_server), "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_port(port, proc, log_path)
        url = f"http://127.0.0.1:{port}"
        setup = Moto(url, "AKIASETUPSETUPSETUP0", "setup")
        iam = setup.admin("iam")
        iam.create_user(UserName="mamori-setup")
        iam.put_user_policy(
            UserName="mamori-setup", PolicyName="all", PolicyDocument=json.dumps(ALLOW_ALL)
        )
        key = iam.create_access_key(UserName="mamori-setup")["AccessKey"]
        yield Moto(url, key["AccessKeyId"], key["SecretAccessKey"], proc, log_path)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
