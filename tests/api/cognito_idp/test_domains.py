"""User pool domains: prefix and custom, one of each kind per pool, names unique across pools."""

from __future__ import annotations

import secrets
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from tests.support.factories import make_pool
from tests.support.live import Server

CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab"


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = exc.value.response["Error"]
    return err["Code"], err["Message"]


def unvalidated(server: Server) -> Any:
    """An admin client that sends what it is given: the server must do the validating."""
    return boto3.client(
        "cognito-idp",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id=server.access_key_id,
        aws_secret_access_key=server.secret_access_key,
        config=Config(parameter_validation=False, retries={"max_attempts": 1}),
    )


def prefix() -> str:
    return f"login-{secrets.token_hex(4)}"


def custom() -> str:
    return f"id-{secrets.token_hex(4)}.example.com"


@pytest.fixture()
def pool(server: Server) -> dict[str, Any]:
    return make_pool(server)


def test_prefix_domain_lifecycle(server: Server, pool: dict[str, Any]) -> None:
    admin, name = server.admin(), prefix()
    created = admin.create_user_pool_domain(UserPoolId=pool["Id"], Domain=name)
    assert created["ManagedLoginVersion"] == 1
    assert "CloudFrontDomain" not in created  # Cognito: only custom domains get one

    described = admin.describe_user_pool_domain(Domain=name)["DomainDescription"]
    assert described["UserPoolId"] == pool["Id"]
    assert described["Domain"] == name
    assert described["Status"] == "ACTIVE"
    assert described["ManagedLoginVersion"] == 1
    assert len(described["Version"]) == 14 and described["Version"].isdigit()
    assert "CustomDomainConfig" not in described

    updated = admin.update_user_pool_domain(
        UserPoolId=pool["Id"], Domain=name, ManagedLoginVersion=2
    )
    assert updated["ManagedLoginVersion"] == 2
    assert (
        admin.describe_user_pool_domain(Domain=name)["DomainDescription"]["ManagedLoginVersion"]
        == 2
    )

    admin.delete_user_pool_domain(UserPoolId=pool["Id"], Domain=name)
    assert admin.describe_user_pool_domain(Domain=name)["DomainDescription"] == {}


def test_custom_domain_takes_a_full_name_and_its_certificate(
    server: Server, pool: dict[str, Any]
) -> None:
    admin, name = server.admin(), custom()
    created = admin.create_user_pool_domain(
        UserPoolId=pool["Id"],
        Domain=name,
        CustomDomainConfig={"CertificateArn": CERT},
        ManagedLoginVersion=2,
    )
    # mamori's stand-in for the CloudFront distribution: the auth domain (docs/oauth.md).
    assert created["CloudFrontDomain"] == "auth.localhost"
    assert created["ManagedLoginVersion"] == 2
    described = admin.describe_user_pool_domain(Domain=name)["DomainDescription"]
    assert described["CustomDomainConfig"] == {"CertificateArn": CERT}
    assert described["CloudFrontDistribution"] == "auth.localhost"

    other = CERT.replace("0a1b", "9f8e")
    admin.update_user_pool_domain(
        UserPoolId=pool["Id"],
        Domain=name,
        CustomDomainConfig={"CertificateArn": other, "SecurityPolicy": "TLS_V1_2_2021"},
    )
    described = admin.describe_user_pool_domain(Domain=name)["DomainDescription"]
    assert described["CustomDomainConfig"] == {
        "CertificateArn": other,
        "SecurityPolicy": "TLS_V1_2_2021",
    }
    assert described["ManagedLoginVersion"] == 2  # left out: kept


def test_one_domain_of_each_kind_per_pool(server: Server, pool: dict[str, Any]) -> None:
    admin = server.admin()
    admin.create_user_pool_domain(UserPoolId=pool["Id"], Domain=prefix())
    admin.create_user_pool_domain(
        UserPoolId=pool["Id"], Domain=custom(), CustomDomainConfig={"CertificateArn": CERT}
    )
    with pytest.raises(ClientError) as exc:
        admin.create_user_pool_domain(UserPoolId=pool["Id"], Domain=prefix())
    assert error(exc) == ("InvalidParameterException", "User pool already has a domain configured.")
    with pytest.raises(ClientError) as exc:
        admin.create_user_pool_domain(
            UserPoolId=pool["Id"], Domain=custom(), CustomDomainConfig={"CertificateArn": CERT}
        )
    assert error(exc)[0] == "InvalidParameterException"


def test_a_name_belongs_to_one_pool(server: Server, pool: dict[str, Any]) -> None:
    admin, name, other = server.admin(), prefix(), make_pool(server)
    admin.create_user_pool_domain(UserPoolId=pool["Id"], Domain=name)
    with pytest.raises(ClientError) as exc:
        admin.create_user_pool_domain(UserPoolId=other["Id"], Domain=name)
    assert error(exc) == (
        "InvalidParameterException",
        "Domain already associated with another user pool.",
    )
    # Nor can another pool update or delete it.
    for call in (admin.update_user_pool_domain, admin.delete_user_pool_domain):
        with pytest.raises(ClientError) as exc:
            call(UserPoolId=other["Id"], Domain=name)
        assert error(exc) == ("InvalidParameterException", "No such domain or user pool exists.")
    assert (
        admin.describe_user_pool_domain(Domain=name)["DomainDescription"]["UserPoolId"]
        == (pool["Id"])
    )


@pytest.mark.parametrize(
    ("name", "config", "code"),
    [
        ("has.dot", None, "InvalidParameterException"),  # a full name needs CustomDomainConfig
        ("my-cognito-login", None, "InvalidParameterException"),  # reserved word
        ("Upper", None, "InvalidParameterException"),  # the model's pattern
        ("-dash", None, "InvalidParameterException"),
        ("single", {"CertificateArn": CERT}, "InvalidParameterException"),  # not a full name
        ("x.auth.localhost", {"CertificateArn": CERT}, "InvalidParameterException"),
        ("ok.example.com", {}, "InvalidParameterException"),  # CertificateArn required
    ],
)
def test_bad_names_are_refused(
    server: Server, pool: dict[str, Any], name: str, config: dict[str, str] | None, code: str
) -> None:
    extra = {} if config is None else {"CustomDomainConfig": config}
    with pytest.raises(ClientError) as exc:
        unvalidated(server).create_user_pool_domain(UserPoolId=pool["Id"], Domain=name, **extra)
    assert error(exc)[0] == code


def test_unknown_pool_and_unknown_domain(server: Server) -> None:
    admin = server.admin()
    with pytest.raises(ClientError) as exc:
        admin.create_user_pool_domain(UserPoolId="us-east-1_missing0", Domain=prefix())
    assert error(exc)[0] == "ResourceNotFoundException"
    assert admin.describe_user_pool_domain(Domain=custom())["DomainDescription"] == {}
    pool = make_pool(server)
    with pytest.raises(ClientError) as exc:
        admin.delete_user_pool_domain(UserPoolId=pool["Id"], Domain=prefix())
    assert error(exc) == ("InvalidParameterException", "No such domain or user pool exists.")


def test_update_refuses_a_certificate_for_a_prefix_domain(
    server: Server, pool: dict[str, Any]
) -> None:
    admin, name = server.admin(), prefix()
    admin.create_user_pool_domain(UserPoolId=pool["Id"], Domain=name)
    with pytest.raises(ClientError) as exc:
        admin.update_user_pool_domain(
            UserPoolId=pool["Id"], Domain=name, CustomDomainConfig={"CertificateArn": CERT}
        )
    assert error(exc)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        admin.update_user_pool_domain(UserPoolId=pool["Id"], Domain=name, ManagedLoginVersion=3)
    assert error(exc)[0] == "InvalidParameterException"


def test_deleting_the_pool_frees_its_domains(server: Server, pool: dict[str, Any]) -> None:
    admin, name, full = server.admin(), prefix(), custom()
    admin.create_user_pool_domain(UserPoolId=pool["Id"], Domain=name)
    admin.create_user_pool_domain(
        UserPoolId=pool["Id"], Domain=full, CustomDomainConfig={"CertificateArn": CERT}
    )
    admin.delete_user_pool(UserPoolId=pool["Id"])
    assert admin.describe_user_pool_domain(Domain=name)["DomainDescription"] == {}
    assert admin.describe_user_pool_domain(Domain=full)["DomainDescription"] == {}
    again = make_pool(server)
    admin.create_user_pool_domain(UserPoolId=again["Id"], Domain=name)


def test_describe_user_pool_names_its_domains(server: Server, pool: dict[str, Any]) -> None:
    admin, name, full = server.admin(), prefix(), custom()
    assert "Domain" not in admin.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    admin.create_user_pool_domain(UserPoolId=pool["Id"], Domain=name)
    admin.create_user_pool_domain(
        UserPoolId=pool["Id"], Domain=full, CustomDomainConfig={"CertificateArn": CERT}
    )
    described = admin.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    assert described["Domain"] == name
    assert described["CustomDomain"] == full
