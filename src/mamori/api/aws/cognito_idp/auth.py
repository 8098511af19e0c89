"""Sign-in operations: InitiateAuth, challenges, refresh, sign-out and revocation."""

from __future__ import annotations

from mamori.api.aws.cognito_idp.challenges import (
    challenge_answer,
    entries,
    outcome_out,
    result_out,
    sign_in_request,
)
from mamori.api.aws.cognito_idp.user_context import admin_context, public_context
from mamori.api.aws.operations import Call, Params, Result, operation


@operation("InitiateAuth")
async def initiate_auth(call: Call, p: Params) -> Result:
    outcome = await call.services.auth.initiate_auth(
        p["ClientId"],
        sign_in_request(p["AuthFlow"], p.get("AuthParameters"), p.get("ClientMetadata")),
        call.source_ip,
        public_context(call, p),
    )
    return outcome_out(outcome)


@operation("AdminInitiateAuth")
async def admin_initiate_auth(call: Call, p: Params) -> Result:
    # The caller is the app's backend: the end user's address is what ContextData says, if
    # anything (limiting the backend's own address would throttle all of its users at once).
    context = p.get("ContextData") or {}
    outcome = await call.services.auth.admin_initiate_auth(
        p["UserPoolId"],
        p["ClientId"],
        sign_in_request(p["AuthFlow"], p.get("AuthParameters"), p.get("ClientMetadata")),
        context.get("IpAddress") or None,
        admin_context(p),
    )
    return outcome_out(outcome)


@operation("RespondToAuthChallenge")
async def respond_to_auth_challenge(call: Call, p: Params) -> Result:
    outcome = await call.services.auth.respond_to_auth_challenge(
        p["ClientId"],
        p.get("Session"),
        challenge_answer(p["ChallengeName"], p.get("ChallengeResponses"), p.get("ClientMetadata")),
        call.source_ip,
        public_context(call, p),
        entries(p.get("ClientMetadata")),
    )
    return outcome_out(outcome)


@operation("AdminRespondToAuthChallenge")
async def admin_respond_to_auth_challenge(call: Call, p: Params) -> Result:
    # As AdminInitiateAuth: the end user's address is ContextData's, if any.
    context = p.get("ContextData") or {}
    outcome = await call.services.auth.admin_respond_to_auth_challenge(
        p["UserPoolId"],
        p["ClientId"],
        p.get("Session"),
        challenge_answer(p["ChallengeName"], p.get("ChallengeResponses"), p.get("ClientMetadata")),
        context.get("IpAddress") or None,
        admin_context(p),
        entries(p.get("ClientMetadata")),
    )
    return outcome_out(outcome)


@operation("GetTokensFromRefreshToken")
async def get_tokens_from_refresh_token(call: Call, p: Params) -> Result:
    result = await call.services.refresh.get_tokens_from_refresh_token(
        p["ClientId"], p["RefreshToken"], p.get("ClientSecret")
    )
    return {"AuthenticationResult": result_out(result)}


@operation("GetClientToken")
async def get_client_token(call: Call, p: Params) -> Result:
    result = await call.services.oauth_grants.get_client_token(
        p["ClientId"], p["Secret"], p.get("Scopes")
    )
    return {
        "ClientAuthenticationResult": {
            "AccessToken": result.access_token,
            "ExpiresIn": result.expires_in,
            "TokenType": result.token_type,
        }
    }


@operation("GlobalSignOut")
async def global_sign_out(call: Call, p: Params) -> Result:
    await call.services.auth.global_sign_out(p["AccessToken"])
    return {}


@operation("AdminUserGlobalSignOut")
async def admin_user_global_sign_out(call: Call, p: Params) -> Result:
    await call.services.auth.admin_user_global_sign_out(p["UserPoolId"], p["Username"])
    return {}


@operation("RevokeToken")
async def revoke_token(call: Call, p: Params) -> Result:
    await call.services.auth.revoke_token(p["Token"], p["ClientId"], p.get("ClientSecret"))
    return {}
