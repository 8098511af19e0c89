"""Every signed operation refuses repeated, missing, oversized and unsigned headers (and
signatures for another service, stale or over another body) with a Cognito error, and none of
those requests changes anything. Exhaustive over the registry; seconds per database."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from tests.support.factories import make_client, make_pool
from tests.support.identity import identity_admin
from tests.support.live import Server
from tests.support.signing import AMZ_JSON

import mamori.app  # noqa: F401  (fills the registry with both services' handlers)
from mamori.api.aws.dispatch import is_public, operation_model
from mamori.api.aws.operations import IDENTITY, IDP, REGISTRY

SERVICES = {IDP: "cognito-idp", IDENTITY: "cognito-identity"}
SIGNED = sorted(
    (prefix, name) for prefix, name in REGISTRY if not is_public(operation_model(prefix, name))
)
BIG = 8000  # well inside the HTTP server's header limit, far beyond any real value

Lines = list[tuple[str, str]]


def sign(
    server: Server,
    prefix: str,
    name: str,
    body: bytes,
    *,
    service: str | None = None,
    unsigned: tuple[str, ...] = (),
    when: datetime | None = None,
) -> Lines:
    """Header lines of a SigV4-signed call, as botocore signs them; `unsigned` headers are
    added after signing."""
    headers = {"Content-Type": AMZ_JSON, "X-Amz-Target": f"{prefix}.{name}"}
    request = AWSRequest(
        method="POST",
        url=server.url + "/",
        data=body,
        headers={k: v for k, v in headers.items() if k not in unsigned},
    )
    signer = SigV4Auth(
        Credentials(server.access_key_id, server.secret_access_key),
        service or SERVICES[prefix],
        "us-east-1",
    )
    if when is None:
        signer.add_auth(request)
    else:
        request.context["timestamp"] = when.strftime(SIGV4_TIMESTAMP)
        signer._modify_request_before_signing(request)
        signature = signer.signature(
            signer.string_to_sign(request, signer.canonical_request(request)), request
        )
        signer._inject_signature_to_request(request, signature)
    return [*request.headers.items(), *((k, headers[k]) for k in unsigned)]


def without(lines: Lines, name: str) -> Lines:
    return [(k, v) for k, v in lines if k.lower() != name.lower()]


def replaced(lines: Lines, name: str, value: str) -> Lines:
    return [(k, value if k.lower() == name.lower() else v) for k, v in lines]


def value_of(lines: Lines, name: str) -> str:
    return next(v for k, v in lines if k.lower() == name.lower())


DELETE = f"{IDP}.DeleteUserPool"
ANY_SIGNATURE = {"IncompleteSignatureException", "InvalidSignatureException"}


def stale(s: Server, p: str, n: str, b: bytes) -> Lines:
    return sign(s, p, n, b, when=datetime.now(UTC) - timedelta(minutes=6))


# (name, request lines from (server, prefix, operation, body), codes it may be refused with)
MUTATIONS: list[tuple[str, Callable[[Server, str, str, bytes], Lines], set[str]]] = [
    (
        "repeated X-Amz-Target, leading",
        lambda s, p, n, b: [("X-Amz-Target", DELETE), *sign(s, p, n, b)],
        {"UnknownOperationException"},
    ),
    (
        "repeated X-Amz-Target, trailing",
        lambda s, p, n, b: [*sign(s, p, n, b), ("X-Amz-Target", DELETE)],
        {"UnknownOperationException"},
    ),
    *(
        (
            f"repeated {header}",
            lambda s, p, n, b, header=header: [
                (header, value_of(sign(s, p, n, b), header)),
                *sign(s, p, n, b),
            ],
            {"IncompleteSignatureException"},
        )
        for header in ("Content-Type", "X-Amz-Date", "Authorization")
    ),
    (
        "missing Authorization",
        lambda s, p, n, b: without(sign(s, p, n, b), "Authorization"),
        {"MissingAuthenticationTokenException"},
    ),
    (
        "missing X-Amz-Date",
        lambda s, p, n, b: without(sign(s, p, n, b), "X-Amz-Date"),
        {"IncompleteSignatureException"},
    ),
    (
        "missing X-Amz-Target",
        lambda s, p, n, b: without(sign(s, p, n, b), "X-Amz-Target"),
        {"UnknownOperationException"},
    ),
    (
        "missing Content-Type (signed)",
        lambda s, p, n, b: without(sign(s, p, n, b), "Content-Type"),
        {"IncompleteSignatureException"},
    ),
    (
        "unsigned X-Amz-Target",
        lambda s, p, n, b: sign(s, p, n, b, unsigned=("X-Amz-Target",)),
        {"IncompleteSignatureException"},
    ),
    (
        "unsigned Content-Type",
        lambda s, p, n, b: sign(s, p, n, b, unsigned=("Content-Type",)),
        {"IncompleteSignatureException"},
    ),
    (
        "oversized X-Amz-Target",
        lambda s, p, n, b: replaced(sign(s, p, n, b), "X-Amz-Target", f"{p}.{n}" + "x" * BIG),
        {"UnknownOperationException"},
    ),
    (
        "oversized Authorization",
        lambda s, p, n, b: replaced(
            sign(s, p, n, b),
            "Authorization",
            value_of(sign(s, p, n, b), "Authorization") + "0" * BIG,
        ),
        ANY_SIGNATURE,
    ),
    (
        "oversized X-Amz-Date",
        lambda s, p, n, b: replaced(sign(s, p, n, b), "X-Amz-Date", "2" * BIG),
        {"IncompleteSignatureException"},
    ),
    (
        "scope for another service",
        lambda s, p, n, b: sign(
            s, p, n, b, service="cognito-identity" if p == IDP else "cognito-idp"
        ),
        {"InvalidSignatureException"},
    ),
    ("signed six minutes ago", stale, {"InvalidSignatureException"}),
    (
        "signed over another body",
        lambda s, p, n, b: sign(s, p, n, b + b" "),
        {"InvalidSignatureException"},
    ),
]


@pytest.fixture(scope="module")
def world(server: Server) -> dict[str, str]:
    pool_id = make_pool(server)["Id"]
    client_id = make_client(server, pool_id)["ClientId"]
    admin = server.admin()
    admin.admin_create_user(UserPoolId=pool_id, Username="fuzz-user", MessageAction="SUPPRESS")
    admin.create_group(UserPoolId=pool_id, GroupName="fuzz-group")
    identity_pool = identity_admin(server).create_identity_pool(
        IdentityPoolName="fuzz", AllowUnauthenticatedIdentities=True
    )["IdentityPoolId"]
    return {
        "UserPoolId": pool_id,
        "ClientId": client_id,
        "Username": "fuzz-user",
        "GroupName": "fuzz-group",
        "IdentityPoolId": identity_pool,
    }


def snapshot(server: Server, world: dict[str, str]) -> Any:
    """Everything a slipped-through call on this world could have changed."""
    admin, pool_id = server.admin(), world["UserPoolId"]
    identity = identity_admin(server)
    pool = admin.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    return json.dumps(
        {
            "pools": sorted(p["Id"] for p in admin.list_user_pools(MaxResults=60)["UserPools"]),
            "pool": pool,
            "users": admin.list_users(UserPoolId=pool_id)["Users"],
            "user_groups": admin.admin_list_groups_for_user(
                UserPoolId=pool_id, Username=world["Username"]
            )["Groups"],
            "groups": admin.list_groups(UserPoolId=pool_id)["Groups"],
            "clients": admin.list_user_pool_clients(UserPoolId=pool_id)["UserPoolClients"],
            "client": admin.describe_user_pool_client(
                UserPoolId=pool_id, ClientId=world["ClientId"]
            )["UserPoolClient"],
            "identity_pools": identity.list_identity_pools(MaxResults=60)["IdentityPools"],
            "identity_pool": {
                k: v
                for k, v in identity.describe_identity_pool(
                    IdentityPoolId=world["IdentityPoolId"]
                ).items()
                if k != "ResponseMetadata"
            },
        },
        default=str,
        sort_keys=True,
    )


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


def test_the_registry_has_signed_operations_of_both_services() -> None:
    assert {prefix for prefix, _ in SIGNED} == {IDP, IDENTITY}
    assert (IDP, "DeleteUserPool") in SIGNED and (IDENTITY, "DeleteIdentityPool") in SIGNED


@pytest.mark.parametrize(("mutation", "build", "codes"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_every_signed_operation_refuses_the_mutation(
    server: Server,
    world: dict[str, str],
    http: httpx.Client,
    mutation: str,
    build: Callable[[Server, str, str, bytes], Lines],
    codes: set[str],
) -> None:
    before = snapshot(server, world)
    # The body names the world's real resources: any call that slipped through would act.
    body = json.dumps({**world, "MaxResults": 1}).encode()
    wrong = []
    for prefix, name in SIGNED:
        response = http.post(
            server.url + "/", content=body, headers=build(server, prefix, name, body)
        )
        code = response.headers.get("x-amzn-ErrorType")
        expected_status = 403 if code == "MissingAuthenticationTokenException" else 400
        if code not in codes or response.status_code != expected_status:
            wrong.append((name, response.status_code, response.text[:200]))
        else:
            assert response.json()["__type"] == code
    assert wrong == [], f"{mutation}: {len(wrong)} of {len(SIGNED)} not refused as expected"
    assert len(response.content) < 2000  # an oversized header is not echoed back
    assert snapshot(server, world) == before
