"""User pool domains: CustomDomainConfig in, DomainDescription out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mamori.api.aws.cognito_idp.wire.pools import ACCOUNT_ID
from mamori.domain.userpools.domains import UserPoolDomain
from mamori.services.userpools.domains import CustomDomainConfig


def custom_domain_in(p: Mapping[str, Any]) -> CustomDomainConfig | None:
    config = p.get("CustomDomainConfig")
    if config is None:
        return None
    return CustomDomainConfig(config["CertificateArn"], config.get("SecurityPolicy"))


def custom_domain_out(domain: UserPoolDomain) -> dict[str, Any]:
    out: dict[str, Any] = {"CertificateArn": domain.certificate_arn}
    if domain.security_policy:
        out["SecurityPolicy"] = domain.security_policy
    return out


def domain_out(domain: UserPoolDomain, cloudfront: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "UserPoolId": domain.pool_id,
        "AWSAccountId": ACCOUNT_ID,
        "Domain": domain.domain,
        "Version": domain.version,
        "Status": "ACTIVE",  # mamori serves a domain as soon as it exists
        "ManagedLoginVersion": domain.managed_login_version,
    }
    if cloudfront:
        out["CloudFrontDistribution"] = cloudfront
    if domain.certificate_arn:
        out["CustomDomainConfig"] = custom_domain_out(domain)
    return out
