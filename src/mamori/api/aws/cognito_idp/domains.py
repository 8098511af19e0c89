"""User pool domain operations: prefix and custom domains, ACTIVE at once."""

from __future__ import annotations

from mamori.api.aws.cognito_idp.wire.domains import custom_domain_in, domain_out
from mamori.api.aws.operations import Call, Params, Result, operation


@operation("CreateUserPoolDomain")
async def create_user_pool_domain(call: Call, p: Params) -> Result:
    domains = call.services.domains
    domain = await domains.create_user_pool_domain(
        p["UserPoolId"], p["Domain"], custom_domain_in(p), p.get("ManagedLoginVersion")
    )
    out: Result = {"ManagedLoginVersion": domain.managed_login_version}
    cloudfront = domains.cloudfront_domain(domain)
    if cloudfront:  # Cognito: only custom domains answer with CloudFrontDomain
        out["CloudFrontDomain"] = cloudfront
    return out


@operation("DescribeUserPoolDomain")
async def describe_user_pool_domain(call: Call, p: Params) -> Result:
    domains = call.services.domains
    domain = await domains.describe_user_pool_domain(p["Domain"])
    if domain is None:
        return {"DomainDescription": {}}  # Cognito: an unknown domain is no error
    return {"DomainDescription": domain_out(domain, domains.cloudfront_domain(domain))}


@operation("UpdateUserPoolDomain")
async def update_user_pool_domain(call: Call, p: Params) -> Result:
    domains = call.services.domains
    domain = await domains.update_user_pool_domain(
        p["UserPoolId"], p["Domain"], custom_domain_in(p), p.get("ManagedLoginVersion")
    )
    out: Result = {"ManagedLoginVersion": domain.managed_login_version}
    cloudfront = domains.cloudfront_domain(domain)
    if cloudfront:
        out["CloudFrontDomain"] = cloudfront
    return out


@operation("DeleteUserPoolDomain")
async def delete_user_pool_domain(call: Call, p: Params) -> Result:
    await call.services.domains.delete_user_pool_domain(p["UserPoolId"], p["Domain"])
    return {}
