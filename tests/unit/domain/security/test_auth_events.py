"""The auth-event log's pure rules: DeviceName from a User-Agent, a sign-in's steps, the end
user's address a propagating client claims."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mamori.domain.ids import PoolId, UserSub
from mamori.domain.security.auth_events import (
    NO_RISK,
    AuthEvent,
    ChallengeStep,
    EventResponse,
    EventType,
    RequestContext,
    StepName,
    StepResult,
    device_name,
    with_step,
)


@pytest.mark.parametrize(
    ("user_agent", "expected"),
    [
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Safari/537.36",
            "Chrome 120, Windows 10",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
            "Edge 120, Windows 10",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.1 Safari/605.1.15",
            "Safari 17, Mac OS X",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
            "Safari 17, iOS",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
            "Firefox 121, Linux",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.6099.144 Mobile Safari/537.36",
            "Chrome 120, Android",
        ),
        ("Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.1 lang/python#3.11", "Other, Other"),
        ("x" * 100_000, "Other, Other"),
        ("", None),
        (None, None),
    ],
)
def test_device_name(user_agent: str | None, expected: str | None) -> None:
    assert device_name(user_agent) == expected


def test_a_sign_in_step_appends_and_sets_the_response() -> None:
    event = AuthEvent(
        "e1",
        PoolId("p"),
        UserSub("s"),
        EventType.SIGN_IN,
        datetime(2030, 1, 1, tzinfo=UTC),
        EventResponse.IN_PROGRESS,
        steps=(ChallengeStep(StepName.PASSWORD, StepResult.SUCCESS),),
    )
    done = with_step(event, ChallengeStep(StepName.MFA, StepResult.SUCCESS), EventResponse.PASS)
    assert done.steps == (
        ChallengeStep(StepName.PASSWORD, StepResult.SUCCESS),
        ChallengeStep(StepName.MFA, StepResult.SUCCESS),
    )
    assert done.response is EventResponse.PASS and done.risk == NO_RISK
    assert event.response is EventResponse.IN_PROGRESS  # frozen: a new value


@pytest.mark.parametrize(
    ("claimed", "address"),
    [
        ("198.51.100.23", "198.51.100.23"),
        (" 2001:DB8::7 ", "2001:db8::7"),
        ("198.51.100.0/24", "127.0.0.1"),  # not an address: the connection's stands
        ("", "127.0.0.1"),
        (None, "127.0.0.1"),
    ],
)
def test_a_propagated_context_takes_the_claimed_address(claimed: str | None, address: str) -> None:
    context = RequestContext(ip="127.0.0.1", user_agent="ua", encoded_data="e", claimed_ip=claimed)
    propagated = context.propagated()
    assert propagated.ip == address
    assert (propagated.user_agent, propagated.encoded_data) == ("ua", "e")
