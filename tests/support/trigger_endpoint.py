"""A local HTTP trigger endpoint, as a team would write one: `POST /<function>` runs that
function of tests/support/trigger_functions.py on the event and answers the event back; a
function that raises is answered 400 {"errorMessage": ...}. It checks each request's Standard
Webhooks signature against the secret and keeps every request. `refuse` answers the next
requests with given statuses first (throttling, 5xx); `delay` holds every answer; `raw`
answers bytes of the test's choosing instead."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import ssl
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support import trigger_functions

SECRET = "a-long-enough-trigger-secret"


def signature_ok(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The Standard Webhooks check a receiver makes (id, timestamp, body under the secret)."""
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest())
    given = [part.split(",", 1)[1] for part in headers["webhook-signature"].split()]
    return any(hmac.compare_digest(expected.decode(), value) for value in given)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signed: bool  # the signature checks out against SECRET
    status: int = 0


class TriggerEndpoint:
    def __init__(self, secret: str = SECRET, tls: ssl.SSLContext | None = None) -> None:
        """`tls`: serve HTTPS with this server context (tests/support/tls.py)."""
        self.secret = secret
        self.delay = 0.0
        self.refuse: list[int] = []
        self.raw: bytes | None = None
        self.closed = False
        self.received: list[Received] = []
        self._lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                endpoint._serve(self)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        # A request still in flight (held by `delay`) must not run a function afterwards: it
        # would record into the next test's files.
        self.closed = True
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> TriggerEndpoint:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def target(self, function: str) -> str:
        return f"{self.url}/{function}"

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers.get("content-length", "0")))
        headers = {k.lower(): v for k, v in request.headers.items()}
        record = Received(request.path, headers, body, signature_ok(self.secret, headers, body))
        with self._lock:
            self.received.append(record)
            refusal = self.refuse.pop(0) if self.refuse else None
        if self.delay:
            time.sleep(self.delay)
        if self.closed:
            return None
        if refusal is not None:
            return self._answer(request, record, refusal, b'{"message":"refused"}')
        if self.raw is not None:
            return self._answer(request, record, 200, self.raw)
        function = getattr(trigger_functions, request.path.strip("/"), None)
        if function is None or not record.signed:
            return self._answer(request, record, 404 if function is None else 401, b"{}")
        try:
            answer = function(json.loads(body), None)
        except Exception as exc:
            error = {"errorMessage": str(exc), "errorType": type(exc).__name__}
            return self._answer(request, record, 400, json.dumps(error).encode())
        self._answer(request, record, 200, json.dumps(answer).encode())

    @staticmethod
    def _answer(
        request: BaseHTTPRequestHandler, record: Received, status: int, data: bytes
    ) -> None:
        record.status = status
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)
