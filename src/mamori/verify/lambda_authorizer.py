"""An API Gateway Lambda authorizer over a `Verifier`: REST API TOKEN and REQUEST authorizers
(an IAM policy with principalId and context) and HTTP API authorizers (payload 2.0 simple
responses `{isAuthorized, context}`, or a policy with payload 1.0 / simple responses off)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from mamori.verify.errors import MissingGroup, MissingScope, TokenError
from mamori.verify.verifier import Verifier, require

Handler = Callable[[Mapping[str, Any], Any], dict[str, Any]]

# Cognito: the user-pool authorizer renders exp and iat as Java's Date.toString() in UTC.
_DATE_CLAIMS = ("exp", "iat")


class Unauthorized(Exception):
    """Raised for a missing or invalid token on a REST API: API Gateway answers 401 when the
    authorizer fails with exactly the message "Unauthorized"."""

    def __init__(self) -> None:
        super().__init__("Unauthorized")


def context_of(claims: Mapping[str, Any]) -> dict[str, str]:
    """The claims as the Cognito user-pool authorizer shows them under `claims`: every value a
    string (authorizer context values must be strings, numbers or booleans, never lists or
    objects): lists joined with commas (`cognito:groups` "admin,reader"), booleans "true" /
    "false", `exp` and `iat` as "Fri Jul 29 18:52:53 UTC 2016", objects as JSON."""
    context: dict[str, str] = {}
    for name, value in claims.items():
        if name in _DATE_CLAIMS and isinstance(value, int | float) and not isinstance(value, bool):
            text = datetime.fromtimestamp(value, UTC).strftime("%a %b %d %H:%M:%S UTC %Y")
        elif isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, list):
            text = ",".join(v if isinstance(v, str) else json.dumps(v) for v in value)
        elif isinstance(value, dict):
            text = json.dumps(value, separators=(",", ":"))
        elif value is None:
            continue
        else:
            text = str(value)
        context[name] = text
    return context


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    if not headers:
        return None
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted and isinstance(value, str):
            return value
    return None


def _bearer(value: str | None) -> str | None:
    if value is None:
        return None
    scheme, _, rest = value.strip().partition(" ")
    # The Cognito authorizer takes the bare token; "Bearer <token>" is what clients send.
    if rest and scheme.lower() == "bearer":
        return rest.strip()
    return value.strip() or None


def _api_wide(arn: str) -> str:
    """arn:aws:execute-api:region:account:api/stage/VERB/path -> .../api/stage/*/*"""
    prefix, _, path = arn.partition(":execute-api:")
    parts = path.split("/")
    if not prefix or len(parts) < 2:
        return arn
    return f"{prefix}:execute-api:{'/'.join(parts[:2])}/*/*"


def _policy(
    principal: str, effect: str, resource: str, context: dict[str, str] | None
) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
    }
    if context is not None:
        answer["context"] = context
    return answer


def lambda_authorizer(
    verifier: Verifier,
    *,
    scopes: Sequence[str] = (),
    groups: Sequence[str] = (),
    header: str = "Authorization",
    policy_resource: Literal["api", "method"] = "api",
    simple_responses: bool = True,
) -> Handler:
    """A Lambda handler `handler(event, context)` checking the token in `header` (or the TOKEN
    authorizer's `authorizationToken`) with `verifier`, then `scopes` and `groups`.

    REST API (TOKEN, REQUEST) and HTTP API payload 1.0: an invalid or missing token raises
    `Unauthorized` (API Gateway answers 401); a good token lacking a scope or group gets a Deny
    policy (403); a good one an Allow policy with principalId = `sub` and the claims as context
    (`context_of`). `policy_resource` "api" allows every method of the stage (safe with the
    authorizer's result cache, which is keyed by token, as long as every route of the API needs
    the same scopes); "method" only the method called. HTTP API payload 2.0 with simple responses
    on: `{"isAuthorized": bool, "context": claims}` (refusals are 403 there).
    """

    def handler(event: Mapping[str, Any], _context: Any = None) -> dict[str, Any]:
        http_v2 = event.get("version") == "2.0"
        arn = str(event.get("methodArn") or event.get("routeArn") or "")
        if event.get("type") == "TOKEN":
            token = _bearer(event.get("authorizationToken"))
        else:
            token = _bearer(_header(event.get("headers"), header))
        claims: dict[str, Any] | None = None
        enough = False
        if token is not None:
            try:
                claims = verifier.verify(token)
                require(claims, scopes=scopes, groups=groups)
                enough = True
            except (MissingScope, MissingGroup):
                pass
            except TokenError:
                claims = None
        if http_v2 and simple_responses:
            if claims is None or not enough:
                return {"isAuthorized": False}
            return {"isAuthorized": True, "context": context_of(claims)}
        if claims is None:
            raise Unauthorized
        principal = str(claims.get("sub") or claims.get("username") or "user")
        if not enough:
            # A good token lacking a scope or group: 403, for the method called only.
            return _policy(principal, "Deny", arn, None)
        resource = arn if policy_resource == "method" else _api_wide(arn)
        return _policy(principal, "Allow", resource, context_of(claims))

    return handler
