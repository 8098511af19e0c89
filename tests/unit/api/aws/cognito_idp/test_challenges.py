"""api/aws/cognito_idp/challenges.py: AuthParameters and ChallengeResponses to the typed sign-in
values, and a typed outcome to ChallengeName / ChallengeParameters / Session."""

from __future__ import annotations

import json

import pytest

from mamori.api.aws.cognito_idp.challenges import (
    challenge_answer,
    challenge_parameters,
    outcome_out,
    sign_in_request,
)
from mamori.domain.auth.answers import (
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
from mamori.domain.auth.auth_flow import AuthFlow, Challenge, FirstFactor
from mamori.domain.auth.prompts import ChallengePrompt
from mamori.domain.errors import InvalidParameterException
from mamori.domain.userpools.mfa_settings import MfaFactor
from mamori.services.auth.sign_in_state import AuthOutcome


def test_auth_parameters_become_a_request_and_nulls_are_absent() -> None:
    request = sign_in_request(
        "USER_AUTH",
        {
            "USERNAME": "ann",
            "PASSWORD": "",
            "SRP_A": "ab",
            "SECRET_HASH": "h",
            "DEVICE_KEY": None,
            "PREFERRED_CHALLENGE": "PASSWORD",
            "OTHER": "x",
        },
    )
    assert request == SignInRequest(
        AuthFlow.USER_AUTH,
        username="ann",
        password="",
        srp_a="ab",
        secret_hash="h",
        preferred_challenge="PASSWORD",
    )
    assert sign_in_request("REFRESH_TOKEN_AUTH", None) == SignInRequest(AuthFlow.REFRESH_TOKEN_AUTH)


def test_an_unknown_flow_is_cognitos_message() -> None:
    with pytest.raises(InvalidParameterException, match=r"^Initiate Auth method not supported\.$"):
        sign_in_request("NO_SUCH_FLOW", {})


def test_each_challenge_gets_its_answer() -> None:
    common = {"USERNAME": "ann", "SECRET_HASH": "h"}
    claim = {"PASSWORD_CLAIM_SECRET_BLOCK": "b", "PASSWORD_CLAIM_SIGNATURE": "s", "TIMESTAMP": "t"}
    assert challenge_answer(
        "PASSWORD_VERIFIER", {**common, **claim, "DEVICE_KEY": "d"}
    ) == PasswordVerifierAnswer("ann", "b", "s", "t", "h", "d")
    assert challenge_answer(
        "DEVICE_PASSWORD_VERIFIER", {**common, **claim}
    ) == DevicePasswordVerifierAnswer("ann", "b", "s", "t", "h")
    assert challenge_answer(
        "SELECT_CHALLENGE", {**common, "ANSWER": "PASSWORD_SRP", "SRP_A": "a"}
    ) == SelectChallengeAnswer("ann", "PASSWORD_SRP", None, "a", "h", None)
    assert challenge_answer("SELECT_MFA_TYPE", {**common, "ANSWER": "SMS_MFA"}) == (
        SelectMfaTypeAnswer("ann", "SMS_MFA", "h")
    )
    assert challenge_answer("MFA_SETUP", common) == MfaSetupAnswer("ann", "h")
    assert challenge_answer(
        "DEVICE_SRP_AUTH", {**common, "DEVICE_KEY": "d", "SRP_A": "a"}
    ) == DeviceSrpAnswer("ann", "d", "a", "h")
    assert challenge_answer(
        "NEW_PASSWORD_REQUIRED",
        {**common, "NEW_PASSWORD": "p", "userAttributes.name": "Ann", "userAttributes.x": None},
    ) == NewPasswordAnswer("ann", "p", {"name": "Ann"}, "h")


@pytest.mark.parametrize(
    ("challenge", "member"),
    [
        (Challenge.SMS_MFA, "SMS_MFA_CODE"),
        (Challenge.SOFTWARE_TOKEN_MFA, "SOFTWARE_TOKEN_MFA_CODE"),
        (Challenge.EMAIL_OTP, "EMAIL_OTP_CODE"),
        (Challenge.SMS_OTP, "SMS_OTP_CODE"),
    ],
)
def test_a_code_is_read_from_its_own_member_only(challenge: Challenge, member: str) -> None:
    # Cognito: amazon-cognito-identity-js answers SOFTWARE_TOKEN_MFA with SMS_MFA_CODE too.
    others = {"SMS_MFA_CODE": "999999"} if member != "SMS_MFA_CODE" else {}
    answer = challenge_answer(challenge.value, {"USERNAME": "ann", member: "123456", **others})
    assert answer == CodeAnswer(challenge, "ann", "123456", None)
    assert challenge_answer(challenge.value, others) == CodeAnswer(challenge)


def test_an_unsupported_challenge_is_refused() -> None:
    with pytest.raises(InvalidParameterException, match=r"^Unsupported challenge WEB_AUTHN\.$"):
        challenge_answer("WEB_AUTHN", {})


def test_a_custom_challenge_is_answered_with_answer_and_client_metadata() -> None:
    answer = challenge_answer(
        "CUSTOM_CHALLENGE",
        {"USERNAME": "ann", "ANSWER": "42", "SECRET_HASH": "h"},
        {"app": "web"},
    )
    assert answer == CustomChallengeAnswer("ann", "42", "h", {"app": "web"})
    assert challenge_answer("CUSTOM_CHALLENGE", None) == CustomChallengeAnswer()


def test_custom_auth_reads_challenge_name_and_client_metadata() -> None:
    request = sign_in_request(
        "CUSTOM_AUTH", {"USERNAME": "ann", "CHALLENGE_NAME": "SRP_A", "SRP_A": "ab"}, {"k": "v"}
    )
    assert (request.challenge_name, request.srp_a, request.client_metadata) == (
        "SRP_A",
        "ab",
        {"k": "v"},
    )


def test_a_custom_challenge_writes_its_public_parameters_and_username() -> None:
    prompt = ChallengePrompt(username="ann", custom={"question": "2+2?", "USERNAME": "x"})
    assert challenge_parameters(prompt) == {"question": "2+2?", "USERNAME": "ann"}


def test_a_prompt_writes_the_members_it_carries() -> None:
    assert challenge_parameters(ChallengePrompt()) == {}
    assert challenge_parameters(
        ChallengePrompt(
            user_id_for_srp="u",
            username="ann",
            salt="s",
            srp_b="b",
            secret_block="k",
            delivery_medium="SMS",
            delivery_destination="+******1234",
            mfas_can_choose=(MfaFactor.SMS_MFA, MfaFactor.SOFTWARE_TOKEN_MFA),
            mfas_can_setup=(MfaFactor.SOFTWARE_TOKEN_MFA,),
            friendly_device_name="phone",
            user_attributes={"email": "a@example.com"},
            required_attributes=("name",),
        )
    ) == {
        "USER_ID_FOR_SRP": "u",
        "USERNAME": "ann",
        "SALT": "s",
        "SRP_B": "b",
        "SECRET_BLOCK": "k",
        "CODE_DELIVERY_DELIVERY_MEDIUM": "SMS",
        "CODE_DELIVERY_DESTINATION": "+******1234",
        "MFAS_CAN_CHOOSE": '["SMS_MFA","SOFTWARE_TOKEN_MFA"]',
        "MFAS_CAN_SETUP": '["SOFTWARE_TOKEN_MFA"]',
        "FRIENDLY_DEVICE_NAME": "phone",
        "userAttributes": json.dumps({"email": "a@example.com"}),
        "requiredAttributes": '["userAttributes.name"]',
    }


def test_members_come_in_the_order_they_always_did() -> None:
    exchange = ChallengePrompt(
        salt="s", srp_b="b", secret_block="k", username="u", user_id_for_srp="u"
    )
    assert list(challenge_parameters(exchange)) == [
        "SALT",
        "SRP_B",
        "SECRET_BLOCK",
        "USERNAME",
        "USER_ID_FOR_SRP",
    ]
    device = ChallengePrompt(username="ann", user_id_for_srp="ann")
    assert list(challenge_parameters(device)) == ["USER_ID_FOR_SRP", "USERNAME"]
    code = ChallengePrompt(
        user_id_for_srp="ann", delivery_medium="SMS", delivery_destination="+***1"
    )
    assert list(challenge_parameters(code)) == [
        "USER_ID_FOR_SRP",
        "CODE_DELIVERY_DELIVERY_MEDIUM",
        "CODE_DELIVERY_DESTINATION",
    ]


def test_a_challenge_outcome_on_the_wire() -> None:
    outcome = AuthOutcome(
        challenge=Challenge.SELECT_CHALLENGE,
        prompt=ChallengePrompt(username="ann"),
        session="sealed",
        available=(FirstFactor.PASSWORD, FirstFactor.EMAIL_OTP),
    )
    assert outcome_out(outcome) == {
        "ChallengeName": "SELECT_CHALLENGE",
        "ChallengeParameters": {"USERNAME": "ann"},
        "Session": "sealed",
        "AvailableChallenges": ["PASSWORD", "EMAIL_OTP"],
    }
