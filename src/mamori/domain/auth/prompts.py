"""What a challenge tells the client to answer it with, typed: the AWS wire writes it out as
its challenge parameters (api/aws/cognito_idp/challenges.py), a hosted page renders it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mamori.domain.userpools.mfa_settings import MfaFactor


@dataclass(frozen=True)
class ChallengePrompt:
    """Each field is sent only when set (None: the challenge does not carry it)."""

    # USER_ID_FOR_SRP: the name the user's SRP secret is computed over (the stored username,
    # or a decoy's shaped as one).
    user_id_for_srp: str | None = None
    # USERNAME: the name to answer with.
    username: str | None = None
    # PASSWORD_VERIFIER / DEVICE_PASSWORD_VERIFIER: the SRP exchange.
    salt: str | None = None
    srp_b: str | None = None
    secret_block: str | None = None
    # A code sent by message: where to (masked) and how (SMS, EMAIL).
    delivery_medium: str | None = None
    delivery_destination: str | None = None
    # SELECT_MFA_TYPE's factors to choose from, MFA_SETUP's factors to set up.
    mfas_can_choose: tuple[MfaFactor, ...] | None = None
    mfas_can_setup: tuple[MfaFactor, ...] | None = None
    # SOFTWARE_TOKEN_MFA: the name the user gave the authenticator, if any.
    friendly_device_name: str | None = None
    # NEW_PASSWORD_REQUIRED: the attributes the client may read, and the required ones
    # without a value (by name).
    user_attributes: Mapping[str, str] | None = None
    required_attributes: tuple[str, ...] | None = None
    # CUSTOM_CHALLENGE: CreateAuthChallenge's publicChallengeParameters.
    custom: Mapping[str, str] | None = None
