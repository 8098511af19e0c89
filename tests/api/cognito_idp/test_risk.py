"""SetRiskConfiguration / DescribeRiskConfiguration through boto3 against a live server: the
three configurations for a pool and per client (a client's replaces the pool's, a client
without one is answered with the pool's under ClientId ALL), Cognito's reset (no
configuration), templates and placeholders kept as given, validation errors, unknown pool or
client, and the configuration gone with its client and its pool."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.support.factories import make_client, make_pool
from tests.support.live import Server

ARN = "arn:aws:ses:us-east-1:111111111111:identity/no-reply@example.com"
HTML = (
    "<html><body><p>Hi {username}, a sign-in from {ip-address} in {city}, {country} at "
    "{login-time} on {device-name}.</p><a href={one-click-link-valid}>It was me</a> "
    "<a href={one-click-link-invalid}>It was not me</a> — café ✓</body></html>"
)
TEXT = "Sign-in at {login-time} from {ip-address}: {one-click-link-invalid}"

TAKEOVER: dict[str, Any] = {
    "NotifyConfiguration": {
        "From": "Example <no-reply@example.com>",
        "ReplyTo": "help@example.com",
        "SourceArn": ARN,
        "BlockEmail": {"Subject": "Blocked sign-in", "HtmlBody": HTML, "TextBody": TEXT},
        "NoActionEmail": {"Subject": "New sign-in", "TextBody": TEXT},
        "MfaEmail": {"Subject": "MFA sign-in", "HtmlBody": HTML},
    },
    "Actions": {
        "LowAction": {"Notify": False, "EventAction": "NO_ACTION"},
        "MediumAction": {"Notify": True, "EventAction": "MFA_IF_CONFIGURED"},
        "HighAction": {"Notify": True, "EventAction": "BLOCK"},
    },
}
COMPROMISED: dict[str, Any] = {
    "EventFilter": ["SIGN_IN", "PASSWORD_CHANGE"],
    "Actions": {"EventAction": "BLOCK"},
}
EXCEPTIONS: dict[str, Any] = {
    "BlockedIPRangeList": ["192.0.2.0/24", "2001:db8::/32"],
    "SkippedIPRangeList": ["10.0.0.0/8"],
}


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = exc.value.response["Error"]
    return err["Code"], err["Message"]


@pytest.fixture()
def pool(server: Server) -> dict[str, Any]:
    return make_pool(server, UserPoolAddOns={"AdvancedSecurityMode": "ENFORCED"})


def without_date(config: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in config.items() if k != "LastModifiedDate"}


def test_pool_configuration_round_trips(server: Server, pool: dict[str, Any]) -> None:
    admin, pool_id = server.admin(), pool["Id"]
    assert admin.describe_risk_configuration(UserPoolId=pool_id)["RiskConfiguration"] == {
        "UserPoolId": pool_id
    }
    answer = admin.set_risk_configuration(
        UserPoolId=pool_id,
        CompromisedCredentialsRiskConfiguration=COMPROMISED,
        AccountTakeoverRiskConfiguration=TAKEOVER,
        RiskExceptionConfiguration=EXCEPTIONS,
    )["RiskConfiguration"]
    expected = {
        "UserPoolId": pool_id,
        "CompromisedCredentialsRiskConfiguration": COMPROMISED,
        "AccountTakeoverRiskConfiguration": TAKEOVER,
        "RiskExceptionConfiguration": EXCEPTIONS,
    }
    assert without_date(answer) == expected
    assert "LastModifiedDate" in answer
    described = admin.describe_risk_configuration(UserPoolId=pool_id)["RiskConfiguration"]
    assert described == answer  # templates, placeholders and non-ASCII exactly as given


def test_event_filter_left_out_is_every_event(server: Server, pool: dict[str, Any]) -> None:
    admin, pool_id = server.admin(), pool["Id"]
    admin.set_risk_configuration(
        UserPoolId=pool_id,
        CompromisedCredentialsRiskConfiguration={"Actions": {"EventAction": "NO_ACTION"}},
    )
    described = admin.describe_risk_configuration(UserPoolId=pool_id)["RiskConfiguration"]
    assert described["CompromisedCredentialsRiskConfiguration"] == {
        "EventFilter": ["SIGN_IN", "SIGN_UP", "PASSWORD_CHANGE"],
        "Actions": {"EventAction": "NO_ACTION"},
    }
    assert "AccountTakeoverRiskConfiguration" not in described


def test_setting_replaces_the_whole_configuration(server: Server, pool: dict[str, Any]) -> None:
    admin, pool_id = server.admin(), pool["Id"]
    admin.set_risk_configuration(
        UserPoolId=pool_id,
        CompromisedCredentialsRiskConfiguration=COMPROMISED,
        RiskExceptionConfiguration=EXCEPTIONS,
    )
    admin.set_risk_configuration(UserPoolId=pool_id, AccountTakeoverRiskConfiguration=TAKEOVER)
    described = admin.describe_risk_configuration(UserPoolId=pool_id)["RiskConfiguration"]
    assert without_date(described) == {
        "UserPoolId": pool_id,
        "AccountTakeoverRiskConfiguration": TAKEOVER,
    }


def test_client_overrides_pool_and_reset_inherits(server: Server, pool: dict[str, Any]) -> None:
    admin, pool_id = server.admin(), pool["Id"]
    client_id = make_client(server, pool_id)["ClientId"]
    admin.set_risk_configuration(UserPoolId=pool_id, RiskExceptionConfiguration=EXCEPTIONS)

    # Without its own configuration a client is answered with the pool's, as ClientId ALL.
    inherited = admin.describe_risk_configuration(UserPoolId=pool_id, ClientId=client_id)
    assert without_date(inherited["RiskConfiguration"]) == {
        "UserPoolId": pool_id,
        "ClientId": "ALL",
        "RiskExceptionConfiguration": EXCEPTIONS,
    }

    own = admin.set_risk_configuration(
        UserPoolId=pool_id, ClientId=client_id, CompromisedCredentialsRiskConfiguration=COMPROMISED
    )["RiskConfiguration"]
    assert without_date(own) == {
        "UserPoolId": pool_id,
        "ClientId": client_id,
        "CompromisedCredentialsRiskConfiguration": COMPROMISED,
    }
    described = admin.describe_risk_configuration(UserPoolId=pool_id, ClientId=client_id)
    assert described["RiskConfiguration"] == own  # the pool's exceptions are not merged in
    pool_level = admin.describe_risk_configuration(UserPoolId=pool_id)["RiskConfiguration"]
    assert pool_level["RiskExceptionConfiguration"] == EXCEPTIONS

    # Cognito: UserPoolId and ClientId alone reset the client to inherit the pool's.
    reset = admin.set_risk_configuration(UserPoolId=pool_id, ClientId=client_id)
    assert reset["RiskConfiguration"]["UserPoolId"] == pool_id
    again = admin.describe_risk_configuration(UserPoolId=pool_id, ClientId=client_id)
    assert again["RiskConfiguration"]["ClientId"] == "ALL"
    assert again["RiskConfiguration"]["RiskExceptionConfiguration"] == EXCEPTIONS

    # UserPoolId alone resets the pool to the defaults.
    admin.set_risk_configuration(UserPoolId=pool_id)
    assert admin.describe_risk_configuration(UserPoolId=pool_id)["RiskConfiguration"] == {
        "UserPoolId": pool_id
    }


def test_client_id_all_is_the_pool(server: Server, pool: dict[str, Any]) -> None:
    admin, pool_id = server.admin(), pool["Id"]
    admin.set_risk_configuration(
        UserPoolId=pool_id, ClientId="ALL", RiskExceptionConfiguration=EXCEPTIONS
    )
    described = admin.describe_risk_configuration(UserPoolId=pool_id)["RiskConfiguration"]
    assert described["RiskExceptionConfiguration"] == EXCEPTIONS


@pytest.mark.parametrize(
    ("configuration", "message"),
    [
        (
            {"RiskExceptionConfiguration": {"BlockedIPRangeList": ["10.0.0.0/33"]}},
            "BlockedIPRangeList has an invalid IP range '10.0.0.0/33'",
        ),
        (
            {"RiskExceptionConfiguration": {"SkippedIPRangeList": ["example.com"]}},
            "SkippedIPRangeList has an invalid IP range 'example.com'",
        ),
        (
            {
                "AccountTakeoverRiskConfiguration": {
                    "Actions": {"HighAction": {"Notify": True, "EventAction": "BLOCK"}}
                }
            },
            "NotifyConfiguration is required",
        ),
        (
            {
                "AccountTakeoverRiskConfiguration": {
                    "NotifyConfiguration": {"SourceArn": ARN, "From": "not-an-address"},
                    "Actions": {},
                }
            },
            "NotifyConfiguration.From must be an email address",
        ),
    ],
)
def test_invalid_configurations_are_refused(
    server: Server, pool: dict[str, Any], configuration: dict[str, Any], message: str
) -> None:
    admin, pool_id = server.admin(), pool["Id"]
    with pytest.raises(ClientError) as exc:
        admin.set_risk_configuration(UserPoolId=pool_id, **configuration)
    code, text = error(exc)
    assert code == "InvalidParameterException"
    assert message in text
    assert admin.describe_risk_configuration(UserPoolId=pool_id)["RiskConfiguration"] == {
        "UserPoolId": pool_id
    }


def test_more_than_200_ranges_break_the_model(server: Server, pool: dict[str, Any]) -> None:
    ranges = [f"10.0.{n // 256}.{n % 256}/32" for n in range(201)]
    with pytest.raises(ClientError) as exc:
        server.admin().set_risk_configuration(
            UserPoolId=pool["Id"], RiskExceptionConfiguration={"BlockedIPRangeList": ranges}
        )
    assert error(exc)[0] == "InvalidParameterException"


def test_unknown_pool_and_client(server: Server, pool: dict[str, Any]) -> None:
    admin = server.admin()
    for call in (admin.set_risk_configuration, admin.describe_risk_configuration):
        with pytest.raises(ClientError) as exc:
            call(UserPoolId="us-east-1_nothere1")
        assert error(exc)[0] == "ResourceNotFoundException"
        with pytest.raises(ClientError) as exc:
            call(UserPoolId=pool["Id"], ClientId="nosuchclient123")
        assert error(exc)[0] == "ResourceNotFoundException"


def test_mode_off_still_takes_a_configuration(server: Server) -> None:
    # Cognito accepts a risk configuration on a pool without add-ons (OFF); it applies once
    # AdvancedSecurityMode is AUDIT or ENFORCED.
    admin, pool_id = server.admin(), make_pool(server)["Id"]
    admin.set_risk_configuration(UserPoolId=pool_id, RiskExceptionConfiguration=EXCEPTIONS)
    described = admin.describe_risk_configuration(UserPoolId=pool_id)["RiskConfiguration"]
    assert described["RiskExceptionConfiguration"] == EXCEPTIONS


def test_gone_with_its_client_and_its_pool(server: Server, pool: dict[str, Any]) -> None:
    admin, pool_id = server.admin(), pool["Id"]
    client_id = make_client(server, pool_id)["ClientId"]
    admin.set_risk_configuration(
        UserPoolId=pool_id, ClientId=client_id, RiskExceptionConfiguration=EXCEPTIONS
    )
    admin.delete_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    with pytest.raises(ClientError) as exc:
        admin.describe_risk_configuration(UserPoolId=pool_id, ClientId=client_id)
    assert error(exc)[0] == "ResourceNotFoundException"
    admin.delete_user_pool(UserPoolId=pool_id)
    with pytest.raises(ClientError) as exc:
        admin.describe_risk_configuration(UserPoolId=pool_id)
    assert error(exc)[0] == "ResourceNotFoundException"
