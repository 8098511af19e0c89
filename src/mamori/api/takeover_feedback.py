"""`GET /auth-events/feedback`: the one-click links of an account-takeover notification. Records
the link's feedback (Valid or Invalid) for its event and answers a small page: no script, the
hosted pages' security headers, never a 5xx for a bad link."""

from __future__ import annotations

import html

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from mamori.api.hosted_ui.headers import secure
from mamori.domain.security.auth_events import FeedbackValue
from mamori.services.security.takeover_notices import LinkOutcome, TakeoverNotices

# Generous bounds: a link of ours is far shorter; anything longer is not one.
_MAX_TOKEN = 4096
_MAX_POOL = 64

_RECORDED = {
    FeedbackValue.VALID: (
        "Thank you",
        "We have recorded that this sign-in was you.",
    ),
    FeedbackValue.INVALID: (
        "Thank you",
        "We have recorded that this sign-in was not you. Change your password now, and "
        "turn on multi-factor authentication if you can.",
    ),
}
_BAD_LINK = (
    "This link can't be used",
    "The link is not valid or has expired. Open it again from the email, exactly as it was sent.",
)


def _page(title: str, text: str, status: int) -> Response:
    body = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head>"
        f"<body><main><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></main></body>"
        "</html>\n"
    )
    return secure(HTMLResponse(body, status_code=status))


async def takeover_feedback(request: Request, notices: TakeoverNotices) -> Response:
    if request.method == "HEAD":
        # A link checker asking whether the page exists records nothing.
        return _page("Sign-in feedback", "", 200)
    params = request.query_params
    pool, value, token = params.get("pool", ""), params.get("value", ""), params.get("token", "")
    if not pool or not token or len(pool) > _MAX_POOL or len(token) > _MAX_TOKEN:
        return _page(*_BAD_LINK, 400)
    result = await notices.follow(pool, value, token)
    if result.outcome is not LinkOutcome.RECORDED or result.value is None:
        return _page(*_BAD_LINK, 400)
    return _page(*_RECORDED[result.value], 200)
