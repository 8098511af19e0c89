"""mamori.verify.lambda_authorizer with API Gateway's event shapes (REST TOKEN, REST REQUEST,
HTTP API payload 1.0 and 2.0) and locally signed tokens: what API Gateway reads back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from tests.verify.issuer import CLIENT, Clock, Issuer, serve_issuer

from mamori.verify import Verifier
from mamori.verify.lambda_authorizer import Unauthorized, context_of, lambda_authorizer

METHOD_ARN = "arn:aws:execute-api:eu-west-1:123456789012:abcdef123/prod/GET/orders/42"
ROUTE_ARN = "arn:aws:execute-api:eu-west-1:123456789012:abcdef123/$default/GET/orders"


@pytest.fixture()
def issuer() -> Iterator[Issuer]:
    with serve_issuer() as issuer:
        yield issuer


def rest_token(token: str | None) -> dict[str, Any]:
    event: dict[str, Any] = {"type": "TOKEN", "methodArn": METHOD_ARN}
    if token is not None:
        event["authorizationToken"] = token
    return event


def rest_request(token: str | None, header: str = "Authorization") -> dict[str, Any]:
    return {
        "type": "REQUEST",
        "methodArn": METHOD_ARN,
        "resource": "/orders/{id}",
        "path": "/orders/42",
        "httpMethod": "GET",
        "headers": {header: token} if token is not None else {},
        "multiValueHeaders": {header: [token]} if token is not None else {},
        "queryStringParameters": {},
        "pathParameters": {"id": "42"},
        "stageVariables": {},
        "requestContext": {"stage": "prod", "httpMethod": "GET", "apiId": "abcdef123"},
    }


def http_v2(token: str | None) -> dict[str, Any]:
    return {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": ROUTE_ARN,
        "identitySource": [token] if token else [],
        "routeKey": "GET /orders",
        "rawPath": "/orders",
        "rawQueryString": "",
        "headers": {"authorization": token} if token is not None else {},
        "requestContext": {"http": {"method": "GET", "path": "/orders"}, "apiId": "abcdef123"},
    }


def http_v1(token: str | None) -> dict[str, Any]:
    event = rest_request(token)
    return {**event, "version": "1.0", "identitySource": token}


def authorizer(issuer: Issuer, clock: Clock, **options: Any) -> Any:
    verifier = Verifier(issuer.issuer, client_ids=[CLIENT], clock=clock)
    return lambda_authorizer(verifier, **options)


def test_rest_token_authorizer(issuer: Issuer) -> None:
    clock = Clock()
    handler = authorizer(issuer, clock, groups=["reader"])
    token = issuer.token(now=clock.now, **{"cognito:groups": ["reader", "staff"]})
    answer = handler(rest_token(f"Bearer {token}"), None)
    assert answer["principalId"] == "7f2c1e2a-0000-4000-8000-000000000001"
    statement = answer["policyDocument"]["Statement"]
    assert answer["policyDocument"]["Version"] == "2012-10-17"
    assert statement == [
        {
            "Action": "execute-api:Invoke",
            "Effect": "Allow",
            "Resource": "arn:aws:execute-api:eu-west-1:123456789012:abcdef123/prod/*/*",
        }
    ]
    context = answer["context"]
    assert context["cognito:groups"] == "reader,staff"
    assert context["client_id"] == CLIENT and context["token_use"] == "access"
    assert all(isinstance(v, str | int | float | bool) for v in context.values())
    json.dumps(answer)  # what Lambda serialises for API Gateway
    # The bare token is accepted too, as by the Cognito authorizer.
    assert handler(rest_token(token), None)["principalId"] == answer["principalId"]


def test_rest_refusals(issuer: Issuer) -> None:
    clock = Clock()
    handler = authorizer(issuer, clock, groups=["admin"])
    for event in (
        rest_token(None),
        rest_token("Bearer not-a-token"),
        rest_token(issuer.token(now=clock.now - 7200)),
        rest_token(issuer.token(now=clock.now, client_id="other")),
        rest_request(None),
        rest_request(issuer.token("id", now=clock.now)),
    ):
        with pytest.raises(Unauthorized, match=r"^Unauthorized$"):
            handler(event, None)
    denied = handler(rest_token(issuer.token(now=clock.now)), None)  # a reader, not an admin
    assert denied["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert denied["policyDocument"]["Statement"][0]["Resource"] == METHOD_ARN
    assert "context" not in denied
    admin = issuer.token(now=clock.now, **{"cognito:groups": ["admin"]})
    assert handler(rest_token(admin), None)["policyDocument"]["Statement"][0]["Effect"] == "Allow"


def test_rest_request_authorizer(issuer: Issuer) -> None:
    clock = Clock()
    handler = authorizer(issuer, clock, scopes=["orders/read"], policy_resource="method")
    answer = handler(rest_request(f"Bearer {issuer.token(now=clock.now)}", "authorization"), None)
    assert answer["policyDocument"]["Statement"][0] == {
        "Action": "execute-api:Invoke",
        "Effect": "Allow",
        "Resource": METHOD_ARN,
    }
    assert answer["context"]["scope"] == "orders/read aws.cognito.signin.user.admin"
    no_scope = issuer.token(now=clock.now, scope="aws.cognito.signin.user.admin")
    denied = handler(rest_request(f"Bearer {no_scope}"), None)
    assert denied["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    custom = authorizer(issuer, clock, header="X-Api-Token")
    token = issuer.token(now=clock.now)
    assert custom(rest_request(token, "x-api-token"), None)["principalId"]
    with pytest.raises(Unauthorized):
        custom(rest_request(token), None)


def test_http_api_simple_responses(issuer: Issuer) -> None:
    clock = Clock()
    handler = authorizer(issuer, clock, groups=["reader"])
    token = issuer.token(now=clock.now)
    answer = handler(http_v2(f"Bearer {token}"), None)
    assert answer["isAuthorized"] is True
    assert answer["context"]["sub"] == "7f2c1e2a-0000-4000-8000-000000000001"
    assert handler(http_v2(None), None) == {"isAuthorized": False}
    assert handler(http_v2("Bearer junk"), None) == {"isAuthorized": False}
    outsider = issuer.token(now=clock.now, **{"cognito:groups": ["staff"]})
    assert handler(http_v2(f"Bearer {outsider}"), None) == {"isAuthorized": False}


def test_http_api_policy_responses(issuer: Issuer) -> None:
    clock = Clock()
    token = issuer.token(now=clock.now)
    v2_policy = authorizer(issuer, clock, simple_responses=False)
    answer = v2_policy(http_v2(f"Bearer {token}"), None)
    assert answer["policyDocument"]["Statement"][0]["Resource"] == (
        "arn:aws:execute-api:eu-west-1:123456789012:abcdef123/$default/*/*"
    )
    v1 = authorizer(issuer, clock)(http_v1(f"Bearer {token}"), None)
    assert v1["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    with pytest.raises(Unauthorized):
        v2_policy(http_v2("Bearer junk"), None)


def test_context_is_shaped_like_the_cognito_authorizers_claims() -> None:
    claims = {
        "sub": "abc",
        "email_verified": True,
        "cognito:groups": ["admin", "reader"],
        "exp": 1469814773,
        "iat": 1469811173,
        "auth_time": 1469811173,
        "address": {"formatted": "1 Main St"},
        "nothing": None,
    }
    assert context_of(claims) == {
        "sub": "abc",
        "email_verified": "true",
        "cognito:groups": "admin,reader",
        "exp": "Fri Jul 29 17:52:53 UTC 2016",
        "iat": "Fri Jul 29 16:52:53 UTC 2016",
        "auth_time": "1469811173",
        "address": '{"formatted":"1 Main St"}',
    }
