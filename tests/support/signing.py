"""Raw AWS JSON requests signed with SigV4 as botocore signs them, for wire-level tests."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import boto3
from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from tests.support.live import Server

IDP = "AWSCognitoIdentityProviderService"
AMZ_JSON = "application/x-amz-json-1.1"


class _SignerAt(SigV4Auth):
    """botocore's signer with the signing time given instead of read from the clock."""

    def __init__(self, credentials: Credentials, service: str, region: str, when: datetime) -> None:
        super().__init__(credentials, service, region)
        self._when = when

    def add_auth(self, request: AWSRequest) -> None:
        request.context["timestamp"] = self._when.strftime(SIGV4_TIMESTAMP)
        self._modify_request_before_signing(request)
        canonical = self.canonical_request(request)
        signature = self.signature(self.string_to_sign(request, canonical), request)
        self._inject_signature_to_request(request, signature)


def signed_headers(
    url: str,
    operation: str,
    body: bytes,
    access_key_id: str,
    secret_access_key: str,
    content_type: str = AMZ_JSON,
    when: datetime | None = None,
    region: str = "us-east-1",
    service: str = "cognito-idp",
    unsigned: tuple[str, ...] = (),
) -> dict[str, str]:
    """Headers of a POST to `url` calling `operation`, SigV4-signed over `body`.

    Headers named in `unsigned` ("X-Amz-Target", "Content-Type") are added after signing, so
    the signature does not cover them.
    """
    headers = {"Content-Type": content_type, "X-Amz-Target": target(operation)}
    request = AWSRequest(
        method="POST",
        url=url.rstrip("/") + "/",
        data=body,
        headers={k: v for k, v in headers.items() if k not in unsigned},
    )
    credentials = Credentials(access_key_id, secret_access_key)
    signer = (
        SigV4Auth(credentials, service, region)
        if when is None
        else _SignerAt(credentials, service, region, when)
    )
    signer.add_auth(request)
    return {**dict(request.headers.items()), **{k: headers[k] for k in unsigned}}


def target(operation: str) -> str:
    return f"{IDP}.{operation}"


def json_body(value: Any) -> bytes:
    return json.dumps(value).encode()


def client_with(server: Server, access_key_id: str, secret: str) -> Any:
    """A boto3 cognito-idp client on `server` signing with the given credentials, no retries."""
    return boto3.client(
        "cognito-idp",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )
