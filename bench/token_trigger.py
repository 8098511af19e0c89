"""`python -m bench.token_trigger`: password sign-in with an in-process PreTokenGeneration
(V2_0) against the same sign-in without it (docs/performance.md, "PreTokenGeneration at
sign-in"). Drives `bench.run --ops signin` on one pool of a running `mamori serve` whose
MAMORI_TRIGGER_TARGETS maps ARN to `python:bench.token_trigger:pre_token_generation`,
switching the pool's LambdaConfig with UpdateUserPool between runs (off, on, off, on, ...)."""

from __future__ import annotations

import argparse
import subprocess
import sys
from typing import Any

import boto3

ARN = "arn:aws:lambda:us-east-1:123456789012:function:bench-pre-token"
TARGET = f"{ARN}=python:bench.token_trigger:pre_token_generation"


def pre_token_generation(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """What such functions typically do: a claim or two from the user's attributes, a scope."""
    email = event["request"]["userAttributes"].get("email", "")
    event["response"] = {
        "claimsAndScopeOverrideDetails": {
            "idTokenGeneration": {"claimsToAddOrOverride": {"tenant": email.split("@")[-1]}},
            "accessTokenGeneration": {
                "claimsToAddOrOverride": {"tenant": email.split("@")[-1], "plan": "gold"},
                "scopesToAdd": ["orders/read"],
            },
        }
    }
    return event


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--url", default="http://127.0.0.1:9229")
    p.add_argument("--pool-id", required=True)
    p.add_argument("--client-id", required=True)
    p.add_argument("--access-key-id", required=True)
    p.add_argument("--secret-access-key", required=True)
    p.add_argument("--pairs", type=int, default=2, help="off/on alternations")
    args, rest = p.parse_known_args()
    admin = boto3.client(
        "cognito-idp",
        endpoint_url=args.url,
        region_name="us-east-1",
        aws_access_key_id=args.access_key_id,
        aws_secret_access_key=args.secret_access_key,
    )
    for _ in range(args.pairs):
        for on in (False, True):
            config = (
                {"PreTokenGenerationConfig": {"LambdaVersion": "V2_0", "LambdaArn": ARN}}
                if on
                else {}
            )
            admin.update_user_pool(UserPoolId=args.pool_id, LambdaConfig=config)
            print(f"--- PreTokenGeneration {'on' if on else 'off'}", flush=True)
            command = [
                sys.executable,
                "-m",
                "bench.run",
                "--url",
                args.url,
                "--ops",
                "signin",
                "--pool-id",
                args.pool_id,
                "--client-id",
                args.client_id,
                "--access-key-id",
                args.access_key_id,
                "--secret-access-key",
                args.secret_access_key,
                "--label",
                f"pre-token-{'on' if on else 'off'}",
                *rest,
            ]
            subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
