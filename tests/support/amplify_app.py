"""The Amplify sample app (examples/amplify-app) as its browser test drives it: built with its
own build script, its mamori set-up loaded from its setup_mamori.py, its page's forms and log
lines, an authenticator app reading the secret the page shows, and the requests the page sent."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pyotp
from playwright.sync_api import Page, Request, expect
from tests.support.mfa import STEP, next_step

APP_DIR = Path(__file__).resolve().parents[2] / "examples" / "amplify-app"


def build_app(out: Path) -> Path:
    """`npm ci` when node_modules is missing or older than the lockfile, then the app's own
    build (build.mjs: esbuild) into `out`; the app's dist/ is left alone."""
    installed = APP_DIR / "node_modules" / ".package-lock.json"
    lock = APP_DIR / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=APP_DIR,
            check=True,
            timeout=600,
        )
    subprocess.run(["node", "build.mjs", f"--outdir={out}"], cwd=APP_DIR, check=True, timeout=60)
    return out


def load_setup() -> ModuleType:
    """examples/amplify-app/setup_mamori.py, the sample's own set-up of mamori."""
    spec = importlib.util.spec_from_file_location("setup_mamori", APP_DIR / "setup_mamori.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Authenticator:
    """The user's authenticator app, read from the secret the page shows: each code is for a
    later time step than the last (mamori takes a step once), waiting for the clock when the
    steps the server accepts now are used up."""

    secret: str
    last: int | None = None

    def code(self) -> str:
        while True:
            now = time.time()
            try:
                step = next_step(self.last, now)
            except AssertionError:  # every step in the drift window is used: wait for one
                time.sleep(STEP - now % STEP + 0.2)
                continue
            self.last = step
            return str(pyotp.TOTP(self.secret).at(step * STEP))


@dataclass
class Calls:
    """The AWS JSON requests the page sent: (X-Amz-Target, body)."""

    seen: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)

    def record(self, request: Request) -> None:
        self.urls.append(request.url)
        target = request.headers.get("x-amz-target")
        if target:
            self.seen.append((target.split(".")[-1], json.loads(request.post_data or "{}")))

    def ops(self) -> list[str]:
        return [op for op, _ in self.seen]

    def clear(self) -> None:
        self.seen.clear()
        self.urls.clear()


@dataclass
class Line:
    """One line of the page's #log."""

    step: str
    outcome: str
    text: str


def act(page: Page, form_or_button: str, **fields: str) -> Line:
    """Fill a form's fields and submit it (or click a button); the log line it adds."""
    before = page.locator("#log li").count()
    target = page.locator(f"#{form_or_button}")
    for name, value in fields.items():
        target.locator(f"[name={name}]").fill(value)
    (target.locator("button") if fields else target).click()
    return line(page, before)


def line(page: Page, index: int) -> Line:
    item = page.locator("#log li").nth(index)
    expect(item).to_be_attached()
    return Line(
        item.get_attribute("data-step") or "",
        item.get_attribute("data-outcome") or "",
        item.inner_text(),
    )
