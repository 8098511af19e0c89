"""A local webhook receiver for servers started with the webhook sender: it can be slow
(timing tests) or refuse deliveries (failure tests), and keeps what it received."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SECRET = "a-long-enough-test-secret"


class Webhook:
    """Takes `delay` seconds per message; answers 503 while `fail` is set."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.fail = False
        self.messages: list[dict[str, Any]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                time.sleep(hook.delay)
                if hook.fail:
                    self.send_response(503)
                else:
                    hook.messages.append(json.loads(body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def env(self) -> dict[str, str]:
        """Server settings that send email and SMS here."""
        return {
            "MAMORI_EMAIL_SENDER": "webhook",
            "MAMORI_SMS_SENDER": "webhook",
            "MAMORI_WEBHOOK_URL": self.url,
            "MAMORI_WEBHOOK_SECRET": SECRET,
        }

    def code_for(self, to: str) -> str:
        return str([m for m in self.messages if m["to"] == to][-1]["code"])

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
