"""A relying party's web app for browser tests: a page script from tests/node bundled for the
browser with esbuild, served with a /config.json by a small local HTTP server on loopback
(http://localhost:<port>, a secure context for WebCrypto as browsers treat localhost)."""

from __future__ import annotations

import http.server
import json
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.live import free_port
from tests.support.node import NODE_DIR

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mamori test app</title>
<script type="module" src="/app.js"></script></head>
<body><h1>mamori test app</h1></body></html>
"""


def bundle(entry: str, out: Path) -> Path:
    """esbuild `tests/node/<entry>` (and the npm packages it imports) into one browser script."""
    esbuild = NODE_DIR / "node_modules" / ".bin" / "esbuild"
    subprocess.run(
        [
            str(esbuild),
            entry,
            "--bundle",
            "--format=esm",
            "--platform=browser",
            "--target=es2022",
            "--log-level=error",
            f"--outfile={out}",
        ],
        cwd=NODE_DIR,
        check=True,
        timeout=60,
    )
    return out


@dataclass
class WebApp:
    url: str  # http://localhost:<port>
    script: Path
    config: dict[str, Any] = field(default_factory=dict)
    paths: list[str] = field(default_factory=list)  # every path requested, in order


@contextmanager
def serve_app(script: Path, page: str = PAGE) -> Iterator[WebApp]:
    """Serves `page` (by default a bare one loading /app.js) at every path (the callback and
    sign-out URLs load the same app), `script` at /app.js and `app.config` at /config.json."""
    port = free_port()
    app = WebApp(f"http://localhost:{port}", script)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            app.paths.append(self.path)
            path = self.path.split("?", 1)[0]
            if path == "/app.js":
                body, kind = app.script.read_bytes(), "text/javascript"
            elif path == "/config.json":
                body, kind = json.dumps(app.config).encode(), "application/json"
            elif path == "/favicon.ico":
                self.send_response(404)
                self.end_headers()
                return
            else:
                body, kind = page.encode(), "text/html; charset=utf-8"
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
