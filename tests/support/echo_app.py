"""A tiny backend for gateway tests: answers every GET with JSON naming the path and every
request header it received (lower-cased names), so a test sees what the gateway passed on."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tests.support.live import free_port


@dataclass
class EchoApp:
    url: str  # http://127.0.0.1:<port>
    seen: list[str] = field(default_factory=list)  # every path requested, in order


class _Handler(http.server.BaseHTTPRequestHandler):
    app: EchoApp

    def do_GET(self) -> None:
        self.app.seen.append(self.path)
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        body = json.dumps({"path": self.path, "headers": headers}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve_echo() -> Iterator[EchoApp]:
    port = free_port()
    app = EchoApp(f"http://127.0.0.1:{port}")
    handler = type("EchoHandler", (_Handler,), {"app": app})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield app
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
