"""A local stand-in for AWS Lambda's Invoke API (`POST /2015-03-31/functions/<name or
ARN>/invocations`, RequestResponse), running Python handlers in this process: what mamori's
Lambda transport (and boto3's lambda client) talk to in tests, since moto runs functions only
in docker.

As Lambda answers: 200 with the handler's return value as JSON; a handler that raises gives
200 with `X-Amz-Function-Error: Unhandled` and {"errorMessage", "errorType", "stackTrace"}; an
unknown function 404 ResourceNotFoundException; a request not SigV4-signed for `lambda` with
the right secret (SECRET, or `secrets`' for its key id) 403 with AWS's error code.
`fail(name, status, error, times)` makes the next calls of a function answer an error
(throttling, a 5xx), `delay` holds every answer.
"""

from __future__ import annotations

import json
import re
import threading
import time
import traceback
import urllib.parse
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from mamori.protocols import sigv4

Handler = Callable[[Any, Any], Any]
SECRET = "stand-in-secret"  # a test credential: the stand-in checks no signature
_PATH = re.compile(r"/2015-03-31/functions/([^/]+)/invocations")
_CREDENTIAL = re.compile(r"Credential=([^/]+)/\d{8}/([^/]+)/lambda/aws4_request")


@dataclass
class Invocation:
    function: str  # the function's name, from a name or an ARN
    function_name: str  # FunctionName as the caller sent it
    access_key_id: str
    region: str
    headers: dict[str, str]
    event: Any
    answered: int  # the HTTP status answered


@dataclass
class _Failure:
    status: int
    error: str
    times: int


class Context:
    """A Lambda handler's context, as far as handlers read it."""

    def __init__(self, name: str, arn: str, seconds: float = 5.0) -> None:
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = arn
        self.memory_limit_in_mb = 128
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = "stand-in"
        self._deadline = time.monotonic() + seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class LambdaStandIn:
    """Serves `handlers` (function name -> handler(event, context)) on 127.0.0.1."""

    handlers: Mapping[str, Handler]
    delay: float = 0.0
    # Secret access keys by key id, for checking signatures; any other key's is SECRET.
    secrets: Mapping[str, str] = field(default_factory=dict)
    invocations: list[Invocation] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._failures: dict[str, _Failure] = {}
        self.closed = False
        self._lock = threading.Lock()
        stand_in = self

        class Server(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                stand_in._serve(self)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Server)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        # A request still in flight (held by `delay`) must not run a function afterwards: it
        # would record into the next test's files.
        self.closed = True
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> LambdaStandIn:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fail(self, function: str, status: int, error: str, times: int = 1) -> None:
        """The next `times` calls of `function` answer HTTP `status` with error `error`."""
        with self._lock:
            self._failures[function] = _Failure(status, error, times)

    def calls(self, function: str | None = None) -> list[Invocation]:
        with self._lock:
            return [i for i in self.invocations if function is None or i.function == function]

    def env(self, access_key_id: str = "AKIDSTANDIN", secret: str = SECRET) -> dict[str, str]:
        """Server settings that send Lambda calls here, signed with these credentials."""
        return {
            "MAMORI_LAMBDA_ENDPOINT": self.url,
            "MAMORI_LAMBDA_ACCESS_KEY_ID": access_key_id,
            "MAMORI_LAMBDA_SECRET_ACCESS_KEY": secret,
        }

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("content-length", "0"))
        body = request.rfile.read(length)
        match = _PATH.fullmatch(urllib.parse.urlsplit(request.path).path)
        if not match:
            return self._answer(request, 404, {"message": "not an Invoke path"}, "UnknownOperation")
        function_name = urllib.parse.unquote(match.group(1))
        name = function_name
        arn = function_name
        if function_name.startswith("arn:"):
            # arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
            name = function_name.split(":")[6]
        else:
            arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
        credential = _CREDENTIAL.search(request.headers.get("authorization", ""))
        try:
            event = json.loads(body) if body else None
        except ValueError:
            event = None
        record = Invocation(
            name,
            function_name,
            credential.group(1) if credential else "",
            credential.group(2) if credential else "",
            {k.lower(): v for k, v in request.headers.items()},
            event,
            0,
        )
        with self._lock:
            self.invocations.append(record)
            failure = self._failures.get(name)
            if failure is not None:
                failure.times -= 1
                if failure.times <= 0:
                    del self._failures[name]
        if self.delay:
            time.sleep(self.delay)
        if self.closed:
            return None
        try:
            # mamori's own SigV4 verifier, as AWS checks: a signature made wrongly is refused.
            sigv4.verify(
                sigv4.SignedRequest(
                    "POST",
                    urllib.parse.urlsplit(request.path).path,
                    urllib.parse.urlsplit(request.path).query,
                    record.headers,
                    body,
                ),
                lambda key: self.secrets.get(key, SECRET),
                datetime.now(UTC),
                service="lambda",
            )
        except sigv4.SignatureError as refused:
            record.answered = 403
            return self._answer(request, 403, {"message": refused.message}, refused.code)
        if failure is not None:
            record.answered = failure.status
            return self._answer(request, failure.status, {"message": failure.error}, failure.error)
        handler = self.handlers.get(name)
        if handler is None:
            record.answered = 404
            message = f"Function not found: {arn}"
            return self._answer(request, 404, {"Message": message}, "ResourceNotFoundException")
        record.answered = 200
        try:
            result = handler(json.loads(body), Context(name, arn))  # its own copy
        except Exception as exc:
            error = {
                "errorMessage": str(exc),
                "errorType": type(exc).__name__,
                "requestId": str(uuid.uuid4()),
                "stackTrace": traceback.format_tb(exc.__traceback__),
            }
            return self._answer(request, 200, error, function_error="Unhandled")
        return self._answer(request, 200, result)

    @staticmethod
    def _answer(
        request: BaseHTTPRequestHandler,
        status: int,
        payload: Any,
        error_type: str = "",
        function_error: str = "",
    ) -> None:
        data = json.dumps(payload).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.send_header("X-Amz-Executed-Version", "$LATEST")
        request.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        if error_type:
            request.send_header("x-amzn-ErrorType", f"{error_type}:http://internal.amazon.com/")
        if function_error:
            request.send_header("X-Amz-Function-Error", function_error)
        request.end_headers()
        request.wfile.write(data)
