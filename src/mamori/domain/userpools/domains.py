"""User pool domains: a prefix under the server's auth domain or a custom domain name, and the
rules a name must follow."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from mamori.domain.errors import InvalidParameterException
from mamori.domain.ids import PoolId

# The model's DomainType pattern: one DNS label, lower case.
LABEL: Final = re.compile(r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?")
_MAX_NAME = 253  # RFC 1035 section 2.3.4, without the final dot
# Cognito: a prefix domain may not contain these words (they would pass for AWS's own).
_RESERVED_WORDS: Final = ("aws", "amazon", "cognito")


class DomainKind(StrEnum):
    PREFIX = "prefix"  # <prefix>.<auth domain>
    CUSTOM = "custom"  # a name the owner brings, with its certificate (CustomDomainConfig)


@dataclass(frozen=True)
class UserPoolDomain:
    domain: str  # the prefix, or the custom domain's full name, lower case
    pool_id: PoolId
    kind: DomainKind
    created: datetime
    modified: datetime
    certificate_arn: str | None = None  # custom domains: stored and echoed, TLS is the proxy's
    security_policy: str | None = None
    managed_login_version: int = 1  # 1: the classic hosted UI, 2: managed login

    @property
    def version(self) -> str:
        """DomainDescription.Version: when the domain was last changed, as Cognito shows it."""
        return self.modified.strftime("%Y%m%d%H%M%S")

    def host(self, auth_domain: str) -> str:
        """The Host a browser sends for this domain."""
        if self.kind is DomainKind.CUSTOM:
            return self.domain
        return f"{self.domain}.{auth_domain}"


def check_domain_name(name: str, kind: DomainKind, auth_domain: str) -> None:
    """A prefix is one DNS label free of reserved words; a custom domain is a full name of two
    labels or more, outside the auth domain (whose sub-names are the prefixes')."""
    if kind is DomainKind.PREFIX:
        if not LABEL.fullmatch(name):
            # The model's own wording (the front door widens the pattern for custom domains).
            raise InvalidParameterException(
                "The domain name contains an invalid character. Domain names can only contain "
                "lower-case letters, numbers, and hyphens. Please enter a different name that "
                r"follows this format: ^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$"
            )
        for word in _RESERVED_WORDS:
            if word in name:
                raise InvalidParameterException(f"Domain cannot contain reserved word: {word}")
        return
    labels = name.split(".")
    if len(name) > _MAX_NAME or len(labels) < 2 or not all(LABEL.fullmatch(x) for x in labels):
        raise InvalidParameterException(
            f"The custom domain {name} is not a valid fully qualified domain name."
        )
    base = auth_domain.lower()
    if name == base or name.endswith("." + base):
        raise InvalidParameterException(
            f"The custom domain {name} is inside {base}, where prefix domains live: "
            "create a prefix domain instead."
        )


def host_without_port(host: str) -> str:
    """A Host header's name, lower case, without the port or a final dot."""
    host = host.strip().lower()
    if host.startswith("["):  # an IPv6 literal: never a pool's domain
        return host.partition("]")[0] + "]"
    name = host.rpartition(":")[0] if ":" in host else host
    return name.rstrip(".")
