"""The trigger dispatcher: finds the function a pool names for a trigger, calls it through its
transport within Cognito's time limit and retries, and turns failures into Cognito's errors."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mamori.domain.errors import (
    InvalidLambdaResponseException,
    UnexpectedLambdaException,
    UserLambdaValidationException,
)
from mamori.domain.triggers import ANSWER_IGNORED, TriggerName, function_arn, function_version
from mamori.domain.userpools.user_pool import UserPool
from mamori.services.triggers.ports import (
    FunctionFailed,
    MalformedAnswer,
    TransportFailed,
    TriggerTransport,
)

log = logging.getLogger("mamori.triggers")

# Cognito: a function must answer within 5 seconds; a call that can be retried (a timeout,
# throttling, a 5xx from Lambda) is tried three times in all.
TIMEOUT_SECONDS = 5.0
ATTEMPTS = 3
# What Cognito's UnexpectedLambdaException says after "invocation failed due to error".
TIMEOUT_REASON = "Socket timeout while invoking Lambda function"


@dataclass(frozen=True)
class Route:
    """Where a function runs: a transport and what it calls (URL, `module:function`, ARN)."""

    transport: TriggerTransport
    target: str
    kind: str  # lambda | http | python, for logs


class Triggers:
    """Calls the functions pools name in LambdaConfig. `routes` maps ARNs to HTTP or Python
    targets (the `trigger_targets` setting); any other ARN goes to `lambda_transport`."""

    def __init__(
        self,
        routes: Mapping[str, Route] | None = None,
        lambda_transport: TriggerTransport | None = None,
        timeout_seconds: float = TIMEOUT_SECONDS,
        attempts: int = ATTEMPTS,
    ) -> None:
        self._routes = dict(routes or {})
        self._lambda = lambda_transport
        self._timeout = timeout_seconds
        self._attempts = max(1, attempts)

    def function_for(self, pool: UserPool, name: TriggerName) -> str | None:
        """The ARN of the pool's function for `name`; None when it has none."""
        return function_arn(pool.lambda_config, name)

    def version_of(self, pool: UserPool, name: TriggerName) -> str:
        """The event version the pool asks for (V1_0, V2_0, V3_0; V1_0 for unversioned)."""
        return function_version(pool.lambda_config, name)

    def route_for(self, arn: str) -> Route | None:
        route = self._routes.get(arn)
        if route is None and self._lambda is not None:
            route = Route(self._lambda, arn, "lambda")
        return route

    async def invoke(
        self, pool: UserPool, name: TriggerName, event: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The event as the pool's function for `name` answered it; None when the pool has no
        function for `name`. Raises UserLambdaValidationException (the function failed),
        InvalidLambdaResponseException (it answered something else than its event) or
        UnexpectedLambdaException (it could not be called or did not answer in time)."""
        arn = self.function_for(pool, name)
        if arn is None:
            return None
        route = self.route_for(arn)
        if route is None:
            log.warning("%s of pool %s: no transport for %s", name, pool.id, arn)
            raise UnexpectedLambdaException(
                f"{name} invocation failed due to error ResourceNotFoundException."
            )
        answer = await self._call(pool, name, route, event)
        if name in ANSWER_IGNORED:
            return answer if isinstance(answer, dict) else event
        if not isinstance(answer, dict) or not isinstance(answer.get("response"), dict):
            log.warning("%s of pool %s (%s): not an event in answer", name, pool.id, route.kind)
            raise InvalidLambdaResponseException()
        return answer

    async def _call(
        self, pool: UserPool, name: TriggerName, route: Route, event: dict[str, Any]
    ) -> object:
        reason = TIMEOUT_REASON
        for attempt in range(1, self._attempts + 1):
            try:
                async with asyncio.timeout(self._timeout):
                    return await route.transport.call(route.target, event, self._timeout)
            except FunctionFailed as exc:
                # The function's message goes back to the caller, as Cognito sends it; the event
                # (passwords in UserMigration, codes) is never logged.
                raise UserLambdaValidationException(
                    f"{name} failed with error {exc.message}."
                ) from None
            except MalformedAnswer:
                log.warning("%s of pool %s (%s): answer not JSON", name, pool.id, route.kind)
                raise InvalidLambdaResponseException() from None
            except TransportFailed as exc:
                reason = exc.reason
                retry = exc.retryable
            except TimeoutError:
                reason, retry = TIMEOUT_REASON, True
            log.warning(
                "%s of pool %s (%s), attempt %d of %d: %s",
                name,
                pool.id,
                route.kind,
                attempt,
                self._attempts,
                reason,
            )
            if not retry:
                break
        raise UnexpectedLambdaException(f"{name} invocation failed due to error {reason}.")
