"""TakeoverNotices with an in-memory auth-event log and a sender that keeps what it is given:
the placeholders (escaped in HTML, one line in the subject, Unknown when missing, never expanded
twice), the template the action picks, who gets nothing, and the one-click links (bound to their
event and value, idempotent, anything altered a bad link)."""

from __future__ import annotations

import urllib.parse
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from tests.support.entities import user_value
from tests.unit.services.security.test_auth_events import setup

from mamori.crypto.aead import Keyring
from mamori.domain.security.auth_events import (
    AuthEvent,
    EventContext,
    EventResponse,
    EventType,
    FeedbackProvider,
    FeedbackValue,
    RequestContext,
)
from mamori.domain.security.risk_config import (
    AccountTakeover,
    NotifyConfiguration,
    NotifyEmail,
    RiskLevel,
    TakeoverAction,
    TakeoverEventAction,
)
from mamori.domain.userpools.settings import UserPoolAddOns
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.user import User
from mamori.services.ports import Message
from mamori.services.security.auth_events import AuthEventLog
from mamori.services.security.takeover_notices import (
    KIND,
    LINK_PATH,
    UNKNOWN,
    LinkOutcome,
    TakeoverNotices,
    login_time,
    placeholder_values,
    render,
    substitute,
)

pytestmark = pytest.mark.anyio
ARN = "arn:aws:ses:us-east-1:123456789012:identity/example.com"
VALUES = {
    "username": "alice",
    "ip-address": "192.0.2.7",
    "city": "Lyon",
    "country": "FR",
    "login-time": "2030-01-01 12:00:00 UTC",
    "device-name": "Chrome 120, Windows 10",
    "one-click-link-valid": "https://id.example/auth-events/feedback?a=1&value=valid",
    "one-click-link-invalid": "https://id.example/auth-events/feedback?a=1&value=invalid",
}


@pytest.fixture()
def anyio_backend() -> str:
    return "asyncio"


class Kept:
    def __init__(self, fail: bool = False) -> None:
        self.messages: list[Message] = []
        self.fail = fail

    async def send(self, message: Message) -> None:
        if self.fail:
            raise OSError("relay down")
        self.messages.append(message)


def takeover(**templates: NotifyEmail) -> AccountTakeover:
    notify = NotifyConfiguration(
        ARN,
        from_address="Security <security@example.com>",
        reply_to="help@example.com",
        **templates,
    )
    return AccountTakeover(
        notify=notify,
        low=TakeoverAction(notify=False, action=TakeoverEventAction.NO_ACTION),
        medium=TakeoverAction(notify=True, action=TakeoverEventAction.MFA_IF_CONFIGURED),
        high=TakeoverAction(notify=True, action=TakeoverEventAction.BLOCK),
    )


# --- rendering (pure)
def test_every_placeholder_is_replaced_and_html_values_are_escaped() -> None:
    hostile = {**VALUES, "username": '<b>"eve"</b>&co', "city": "<script>x</script>"}
    template = NotifyEmail(
        "Sign-in by {username}",
        html_body="<p>{username} from {city}, {country} at {login-time} ({device-name}, "
        '{ip-address})</p><a href="{one-click-link-valid}">yes</a>'
        '<a href="{one-click-link-invalid}">no</a>',
        text_body="{username} {city} {one-click-link-valid}",
    )
    out = render(template, hostile)
    assert out.html is not None
    assert "&lt;b&gt;&quot;eve&quot;&lt;/b&gt;&amp;co" in out.html
    assert "&lt;script&gt;" in out.html and "<script>" not in out.html
    # A link's & is &amp; inside the attribute: what a browser reads back as the URL.
    assert 'href="https://id.example/auth-events/feedback?a=1&amp;value=valid"' in out.html
    assert "{" not in out.html
    # The text part is text: values as they are.
    assert out.text == '<b>"eve"</b>&co <script>x</script> ' + VALUES["one-click-link-valid"]
    assert out.subject == 'Sign-in by <b>"eve"</b>&co'


def test_a_value_that_looks_like_a_placeholder_is_not_expanded() -> None:
    values = {**VALUES, "username": "{one-click-link-invalid}"}
    assert substitute("{username} / {city}", values) == "{one-click-link-invalid} / Lyon"


def test_the_subject_stays_one_line() -> None:
    values = {**VALUES, "device-name": "evil\r\nBcc: all@example.com"}
    assert render(NotifyEmail("New sign-in: {device-name}"), values).subject == (
        "New sign-in: evil Bcc: all@example.com"
    )


def test_an_html_only_template_gets_a_text_part_and_a_subject_only_one_gets_the_subject() -> None:
    out = render(NotifyEmail("S", html_body="<p>Hi {username} &amp; co</p><br>{city}"), VALUES)
    assert out.text == "Hi alice & co\n\nLyon"
    bare = render(NotifyEmail("Only {username}"), VALUES)
    assert (bare.text, bare.html) == ("Only alice", None)


def test_login_time_uses_the_place_time_zone_when_known() -> None:
    at = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    assert login_time(at, None) == "2030-01-01 12:00:00 UTC"
    assert login_time(at, "Europe/Paris") == "2030-01-01 13:00:00 CET"
    assert login_time(at, "Not/AZone") == "2030-01-01 12:00:00 UTC"


# --- notify
async def _event(
    log: AuthEventLog, pool: UserPool, user: User, context: RequestContext
) -> AuthEvent:
    event = await log.record(pool, user.sub, EventType.SIGN_IN, EventResponse.PASS, context)
    assert event is not None
    return event


async def test_notify_sends_the_template_of_the_action_taken_with_from_and_reply_to() -> None:
    log, _memory, pool, user, clock = setup("ENFORCED")
    user = replace(user, attributes={**user.attributes, "email": "alice@example.com"})
    event = await _event(log, pool, user, RequestContext("198.51.100.9", "curl/8"))
    kept = Kept()
    notices = TakeoverNotices(kept, log, Keyring(b"k" * 32), clock, "https://id.example/")
    config = takeover(
        block_email=NotifyEmail("Blocked {username}", text_body="Blocked at {ip-address}, {city}"),
        mfa_email=NotifyEmail("MFA {username}", html_body="<p>{device-name}</p>"),
    )
    assert await notices.notify(pool, user, event, RiskLevel.HIGH, config)
    [message] = kept.messages
    assert (message.destination, message.kind, message.channel) == (
        "alice@example.com",
        KIND,
        "EMAIL",
    )
    assert message.subject == f"Blocked {user.username}"
    assert message.body == f"Blocked at 198.51.100.9, {UNKNOWN}"
    assert message.sender == "Security <security@example.com>"
    assert message.reply_to == "help@example.com"
    # Medium notifies with the MFA template; the action taken may be given (no MFA: none).
    assert await notices.notify(pool, user, event, RiskLevel.MEDIUM, config)
    assert kept.messages[-1].subject == f"MFA {user.username}"
    assert kept.messages[-1].html == "<p>Other, Other</p>"
    assert await notices.notify(
        pool, user, event, RiskLevel.MEDIUM, config, TakeoverEventAction.NO_ACTION
    )
    # No NoActionEmail: the default text, with both links in it.
    default = kept.messages[-1]
    assert default.subject == "New sign-in to your account"
    assert default.body.count("https://id.example" + LINK_PATH) == 2


async def test_who_gets_nothing() -> None:
    log, _memory, pool, user, clock = setup("ENFORCED")
    no_email = replace(user, attributes={k: v for k, v in user.attributes.items() if k != "email"})
    event = await _event(log, pool, user, RequestContext())
    kept = Kept()
    notices = TakeoverNotices(kept, log, Keyring(b"k" * 32), clock, "https://id.example")
    config = takeover()
    assert not await notices.notify(pool, no_email, event, RiskLevel.HIGH, config)
    with_email = user_value(pool, email="bob@example.com")
    # Low does not notify; a configuration without NotifyConfiguration can't.
    assert not await notices.notify(pool, with_email, event, RiskLevel.LOW, config)
    bare = AccountTakeover(high=TakeoverAction(notify=True, action=TakeoverEventAction.BLOCK))
    assert not await notices.notify(pool, with_email, event, RiskLevel.HIGH, bare)
    assert kept.messages == []
    # A sender that fails: logged, not raised, not sent.
    failing = TakeoverNotices(Kept(fail=True), log, Keyring(b"k" * 32), clock, "https://x")
    assert not await failing.notify(pool, with_email, event, RiskLevel.HIGH, config)


# --- the links
def _query(link: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(link).query))


async def test_a_link_records_its_value_once_and_cannot_be_flipped_or_moved() -> None:
    log, memory, pool, user, clock = setup("ENFORCED")
    event = await _event(log, pool, user, RequestContext("192.0.2.1"))
    other = await _event(log, pool, user, RequestContext("192.0.2.2"))
    notices = TakeoverNotices(Kept(), log, Keyring(b"k" * 32), clock, "https://id.example")
    valid = _query(notices.link(event, FeedbackValue.VALID))
    assert valid["pool"] == pool.id and valid["value"] == "valid"

    # Flipped: the value in the URL is not the one sealed in.
    flipped = await notices.follow(pool.id, "invalid", valid["token"])
    assert flipped.outcome is LinkOutcome.BAD_LINK
    assert memory.events[(pool.id, event.id)].feedback is None

    first = await notices.follow(pool.id, "valid", valid["token"])
    assert (first.outcome, first.value) == (LinkOutcome.RECORDED, FeedbackValue.VALID)
    recorded = memory.events[(pool.id, event.id)].feedback
    assert recorded is not None and recorded.provider is FeedbackProvider.USER
    clock.advance(minutes=5)
    again = await notices.follow(pool.id, "VALID", valid["token"])
    assert again.outcome is LinkOutcome.RECORDED
    assert memory.events[(pool.id, event.id)].feedback == recorded  # not rewritten
    assert memory.events[(pool.id, other.id)].feedback is None

    # The other link of the same email changes the answer, as Cognito's feedback does.
    invalid = _query(notices.link(event, FeedbackValue.INVALID))
    assert (await notices.follow(pool.id, "invalid", invalid["token"])).value is (
        FeedbackValue.INVALID
    )

    for pool_id, token in (
        ("eu-west-1_Other", valid["token"]),  # sealed for another pool
        (pool.id, valid["token"][:-4] + "AAAA"),  # altered
        (pool.id, "v1.x.garbage"),
        (pool.id, ""),
    ):
        assert (await notices.follow(pool_id, "valid", token)).outcome is LinkOutcome.BAD_LINK

    # Expired with the event's retention (the feedback token's lifetime).
    clock.advance(days=91)
    late = await notices.follow(pool.id, "valid", valid["token"])
    assert late.outcome is LinkOutcome.BAD_LINK


async def test_a_link_for_a_pool_whose_threat_protection_is_now_off_is_a_bad_link() -> None:
    log, memory, pool, user, clock = setup("ENFORCED")
    event = await _event(log, pool, user, RequestContext())
    notices = TakeoverNotices(Kept(), log, Keyring(b"k" * 32), clock, "https://id.example")
    token = _query(notices.link(event, FeedbackValue.VALID))["token"]
    memory.pools[pool.id] = replace(pool, add_ons=UserPoolAddOns(advanced_security_mode="OFF"))
    assert (await notices.follow(pool.id, "valid", token)).outcome is LinkOutcome.BAD_LINK


def test_an_event_context_reaches_the_values() -> None:
    _log, _memory, pool, user, _clock = setup()
    event = AuthEvent(
        "e1",
        pool.id,
        user.sub,
        EventType.SIGN_IN,
        datetime(2030, 1, 1, tzinfo=UTC),
        EventResponse.PASS,
        context=EventContext(ip="192.0.2.1", device_name="Firefox 120, Linux", city="Lyon"),
    )
    values = placeholder_values(user, event, "V", "I")
    assert values["city"] == "Lyon" and values["country"] == UNKNOWN
    assert values["device-name"] == "Firefox 120, Linux"
    assert (values["one-click-link-valid"], values["one-click-link-invalid"]) == ("V", "I")
