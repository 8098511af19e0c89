"""AppSync's authorization directives for strawberry-graphql: @aws_cognito_user_pools, @aws_auth
and @aws_oidc on types and fields, enforced at resolve time from tokens that
`mamori.verify.Verifier` checks, with AppSync's error shapes and an optional revocation hook
(`is_revoked`; mamori.verify.revocation's `MamoriRevocation`, re-exported here)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import strawberry
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError, GraphQLResolveInfo
from strawberry.asgi import GraphQL
from strawberry.extensions import SchemaExtension
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema_directive import Location
from strawberry.types import ExecutionResult

from mamori.verify import Expired, TokenError
from mamori.verify.revocation import MamoriRevocation
from mamori.verify.verifier import words as claim_names

__all__ = [
    "AppSyncAuth",
    "AppSyncGraphQL",
    "AuthMode",
    "AwsApiKey",
    "AwsAuth",
    "AwsCognitoUserPools",
    "AwsIam",
    "AwsLambda",
    "AwsOidc",
    "DefaultAction",
    "Identity",
    "MamoriRevocation",
    "NotAuthenticated",
    "Rule",
    "identity_of",
]

IDENTITY_KEY = "mamori_identity"
_WHERE = [Location.OBJECT, Location.FIELD_DEFINITION]


class AuthMode(StrEnum):
    """AppSync's authorization types. Only the two JWT modes can be held by a request here; the
    others exist so a field or type that names only them refuses every request, as on AppSync."""

    USER_POOLS = "AMAZON_COGNITO_USER_POOLS"
    OIDC = "OPENID_CONNECT"
    API_KEY = "API_KEY"
    IAM = "AWS_IAM"
    LAMBDA = "AWS_LAMBDA"


class DefaultAction(StrEnum):
    """UserPoolConfig.defaultAction: what a user-pool request gets on a field no directive names."""

    ALLOW = "ALLOW"
    DENY = "DENY"


# The directives print without their definitions (print_definition=False): AppSync declares
# them itself, so the printed SDL is what AppSync takes. Arguments keep AppSync's snake_case.
@strawberry.schema_directive(
    locations=_WHERE, name="aws_cognito_user_pools", print_definition=False
)
class AwsCognitoUserPools:
    cognito_groups: list[str] | None = strawberry.directive_field("cognito_groups", default=None)


@strawberry.schema_directive(locations=_WHERE, name="aws_auth", print_definition=False)
class AwsAuth:
    cognito_groups: list[str] | None = strawberry.directive_field("cognito_groups", default=None)


@strawberry.schema_directive(locations=_WHERE, name="aws_oidc", print_definition=False)
class AwsOidc:
    pass


@strawberry.schema_directive(locations=_WHERE, name="aws_api_key", print_definition=False)
class AwsApiKey:
    pass


@strawberry.schema_directive(locations=_WHERE, name="aws_iam", print_definition=False)
class AwsIam:
    pass


@strawberry.schema_directive(locations=_WHERE, name="aws_lambda", print_definition=False)
class AwsLambda:
    pass


_MODE_OF: dict[type, AuthMode] = {
    AwsCognitoUserPools: AuthMode.USER_POOLS,
    AwsAuth: AuthMode.USER_POOLS,
    AwsOidc: AuthMode.OIDC,
    AwsApiKey: AuthMode.API_KEY,
    AwsIam: AuthMode.IAM,
    AwsLambda: AuthMode.LAMBDA,
}


@dataclass(frozen=True)
class Rule:
    """One authorization directive: requests of `mode` pass, if in one of `groups` when given.
    `default` marks the rule an unannotated field falls back to."""

    mode: AuthMode
    groups: frozenset[str] | None = None
    default: bool = False


def rules_of(directives: Collection[object]) -> tuple[Rule, ...]:
    """The AppSync rules among a type's or field's strawberry directives (others are ignored)."""
    rules = []
    for directive in directives:
        mode = _MODE_OF.get(type(directive))
        if mode is None:
            continue
        groups = getattr(directive, "cognito_groups", None)
        rules.append(Rule(mode, None if groups is None else frozenset(groups)))
    return tuple(rules)


@dataclass(frozen=True)
class Identity:
    """The verified caller: the modes whose verifier accepted the token, its claims, its groups."""

    token: str
    claims: Mapping[str, Any]
    modes: frozenset[AuthMode]
    groups: frozenset[str]


class NotAuthenticated(Exception):
    """No usable token: AppSync answers 401 with errorType UnauthorizedException."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TokenVerifier(Protocol):
    async def averify(self, token: str) -> dict[str, Any]: ...


RevocationCheck = Callable[[str, Mapping[str, Any]], Awaitable[bool]]


class AppSyncAuth:
    """The API's authorization configuration, as AppSync's: a default mode (user pools or
    OIDC), optionally the other as an additional mode, the user pool's default action, and a
    revocation hook no JWT check can replace."""

    def __init__(
        self,
        *,
        user_pools: TokenVerifier | None = None,
        oidc: TokenVerifier | None = None,
        default_mode: AuthMode = AuthMode.USER_POOLS,
        default_action: DefaultAction = DefaultAction.ALLOW,
        is_revoked: RevocationCheck | None = None,
        groups_claim: str = "cognito:groups",
    ) -> None:
        verifiers = {AuthMode.USER_POOLS: user_pools, AuthMode.OIDC: oidc}
        if default_mode not in verifiers or verifiers[default_mode] is None:
            raise ValueError(f"the default mode {default_mode} needs its verifier")
        # AppSync: with user pools as the default mode and additional providers, the default
        # action must be ALLOW (UserPoolConfig.DefaultAction).
        if default_action is DefaultAction.DENY and (
            default_mode is not AuthMode.USER_POOLS or oidc is not None
        ):
            raise ValueError("DENY is the user pools' default action, with no additional mode")
        self.verifiers = {mode: v for mode, v in verifiers.items() if v is not None}
        self.default_mode = default_mode
        self.default_action = default_action
        self.is_revoked = is_revoked
        self.groups_claim = groups_claim
        self._rules: dict[tuple[object, str, str], tuple[Rule, ...]] = {}

    async def authenticate(self, authorization: str | None) -> Identity:
        """The identity behind an Authorization header: AppSync's raw token, or `Bearer <token>`."""
        words = (authorization or "").split()
        if words and words[0].lower() == "bearer":
            words = words[1:]
        token = words[0] if len(words) == 1 else ""
        if not token:
            raise NotAuthenticated("Valid authorization header not provided.")
        claims: dict[str, Any] | None = None
        modes = set()
        first_error: TokenError | None = None
        for mode, verifier in self.verifiers.items():
            try:
                claims = await verifier.averify(token)
            except TokenError as err:
                first_error = first_error or err
                continue
            modes.add(mode)
        if claims is None:
            if isinstance(first_error, Expired):
                raise NotAuthenticated("Token has expired.")
            raise NotAuthenticated("You are not authorized to make this call.")
        if self.is_revoked is not None and await self.is_revoked(token, claims):
            raise NotAuthenticated("Token has been revoked.")
        # A string claim is one or more names (space-separated), never its letters.
        try:
            groups = claim_names(claims.get(self.groups_claim), self.groups_claim)
        except TokenError as err:
            raise NotAuthenticated("You are not authorized to make this call.") from err
        return Identity(token, claims, frozenset(modes), groups)

    def rules_for(self, info: GraphQLResolveInfo[Any]) -> tuple[Rule, ...]:
        """The field's directives if it has any, else its type's, else the default mode."""
        key = (info.schema, info.parent_type.name, info.field_name)
        rules = self._rules.get(key)
        if rules is None:
            field = info.parent_type.fields[info.field_name]
            field_def = field.extensions.get("strawberry-definition")
            type_def = info.parent_type.extensions.get("strawberry-definition")
            rules = rules_of(getattr(field_def, "directives", ()) or ()) or rules_of(
                getattr(type_def, "directives", ()) or ()
            )
            if not rules:
                schema = info.schema
                roots = (schema.query_type, schema.mutation_type, schema.subscription_type)
                # DENY: a top-level field no directive names is refused to everyone (AppSync
                # makes @aws_auth compulsory on every query and mutation); a nested one keeps
                # the default mode, its parent's field having let the caller in.
                denied = self.default_action is DefaultAction.DENY and info.parent_type in roots
                rules = () if denied else (Rule(self.default_mode, default=True),)
            self._rules[key] = rules
        return rules

    def allows(self, identity: Identity, rules: Collection[Rule]) -> bool:
        for rule in rules:
            if rule.mode not in identity.modes:
                continue
            if rule.groups is None or rule.groups & identity.groups:
                return True
        return False

    def extension(self) -> Callable[[], SchemaExtension]:
        """The factory to list in `strawberry.Schema(extensions=[...])`: one extension a request."""
        return lambda: AppSyncAuthExtension(self)


def identity_of(info: strawberry.Info[Any, Any] | GraphQLResolveInfo[Any]) -> Identity:
    """The verified caller, for resolvers (the extension puts it in the request's context)."""
    context = info.context
    found = context.get(IDENTITY_KEY) if isinstance(context, dict) else None
    found = found or getattr(context, IDENTITY_KEY, None)
    if not isinstance(found, Identity):
        raise LookupError("no AppSync identity: is AppSyncAuth's extension on the schema?")
    return found


def _unauthorized(field: str, type_name: str) -> GraphQLError:
    return GraphQLError(
        f"Not Authorized to access {field} on type {type_name}",
        extensions={"errorType": "Unauthorized"},
    )


class AppSyncAuthExtension(SchemaExtension):
    """Authenticates the request before execution (401 without a usable token), then checks
    every field it resolves against the AppSync rules in force there."""

    def __init__(self, auth: AppSyncAuth) -> None:
        self.auth = auth
        self.identity: Identity | None = None

    async def on_execute(self) -> Any:
        context = self.execution_context.context
        request = context.get("request") if isinstance(context, dict) else None
        request = request or getattr(context, "request", None)
        header = request.headers.get("authorization") if request is not None else None
        try:
            self.identity = await self.auth.authenticate(header)
        except NotAuthenticated as err:
            response = context.get("response") if isinstance(context, dict) else None
            response = response or getattr(context, "response", None)
            if response is not None and hasattr(response, "status_code"):
                response.status_code = 401
                response.headers["x-amzn-errortype"] = "UnauthorizedException"
            refusal = GraphQLError(err.message, extensions={"errorType": "UnauthorizedException"})
            self.execution_context.result = GraphQLExecutionResult(data=None, errors=[refusal])
        else:
            if isinstance(context, dict):
                context[IDENTITY_KEY] = self.identity
            elif context is not None:
                setattr(context, IDENTITY_KEY, self.identity)
        yield

    def resolve(
        self,
        _next: Callable[..., Any],
        root: Any,
        info: GraphQLResolveInfo[Any],
        *args: Any,
        **kw: Any,
    ) -> Any:
        # Introspection (__typename, __schema and the __Type family) is open to any caller
        # the request check let in.
        if not (info.field_name.startswith("__") or info.parent_type.name.startswith("__")):
            identity = self.identity
            if identity is None or not self.auth.allows(identity, self.auth.rules_for(info)):
                raise _unauthorized(info.field_name, info.parent_type.name)
        return _next(root, info, *args, **kw)


def appsync_error(error: GraphQLError) -> dict[str, Any]:
    """One error as AppSync renders it: errorType at the top, no `extensions`."""
    error_type = (error.extensions or {}).get("errorType")
    if error_type == "UnauthorizedException":
        return {"errorType": error_type, "message": error.message}
    return {
        "path": error.path,
        "data": None,
        "errorType": error_type,
        "errorInfo": None,
        "locations": [
            {"line": loc.line, "column": loc.column, "sourceName": None}
            for loc in error.locations or ()
        ],
        "message": error.message,
    }


class AppSyncGraphQL(GraphQL[Any, Any]):
    """strawberry's ASGI app answering with AppSync's error objects."""

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        response: GraphQLHTTPResponse = {"data": result.data}
        if result.errors:
            response["errors"] = [appsync_error(e) for e in result.errors]
        if result.extensions:
            response["extensions"] = result.extensions
        return response
