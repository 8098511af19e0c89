"""Flask glue: `require_token(verifier, scopes=..., groups=...)` decorates a view so that it runs
only with a good bearer token, the claims in `flask.g.claims`; refusals are RFC 6750's 401 /
403 with a JSON body. Needs Flask; `mamori.verify` alone does not."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

import flask

from mamori.verify.errors import TokenError
from mamori.verify.verifier import Verifier, as_names

View = TypeVar("View", bound=Callable[..., Any])


def _bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _refusal(error: TokenError | None, scopes: Sequence[str]) -> flask.Response:
    if error is None:
        response = flask.jsonify(
            error="invalid_request", error_description="a bearer token is required"
        )
        response.status_code = 401
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    response = flask.jsonify(error=error.error, error_description=str(error))
    response.status_code = error.status_code
    challenge = f'Bearer error="{error.error}"'
    if error.status_code == 403 and scopes:
        challenge += f', scope="{" ".join(scopes)}"'
    response.headers["WWW-Authenticate"] = challenge
    return response


def require_token(
    verifier: Verifier, *, scopes: Sequence[str] = (), groups: Sequence[str] = ()
) -> Callable[[View], View]:
    """`@require_token(verifier, scopes=["orders/read"])` above a view (below `@app.route`).
    Uses the blocking `Verifier.verify`: the JWKS is fetched on the request thread the first
    time, then held in memory for every later request."""
    wanted_scopes, wanted_groups = as_names(scopes), as_names(groups)

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            token = _bearer(flask.request.headers.get("Authorization"))
            if token is None:
                return _refusal(None, wanted_scopes)
            try:
                claims = verifier.verify(token, scopes=wanted_scopes, groups=wanted_groups)
            except TokenError as exc:
                return _refusal(exc, wanted_scopes)
            flask.g.claims = claims
            return view(*args, **kwargs)

        return cast(View, guarded)

    return decorate
