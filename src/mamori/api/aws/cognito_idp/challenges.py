"""AWS's sign-in dictionaries, both ways: AuthParameters -> SignInRequest, ChallengeResponses
-> the typed answer of the challenge named, and an AuthOutcome -> ChallengeName,
ChallengeParameters, Session, AvailableChallenges and AuthenticationResult."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from mamori.api.aws.operations import Result
from mamori.domain.auth.answers import (
    CODE_MEMBER,
    ChallengeAnswer,
    CodeAnswer,
    CustomChallengeAnswer,
    DevicePasswordVerifierAnswer,
    DeviceSrpAnswer,
    MfaSetupAnswer,
    NewPasswordAnswer,
    PasswordVerifierAnswer,
    SelectChallengeAnswer,
    SelectMfaTypeAnswer,
    SignInRequest,
)
from mamori.domain.auth.auth_flow import AuthFlow, Challenge
from mamori.domain.auth.prompts import ChallengePrompt
from mamori.domain.errors import InvalidParameterException
from mamori.domain.userpools.mfa_settings import MfaFactor
from mamori.services.auth.service import AuthOutcome
from mamori.services.tokens.pool_tokens import AuthenticationResult

_ATTRIBUTE = "userAttributes."  # NEW_PASSWORD_REQUIRED's members naming attributes


def entries(value: Mapping[str, Any] | None) -> dict[str, str]:
    """AuthParameters / ChallengeResponses without null entries (sent as absent by clients)."""
    return {k: v for k, v in (value or {}).items() if v is not None}


def sign_in_request(
    flow: str,
    parameters: Mapping[str, Any] | None,
    client_metadata: Mapping[str, Any] | None = None,
) -> SignInRequest:
    """InitiateAuth's AuthFlow, AuthParameters and ClientMetadata. Whether the entry point
    takes the flow, and what the flow needs, the service checks."""
    try:
        kind = AuthFlow(flow)
    except ValueError:
        # Cognito: one message for an unknown flow and a flow of the other entry point.
        raise InvalidParameterException("Initiate Auth method not supported.") from None
    p = entries(parameters)
    return SignInRequest(
        flow=kind,
        username=p.get("USERNAME"),
        password=p.get("PASSWORD"),
        srp_a=p.get("SRP_A"),
        refresh_token=p.get("REFRESH_TOKEN"),
        secret_hash=p.get("SECRET_HASH"),
        device_key=p.get("DEVICE_KEY"),
        preferred_challenge=p.get("PREFERRED_CHALLENGE"),
        challenge_name=p.get("CHALLENGE_NAME"),
        client_metadata=entries(client_metadata),
    )


def challenge_answer(
    name: str,
    responses: Mapping[str, Any] | None,
    client_metadata: Mapping[str, Any] | None = None,
) -> ChallengeAnswer:
    """RespondToAuthChallenge's ChallengeName and ChallengeResponses (and its ClientMetadata,
    which only the custom sign-in's triggers read: CUSTOM_CHALLENGE, PASSWORD_VERIFIER)."""
    try:
        challenge = Challenge(name)
    except ValueError:
        raise InvalidParameterException(f"Unsupported challenge {name}.") from None
    r = entries(responses)
    username, secret_hash = r.get("USERNAME"), r.get("SECRET_HASH")
    if challenge in CODE_MEMBER:
        # Cognito: amazon-cognito-identity-js answers SOFTWARE_TOKEN_MFA with the code in
        # SMS_MFA_CODE too; only the challenge's own member is read.
        code = r.get(CODE_MEMBER[challenge])
        return CodeAnswer(challenge, username, code, secret_hash)
    if challenge is Challenge.CUSTOM_CHALLENGE:
        return CustomChallengeAnswer(
            username, r.get("ANSWER"), secret_hash, entries(client_metadata)
        )
    if challenge is Challenge.PASSWORD_VERIFIER:
        return PasswordVerifierAnswer(
            username=username,
            secret_block=r.get("PASSWORD_CLAIM_SECRET_BLOCK"),
            signature=r.get("PASSWORD_CLAIM_SIGNATURE"),
            timestamp=r.get("TIMESTAMP"),
            secret_hash=secret_hash,
            device_key=r.get("DEVICE_KEY"),
            client_metadata=entries(client_metadata),
        )
    if challenge is Challenge.DEVICE_PASSWORD_VERIFIER:
        return DevicePasswordVerifierAnswer(
            username=username,
            secret_block=r.get("PASSWORD_CLAIM_SECRET_BLOCK"),
            signature=r.get("PASSWORD_CLAIM_SIGNATURE"),
            timestamp=r.get("TIMESTAMP"),
            secret_hash=secret_hash,
        )
    if challenge is Challenge.SELECT_CHALLENGE:
        return SelectChallengeAnswer(
            username=username,
            answer=r.get("ANSWER"),
            password=r.get("PASSWORD"),
            srp_a=r.get("SRP_A"),
            secret_hash=secret_hash,
            device_key=r.get("DEVICE_KEY"),
        )
    if challenge is Challenge.NEW_PASSWORD_REQUIRED:
        attributes = {k[len(_ATTRIBUTE) :]: v for k, v in r.items() if k.startswith(_ATTRIBUTE)}
        return NewPasswordAnswer(username, r.get("NEW_PASSWORD"), attributes, secret_hash)
    if challenge is Challenge.SELECT_MFA_TYPE:
        return SelectMfaTypeAnswer(username, r.get("ANSWER"), secret_hash)
    if challenge is Challenge.DEVICE_SRP_AUTH:
        return DeviceSrpAnswer(username, r.get("DEVICE_KEY"), r.get("SRP_A"), secret_hash)
    return MfaSetupAnswer(username, secret_hash)


def _names(factors: tuple[MfaFactor, ...]) -> str:
    return json.dumps([f.value for f in factors], separators=(",", ":"))


def challenge_parameters(prompt: ChallengePrompt) -> dict[str, str]:
    """ChallengeParameters: each member the prompt carries, in the order mamori has always
    written them (an SRP exchange names the user last)."""
    out: dict[str, str] = {}
    exchange = prompt.salt is not None
    if prompt.user_id_for_srp is not None and not exchange:
        out["USER_ID_FOR_SRP"] = prompt.user_id_for_srp
    if prompt.custom is not None:
        # Cognito: CUSTOM_CHALLENGE's parameters are CreateAuthChallenge's public ones and
        # USERNAME (below), which the function cannot override.
        out.update(prompt.custom)
    if prompt.user_attributes is not None:
        out["userAttributes"] = json.dumps(dict(prompt.user_attributes))
    if prompt.required_attributes is not None:
        out["requiredAttributes"] = json.dumps([_ATTRIBUTE + a for a in prompt.required_attributes])
    if prompt.mfas_can_choose is not None:
        out["MFAS_CAN_CHOOSE"] = _names(prompt.mfas_can_choose)
    if prompt.mfas_can_setup is not None:
        out["MFAS_CAN_SETUP"] = _names(prompt.mfas_can_setup)
    if prompt.friendly_device_name is not None:
        out["FRIENDLY_DEVICE_NAME"] = prompt.friendly_device_name
    if prompt.delivery_medium is not None:
        out["CODE_DELIVERY_DELIVERY_MEDIUM"] = prompt.delivery_medium
    if prompt.delivery_destination is not None:
        out["CODE_DELIVERY_DESTINATION"] = prompt.delivery_destination
    if prompt.salt is not None:
        out["SALT"] = prompt.salt
    if prompt.srp_b is not None:
        out["SRP_B"] = prompt.srp_b
    if prompt.secret_block is not None:
        out["SECRET_BLOCK"] = prompt.secret_block
    if prompt.username is not None:
        out["USERNAME"] = prompt.username
    if prompt.user_id_for_srp is not None and exchange:
        out["USER_ID_FOR_SRP"] = prompt.user_id_for_srp
    return out


def result_out(result: AuthenticationResult) -> Result:
    out: Result = {
        "AccessToken": result.access_token,
        "ExpiresIn": result.expires_in,
        "TokenType": result.token_type,
        "IdToken": result.id_token,
    }
    if result.refresh_token:
        out["RefreshToken"] = result.refresh_token
    return out


def outcome_out(outcome: AuthOutcome) -> Result:
    if outcome.result is not None:
        result = result_out(outcome.result)
        if outcome.new_device is not None:
            key, group = outcome.new_device
            result["NewDeviceMetadata"] = {"DeviceKey": key, "DeviceGroupKey": group}
        return {"ChallengeParameters": {}, "AuthenticationResult": result}
    assert outcome.challenge is not None
    out: Result = {
        "ChallengeName": outcome.challenge.value,
        "ChallengeParameters": challenge_parameters(outcome.prompt),
    }
    if outcome.session:
        out["Session"] = outcome.session
    if outcome.available:
        out["AvailableChallenges"] = [c.value for c in outcome.available]
    return out
