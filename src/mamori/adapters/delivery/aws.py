"""A botocore client for an AWS delivery service (SNS, SES), made once and used from worker threads.

botocore is what boto3 wraps: the same `publish` and `send_email` calls, signing, endpoint
resolution and error parsing, without another dependency.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

from mamori.adapters.delivery.registry import SenderConfigError, SenderContext

_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]+")


@dataclass(frozen=True)
class AwsConfig:
    service: str  # sns | ses
    region: str
    endpoint: str = ""  # empty: the service's AWS endpoint in `region`
    access_key_id: str = ""  # empty: botocore's credential chain (environment, profile, role)
    secret_access_key: str = field(default="", repr=False)
    timeout_seconds: float = 10.0

    @classmethod
    def from_settings(cls, service: str, context: SenderContext) -> AwsConfig:
        """From `<service>_endpoint`, `_region`, `_access_key_id`, `_secret_access_key`."""
        endpoint = context.text(f"{service}_endpoint").strip()
        region = context.text(f"{service}_region").strip() or context.text("region")
        key_id = context.text(f"{service}_access_key_id")
        secret = context.text(f"{service}_secret_access_key")
        if endpoint and not endpoint.startswith(("http://", "https://")):
            raise SenderConfigError(f"{service}_endpoint must be an http(s) URL")
        if not _REGION.fullmatch(region):
            raise SenderConfigError(f"{service}_region {region!r} is not an AWS region name")
        if bool(key_id) != bool(secret):
            raise SenderConfigError(
                f"{service}_access_key_id and {service}_secret_access_key must be given together"
            )
        timeout = context.integer("delivery_timeout_seconds")
        return cls(service, region, endpoint, key_id, secret, float(timeout))


class AwsClient:
    """Creates the botocore client on first use (loading a service model takes a while)."""

    def __init__(self, config: AwsConfig) -> None:
        self._config = config
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def config(self) -> AwsConfig:
        return self._config

    def get(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._create()
            return self._client

    def _create(self) -> Any:
        import botocore.session
        from botocore.config import Config

        cfg = self._config
        credentials: dict[str, str] = {}
        if cfg.access_key_id:
            credentials = {
                "aws_access_key_id": cfg.access_key_id,
                "aws_secret_access_key": cfg.secret_access_key,
            }
        return botocore.session.Session().create_client(
            cfg.service,
            region_name=cfg.region,
            endpoint_url=cfg.endpoint or None,
            config=Config(
                connect_timeout=cfg.timeout_seconds,
                read_timeout=cfg.timeout_seconds,
                # One retry for throttling and 5xx; the caller is waiting for its response.
                retries={"max_attempts": 2, "mode": "standard"},
                user_agent_extra="mamori",
            ),
            **credentials,
        )


def failure_reason(exc: Exception) -> str:
    """The AWS error code or the botocore exception's name: never a message (it may echo input)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if code:
            return str(code)
    return type(exc).__name__
