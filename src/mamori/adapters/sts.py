"""An STS client for AssumeRoleWithWebIdentity against AWS or any STS-compatible service."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlencode

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from mamori.services.identity.ports import StsError, TemporaryCredentials

log = logging.getLogger("mamori.sts")

_MAX_RESPONSE = 64 * 1024


@dataclass(frozen=True)
class StsConfig:
    endpoint: str  # e.g. https://sts.us-east-1.amazonaws.com
    region: str
    access_key_id: str = ""
    secret_access_key: str = field(default="", repr=False)
    timeout_seconds: float = 10.0


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(root: ET.Element, name: str) -> str:
    for element in root.iter():
        if _local(element.tag) == name:
            return (element.text or "").strip()
    return ""


def _parse(body: bytes) -> ET.Element:
    try:
        # The body comes from the configured STS endpoint and is size-capped; Python's expat
        # (>= 2.4.1) refuses entity-expansion bombs.
        return ET.fromstring(body)  # noqa: S314
    except ET.ParseError as exc:
        raise StsError("", f"STS answered with a body that is not XML ({exc})") from exc


class StsClient:
    """AssumeRoleWithWebIdentity over HTTP; SigV4-signed when credentials are configured.

    AWS accepts the call unsigned or signed. Self-hosted STS services that enforce IAM (moto
    with INITIAL_NO_AUTH_ACTION_COUNT, for one) only accept it signed.
    """

    def __init__(self, config: StsConfig, http: httpx.AsyncClient) -> None:
        """`http`: the shared outbound client (adapters/http.py), built in wiring."""
        self._config = config
        self._http = http

    @property
    def endpoint(self) -> str:
        return self._config.endpoint

    def _headers(self, body: str) -> dict[str, str]:
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        if not self._config.access_key_id:
            return headers
        request = AWSRequest(
            method="POST", url=self._config.endpoint, data=body.encode(), headers=headers
        )
        credentials = Credentials(self._config.access_key_id, self._config.secret_access_key)
        SigV4Auth(credentials, "sts", self._config.region).add_auth(request)
        return {k: str(v) for k, v in request.headers.items()}

    def _failure(self, status: int, content: bytes) -> StsError:
        try:
            root = _parse(content)
        except StsError:
            hint = ""
            if status >= 500 and not self._config.access_key_id:
                # Seen with moto enforcing IAM: an unsigned call fails this way.
                hint = "; an STS that enforces IAM may need signed calls (sts_access_key_id)"
            message = f"STS answered HTTP {status} without XML{hint}"
            return StsError(f"HTTP{status}", message, status)
        code = _find(root, "Code") or f"HTTP{status}"
        return StsError(code, _find(root, "Message") or f"STS answered HTTP {status}", status)

    async def assume_role_with_web_identity(
        self, role_arn: str, session_name: str, web_identity_token: str, duration_seconds: int
    ) -> TemporaryCredentials:
        body = urlencode(
            {
                "Action": "AssumeRoleWithWebIdentity",
                "Version": "2011-06-15",
                "RoleArn": role_arn,
                "RoleSessionName": session_name,
                "WebIdentityToken": web_identity_token,
                "DurationSeconds": str(duration_seconds),
            }
        )
        try:
            response = await self._http.post(
                self._config.endpoint,
                content=body,
                headers=self._headers(body),
                timeout=self._config.timeout_seconds,
            )
        except httpx.HTTPError as exc:
            log.warning("STS at %s unreachable: %s", self._config.endpoint, exc)
            raise StsError("", f"cannot reach STS at {self._config.endpoint}: {exc}") from exc
        content = response.content[:_MAX_RESPONSE]
        if response.status_code != 200:
            raise self._failure(response.status_code, content)
        root = _parse(content)
        access_key_id = _find(root, "AccessKeyId")
        secret = _find(root, "SecretAccessKey")
        token = _find(root, "SessionToken")
        expiration = _find(root, "Expiration")
        if not (access_key_id and secret and token and expiration):
            raise StsError("", "STS answered without credentials", response.status_code)
        try:
            expires = datetime.fromisoformat(expiration)
        except ValueError as exc:
            raise StsError("", f"STS answered an unreadable Expiration {expiration!r}") from exc
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        return TemporaryCredentials(access_key_id, secret, token, expires)
