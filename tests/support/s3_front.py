"""S3's CORS preflight in front of moto, for a browser that reads a bucket.

moto's S3 checks IAM on the preflight `OPTIONS` too, and a browser never signs one, so moto
answers it with a 500 (its S3 handler wants an Authorization header). S3 answers preflights
from the bucket's CORS rules without credentials: this front does that, reading the rules
from moto with the setup credentials, and passes every other request to moto untouched (the
Host header kept, so the browser's SigV4 signature still verifies there).
"""

from __future__ import annotations

import http.client
import http.server
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError
from tests.support.moto import Moto

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


def preflight_allowed(rules: list[dict[str, Any]], origin: str, method: str, headers: str) -> bool:
    """Whether a CORS rule of the bucket lets `origin` send `method` with `headers`."""
    asked = {h.strip().lower() for h in headers.split(",") if h.strip()}
    for rule in rules:
        origins = rule["AllowedOrigins"]
        allowed_headers = {h.lower() for h in rule.get("AllowedHeaders", [])}
        if (
            (origin in origins or "*" in origins)
            and method in rule["AllowedMethods"]
            and ("*" in allowed_headers or asked <= allowed_headers)
        ):
            return True
    return False


@contextmanager
def s3_front(moto: Moto) -> Iterator[str]:
    """http://127.0.0.1:<port>: S3 on `moto`, with preflights answered as S3 does."""
    upstream = urllib.parse.urlsplit(moto.url)
    s3 = moto.admin("s3")

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_OPTIONS(self) -> None:
            bucket = urllib.parse.urlsplit(self.path).path.strip("/").split("/")[0]
            origin = self.headers.get("Origin", "")
            try:
                rules = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
            except ClientError:
                rules = []
            method = self.headers.get("Access-Control-Request-Method", "")
            headers = self.headers.get("Access-Control-Request-Headers", "")
            if not preflight_allowed(rules, origin, method, headers):
                self.send_response(403)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Access-Control-Allow-Origin", origin)
            self.send_header("Access-Control-Allow-Methods", method)
            self.send_header("Access-Control-Allow-Headers", headers)
            self.send_header("Vary", "Origin")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            self._forward()

        def do_HEAD(self) -> None:
            self._forward()

        def do_PUT(self) -> None:
            self._forward()

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            connection = http.client.HTTPConnection(upstream.netloc, timeout=15)
            try:
                connection.request(self.command, self.path, body=body, headers=dict(self.headers))
                response = connection.getresponse()
                data = response.read()
            finally:
                connection.close()
            self.send_response(response.status)
            for name, value in response.getheaders():
                if name.lower() not in _HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
        s3.close()
