"""What a refused sign-in step says on the hosted pages (api/hosted_ui/sign_in_messages.py):
threat protection's two refusals share Cognito's one API message and are told apart by their
reason, a breached password advising a reset and a risk refusal not."""

from __future__ import annotations

import pytest

from mamori.api.hosted_ui import sign_in_messages as words
from mamori.api.hosted_ui.languages import translations
from mamori.domain.errors import BlockReason, NotAuthorizedException, UserNotFoundException
from mamori.services.security.breached import BLOCKED_SIGN_IN


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            NotAuthorizedException(BLOCKED_SIGN_IN, reason=BlockReason.COMPROMISED_CREDENTIALS),
            words.BLOCKED,
        ),
        (NotAuthorizedException(BLOCKED_SIGN_IN, reason=BlockReason.RISK), words.RISK_BLOCKED),
        # The message alone decides nothing: without a reason it is a plain refusal.
        (NotAuthorizedException(BLOCKED_SIGN_IN), words.WRONG),
        (NotAuthorizedException("Incorrect username or password."), words.WRONG),
        (UserNotFoundException(), words.WRONG),
    ],
)
def test_a_refusal_is_told_by_its_reason(error: NotAuthorizedException, expected: str) -> None:
    assert words.sign_in_message(error) == expected


def test_the_risk_refusal_advises_no_reset_and_names_no_signal() -> None:
    assert words.RISK_BLOCKED != words.BLOCKED
    text = words.RISK_BLOCKED.lower()
    assert "reset" not in text and "password" not in text
    for detail in ("risk", "level", "country", "address", "ip", "user does not"):
        assert f" {detail}" not in f" {text}", detail


def test_the_risk_refusal_is_translated() -> None:
    japanese = translations("ja").gettext(words.RISK_BLOCKED)
    assert japanese != words.RISK_BLOCKED and japanese.endswith("ください。")
