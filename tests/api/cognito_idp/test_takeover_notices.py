"""An account-takeover notice end to end: a live mamori with a real sign-in event and a risk
configuration set with boto3; TakeoverNotices.notify called through the real services (on the
same database and master key, sending over SMTP to a local aiosmtpd); the email's one-click link
followed with httpx records the feedback, which AdminListUserAuthEvents shows. SQLite and
PostgreSQL."""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from tests.adapters.delivery.test_smtp import Smtp
from tests.support.cognito import unique
from tests.support.factories import make_client, make_pool, make_user, sign_in
from tests.support.inprocess import FrozenClock, services_on
from tests.support.live import Server, run_server

from mamori.domain.security.risk_config import RiskLevel
from mamori.services.security.takeover_notices import LINK_PATH

pytestmark = pytest.mark.anyio
ARN = "arn:aws:ses:us-east-1:123456789012:identity/example.com"
KEY = base64.b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture()
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def smtp() -> Iterator[Smtp]:
    server = Smtp()
    server.start()
    yield server
    server.stop()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    tmp: Path = tmp_path_factory.mktemp(f"notices-{request.param}")
    with run_server(tmp, request.param, extra_env={"MAMORI_MASTER_KEY": KEY}) as server:
        yield server


def _parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())  # type: ignore[attr-defined]


async def test_a_notice_over_smtp_and_its_link_record_feedback(
    live: Server, smtp: Smtp, tmp_path: Path
) -> None:
    admin = live.admin()
    pool_id = make_pool(live, UserPoolAddOns={"AdvancedSecurityMode": "ENFORCED"})["Id"]
    client_id = make_client(live, pool_id)["ClientId"]
    username = unique()
    address = f"{username}@example.com"
    make_user(live, pool_id, username)
    sign_in(live, client_id, username)
    admin.set_risk_configuration(
        UserPoolId=pool_id,
        AccountTakeoverRiskConfiguration={
            "NotifyConfiguration": {
                "SourceArn": ARN,
                "From": "Security <security@example.com>",
                "ReplyTo": "help@example.com",
                "BlockEmail": {
                    "Subject": "Blocked sign-in for {username}",
                    "HtmlBody": '<p>{username}: {device-name} at {ip-address}</p><a href="'
                    '{one-click-link-valid}">me</a> <a href="{one-click-link-invalid}">not me</a>',
                    "TextBody": "{username} at {login-time}. Me: {one-click-link-valid} "
                    "Not me: {one-click-link-invalid}",
                },
            },
            "Actions": {"HighAction": {"Notify": True, "EventAction": "BLOCK"}},
        },
    )

    clock = FrozenClock(datetime.now(UTC))
    settings: dict[str, str | int] = {
        "master_key": KEY,
        "email_sender": "smtp",
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp.port,
        "smtp_from": "mamori@mamori.test",
        "public_url": live.url,
    }
    async with services_on(live.database_url, tmp_path, clock, **settings) as s:
        pool = await s.pools.require(pool_id)
        user = await s.users.require(pool, username)
        events = await s.auth_events.admin_list_user_auth_events(pool_id, username, None, None)
        event = events.items[0]
        risk = await s.risk_config.effective(pool_id, client_id)
        takeover = risk.configuration.takeover
        assert takeover is not None
        assert await s.takeover_notices.notify(pool, user, event, RiskLevel.HIGH, takeover)

    [message] = smtp.inbox.to(address)
    assert message["Subject"] == f"Blocked sign-in for {username}"
    assert message["From"] == "Security <security@example.com>"
    assert message["Reply-To"] == "help@example.com"
    text, html = _parts(message)
    assert f"<p>{username}: Other, Other at 127.0.0.1</p>" in html
    links = re.findall(re.escape(live.url + LINK_PATH) + r"\?\S+", text)
    assert len(links) == 2
    valid, invalid = links
    assert "value=valid" in valid and "value=invalid" in invalid
    assert valid.replace("&", "&amp;") in html

    flipped = httpx.get(invalid.replace("value=invalid", "value=valid"))
    assert flipped.status_code == 400
    assert "not valid or has expired" in flipped.text
    assert (
        admin.admin_list_user_auth_events(UserPoolId=pool_id, Username=username)["AuthEvents"][
            0
        ].get("EventFeedback")
        is None
    )

    answer = httpx.get(invalid)
    assert answer.status_code == 200
    assert "this sign-in was not you" in answer.text
    assert "<script" not in answer.text
    assert answer.headers["content-security-policy"].startswith("default-src 'none'")
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["cache-control"] == "no-store"

    [listed] = admin.admin_list_user_auth_events(UserPoolId=pool_id, Username=username)[
        "AuthEvents"
    ]
    feedback = listed["EventFeedback"]
    assert (listed["EventId"], feedback["FeedbackValue"], feedback["Provider"]) == (
        event.id,
        "Invalid",
        "User",
    )
    # Followed again (a second click, a mail scanner): the same page, nothing rewritten.
    assert httpx.get(invalid).status_code == 200
    [again] = admin.admin_list_user_auth_events(UserPoolId=pool_id, Username=username)["AuthEvents"]
    assert again["EventFeedback"] == feedback

    for bad in (
        live.url + LINK_PATH,
        live.url + LINK_PATH + "?pool=x&value=valid&token=v1.k.AAAA",
        invalid[:-6],
    ):
        page = httpx.get(bad)
        assert page.status_code == 400, bad
        assert "not valid or has expired" in page.text
