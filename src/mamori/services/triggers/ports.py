"""What the trigger dispatcher needs of a transport (AWS Lambda, HTTP, in-process Python), and
the two ways a call can fail."""

from __future__ import annotations

from typing import Any, Protocol


class FunctionFailed(Exception):
    """The function ran and failed (raised, or answered an error): Cognito's
    UserLambdaValidationException, never retried. `message` is the function's own."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class TransportFailed(Exception):
    """The function could not be called, or its service refused the call: Cognito's
    UnexpectedLambdaException. `reason` is what follows "invocation failed due to error"
    (e.g. "TooManyRequestsException"); `retryable`: throttling, a 5xx, a dropped connection."""

    def __init__(self, reason: str, retryable: bool = False) -> None:
        self.reason = reason
        self.retryable = retryable
        super().__init__(reason)


class MalformedAnswer(Exception):
    """The function answered, but not with JSON: Cognito's InvalidLambdaResponseException."""


class TriggerTransport(Protocol):
    """Runs one function, once. The dispatcher bounds each call's time (it cancels the call)
    and decides on retries; a transport bounds nothing but the size of an answer."""

    async def call(self, target: str, event: dict[str, Any], deadline_seconds: float) -> object:
        """The function's answer, decoded from JSON (any JSON value; the dispatcher checks
        its shape). `target`: what the routing named (an ARN, a URL, `module:function`);
        `deadline_seconds`: the time this attempt has, for a function's context object.
        Raises FunctionFailed, TransportFailed or MalformedAnswer."""
        ...
